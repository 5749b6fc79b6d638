"""`startline serve`: check everything an operator can get wrong (settings, port, data
directory, database, schema) in one line each, then run uvicorn. The server stack is
imported here only, so the other commands start fast."""

from __future__ import annotations

import errno
import socket
from typing import Annotated

import typer

from startline.cli.database import command_settings, open_database
from startline.cli.errors import fail

MAX_PORT = 65535


def register(root: typer.Typer) -> None:
    root.command()(serve)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (1-65535).")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
    proxy_headers: Annotated[
        bool | None,
        typer.Option(
            "--proxy-headers/--no-proxy-headers",
            help="Take the client address and scheme from X-Forwarded-For/-Proto, sent by "
            "the addresses in --forwarded-allow-ips [default: STARTLINE_PROXY_HEADERS, on].",
            show_default=False,
        ),
    ] = None,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated proxy addresses (or networks, or '*') whose forwarded "
            "headers are trusted [default: STARTLINE_FORWARDED_ALLOW_IPS, 127.0.0.1].",
            show_default=False,
        ),
    ] = None,
    timeout_graceful_shutdown: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Seconds a stopping server lets running requests finish "
            "[default: STARTLINE_SHUTDOWN_GRACE_SECONDS, 30].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the server (applies pending migrations first on the embedded SQLite default)."""
    if not 1 <= port <= MAX_PORT:
        fail(f"--port {port} is out of range: give a port from 1 to {MAX_PORT}")
    from startline.db.problems import check_writable

    settings = command_settings()
    check_can_listen(host, port)
    check_writable(settings)
    settings.resolved_secret_key()  # create the embedded key once, before any worker
    with open_database(settings):
        pass  # checked, and on SQLite migrated, before any worker starts (no server stack)
    from startline.http import serving

    # After every check (a refused start is one line), before the server stack is imported:
    # the workers' shared metrics directory, our JSON logging and the start-up line.
    log_config = serving.prepare(settings, host=host, port=port, workers=workers)

    import uvicorn

    uvicorn.run(
        "startline.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # our own request log redacts secrets; uvicorn's prints the query
        log_config=log_config,  # every line in our JSON, in every worker
        log_level=settings.log_level,
        proxy_headers=settings.proxy_headers if proxy_headers is None else proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips or settings.forwarded_allow_ips,
        timeout_graceful_shutdown=(
            round(settings.shutdown_grace_seconds)
            if timeout_graceful_shutdown is None
            else timeout_graceful_shutdown
        ),
        # uvicorn kills a worker that does not answer its ping within this many seconds; the
        # default 5 s killed workers still importing on a busy machine, over and over.
        timeout_worker_healthcheck=30,
    )


def check_can_listen(host: str, port: int) -> None:
    """Refuse at once, in one line, an address that cannot be listened on."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        fail(f"cannot listen on --host {host}: {exc.strerror}")
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                fail(
                    f"port {port} on {host} is in use: stop the other server or choose "
                    "another --port"
                )
            if exc.errno == errno.EACCES:
                fail(
                    f"no permission to listen on port {port}: use a port above 1023 (behind "
                    "a reverse proxy) or give the service that capability"
                )
            if exc.errno == errno.EADDRNOTAVAIL:
                fail(f"--host {host} is not an address of this machine")
            fail(f"cannot listen on {host}:{port}: {exc.strerror}")
