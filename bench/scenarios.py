"""The scenarios of one database kind, run against real server processes. Each returns a
plain dict row for the report; an endpoint that does not exist yet gives status
"not available" instead of failing the run."""

from __future__ import annotations

import json
import shutil
import signal
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import client, csv_lists, raw, spy, start_lists
from bench.fixtures import (
    Target,
    cli,
    create_targets,
    demo_credentials,
    participant,
    race_document,
    race_post_path,
    server_env,
    write_race_posts,
)
from bench.server import Server
from bench.wrk import run_wrk

RACE_EVENTS = 20


@dataclass
class Options:
    quick: bool
    duration_s: float
    batch_size: int
    seeded: int
    profile_dir: Path | None
    log_check: bool
    workers2: bool
    server_env: dict[str, str] = field(default_factory=dict)
    only: tuple[str, ...] = ()  # scenario groups to run (GROUPS); empty: all

    def runs(self, group: str) -> bool:
        return not self.only or group in self.only

    @classmethod
    def make(
        cls,
        *,
        quick: bool,
        profile_dir: Path | None,
        log_check: bool,
        server_env: dict[str, str] | None = None,
        only: tuple[str, ...] = (),
    ) -> Options:
        return cls(
            quick=quick,
            duration_s=3 if quick else 10,
            batch_size=5_000 if quick else 50_000,
            seeded=5_000 if quick else 20_000,
            profile_dir=profile_dir,
            log_check=log_check,
            workers2=True,
            server_env=dict(server_env or {}),
            only=only,
        )


@dataclass
class Context:
    kind: str  # sqlite | postgresql
    database_url: str
    work_dir: Path
    options: Options
    creds: dict[str, Any]
    targets: dict[str, Target]
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def env(self, log_level: str = "warning") -> dict[str, str]:
        return server_env(
            self.database_url,
            self.work_dir / "data",
            log_level=log_level,
            extra=self.options.server_env,
        )

    def server(self, workers: int = 1, log_level: str = "warning") -> Server:
        return Server(
            self.env(log_level),
            workers=workers,
            log_path=self.work_dir / f"server-{workers}w-{log_level}.log",
        )

    def add(self, row: dict[str, Any]) -> dict[str, Any]:
        row = {"db": self.kind, **row}
        self.rows.append(row)
        status = row["status"]
        shown = (
            f"{row.get('rps', 0):8.0f} req/s  p50 {row.get('p50_ms', 0):7.2f} ms  "
            f"p99 {row.get('p99_ms', 0):7.2f} ms  errors {row.get('errors', 0)}"
            if "rps" in row and status == "ok"
            else f"{row.get('rows_per_s', 0):8.0f} rows/s"
            if "rows_per_s" in row
            else ""
        )
        print(
            f"  [{self.kind}] {row['scenario']:<28} {status:<14} {shown}"
            + ("" if status == "ok" else f"  {row.get('detail', '')[:160]}"),
            flush=True,
        )
        return row


# Scenario groups, for `--only`.
GROUPS = ("echo", "single", "batch", "race", "get", "participants", "csv", "log", "user", "workers")
TRACX_TARGETS = [
    "ins64",
    "ins8",
    "upd",
    "batch",
    "raw",
    "probe",
    "ins64log",
    "ins64w2",
    "user64",
    "user8",
    "userupd",
]


def prepare(kind: str, database_url: str, work_dir: Path, options: Options) -> Context:
    env = server_env(database_url, work_dir / "data", extra=options.server_env)
    if kind != "sqlite":
        cli(env, "db", "upgrade")
    creds = demo_credentials(env)  # applies migrations itself on SQLite
    targets = create_targets(database_url, creds["user_id"], TRACX_TARGETS)
    targets.update(create_targets(database_url, creds["user_id"], ["get"], RACE_EVENTS))
    targets.update(create_targets(database_url, creds["user_id"], ["list"]))
    if options.runs("csv"):
        targets.update(create_targets(database_url, creds["user_id"], ["csvcli", "csvhttp"]))
    if options.runs("participants"):
        start_list = targets["list"]
        start_lists.seed(database_url, start_list.edition_id, start_list.event_ids)
    for name in ("upd", "userupd"):
        upd = targets[name]
        raw.upsert(
            database_url,
            upd.edition_id,
            [participant(i, "u", upd.event_ids[:1]) for i in range(options.seeded)],
        )
    if options.runs("user"):
        # What users run: a connect token scoped to the races it writes, not the demo's
        # all-races token.
        issued = cli(
            env,
            "tokens",
            "create",
            "--owner",
            creds["email"],
            "--permission",
            "permissions.participants.store",
            *(f"--race={targets[name].race_id}" for name in ("user64", "user8", "userupd")),
            "--json",
        )
        creds["race_token"] = json.loads(issued)["token"]
    return Context(kind, database_url, work_dir, options, creds, targets)


# --- probes: does the endpoint exist yet, and does it answer a correct request? -------------


def _probe_result(status: int, body: bytes, ok: bool) -> tuple[str, str]:
    if status in (404, 405):
        return "not available", f"HTTP {status}: endpoint not implemented yet"
    if not ok:
        return "failed", f"probe HTTP {status}: {body[:300].decode(errors='replace')}"
    return "ok", ""


def probe_participant(ctx: Context, server: Server) -> tuple[str, str]:
    target = ctx.targets["probe"]
    body = json.dumps(participant(int(time.time() * 1000) % 900_000, "p", target.event_ids))
    status, data, _ = client.request(
        server.base_url, "POST", "/v1/connect/participant", body.encode(), tracx_headers(ctx)
    )
    return _probe_result(status, data, status == 200)


def probe_race_post(ctx: Context, server: Server) -> tuple[str, str]:
    import secrets

    tag = secrets.token_hex(3)
    fields = {
        "request_format": "json",
        "request": json.dumps(race_document(f"probe{tag}", RACE_EVENTS)),
    }
    body, content_type = client.multipart(fields)
    status, data, _ = client.request(
        server.base_url,
        "POST",
        race_post_path(ctx.creds, secrets.token_hex(4)),
        body,
        {"Content-Type": content_type},
    )
    parsed = client.json_body(data)
    return _probe_result(
        status, data, status == 200 and isinstance(parsed, dict) and "race" in parsed
    )


def probe_get(ctx: Context, server: Server, path: str) -> tuple[str, str]:
    status, data, _ = client.request(server.base_url, "GET", path)
    return _probe_result(
        status, data, status == 200 and b"<error>" not in data and b"<race>" in data
    )


def tracx_headers(ctx: Context) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Authorization": ctx.creds["connect_token"],
    }


# --- wrk scenarios -----------------------------------------------------------------------


def wrk_scenario(
    ctx: Context,
    server: Server,
    name: str,
    script: str,
    connections: int,
    env: dict[str, str],
    probe: tuple[str, str] = ("ok", ""),
    profile: bool = False,
) -> dict[str, Any]:
    row: dict[str, Any] = {"scenario": name, "workers": server.workers, "connections": connections}
    status, detail = probe
    if status != "ok":
        return ctx.add({**row, "status": status, "detail": detail})
    threads = 2 if connections >= 16 else 1
    recorder = None
    if profile and ctx.options.profile_dir is not None:
        out = ctx.options.profile_dir / f"{ctx.kind}-{name}.collapsed"
        recorder = (out, spy.start(server.pids()[-1], ctx.options.duration_s - 1, out))
    server.start_sampling()
    try:
        result = run_wrk(
            script,
            server.base_url,
            connections=connections,
            threads=threads,
            duration_s=ctx.options.duration_s,
            env={**env, "BENCH_THREADS": str(threads)},
        )
    except Exception as exc:  # a failed run is reported, the others still run
        server.stop_sampling()
        return ctx.add({**row, "status": "failed", "detail": str(exc)[:500]})
    rss = server.stop_sampling()
    if recorder is not None and recorder[1] is not None:
        recorder[1].wait(timeout=60)
        if recorder[0].exists():
            summary = recorder[0].with_suffix(".txt")
            summary.write_text(spy.summarise(recorder[0]))
            row["profile"] = str(summary)
    values = asdict(result)
    cpu_ms = 1000 * server.cpu_used / result.requests if result.requests else None
    return ctx.add(
        {
            **row,
            "status": "ok",
            **values,
            "rss_mb": rss / 2**20,
            "server_cpu_ms_per_req": cpu_ms,
            "server_cpu_share": server.cpu_used / result.duration_s,
            "machine_busy": server.machine_busy,
        }
    )


def run_echo(ctx: Context, server: Server, connections: int, suffix: str = "") -> dict[str, Any]:
    return wrk_scenario(
        ctx, server, f"baseline echo c{connections}{suffix}", "echo.lua", connections, {}
    )


def run_single(
    ctx: Context,
    server: Server,
    mode: str,
    connections: int,
    target: str,
    suffix: str = "",
    probe: tuple[str, str] = ("ok", ""),
) -> dict[str, Any]:
    event_id = ctx.targets[target].event_ids[0]
    token_key = "race_token" if target.startswith("user") else "connect_token"
    env = {
        "BENCH_MODE": mode,
        "BENCH_TOKEN": ctx.creds[token_key],
        "BENCH_RACE_ID": str(event_id),
        "BENCH_SEEDED": str(ctx.options.seeded),
    }
    name = f"single {'insert' if mode == 'insert' else 'update'} c{connections}{suffix}"
    return wrk_scenario(
        ctx,
        server,
        name,
        "participant.lua",
        connections,
        env,
        probe,
        profile=connections == 64 and server.workers == 1 and suffix in ("", " user"),
    )


def run_race_post(
    ctx: Context, server: Server, connections: int, probe: tuple[str, str]
) -> dict[str, Any]:
    requests_file = ctx.work_dir / f"race-posts-c{connections}.txt"
    if probe[0] == "ok":  # enough distinct signed requests for the whole run
        count = int(ctx.options.duration_s * 400)
        write_race_posts(requests_file, ctx.creds, count, RACE_EVENTS, f"{connections}x")
    env = {"BENCH_REQUESTS_FILE": str(requests_file)}
    return wrk_scenario(
        ctx,
        server,
        f"race POST 20 events c{connections}",
        "race_post.lua",
        connections,
        env,
        probe,
        profile=connections == 8,
    )


def run_get_xml(
    ctx: Context, server: Server, connections: int, probe: tuple[str, str]
) -> dict[str, Any]:
    env = {"BENCH_PATH": f"/rest/race/{ctx.targets['get'].race_id}?format=xml"}
    return wrk_scenario(
        ctx,
        server,
        f"GET race XML c{connections}",
        "get.lua",
        connections,
        env,
        probe,
        profile=connections == 8,
    )


# --- batch and its raw baseline -------------------------------------------------------------


def run_batch(ctx: Context, server: Server) -> None:
    target = ctx.targets["batch"]
    n = ctx.options.batch_size
    path = f"/v1/connect/events/{target.edition_id}/participants"
    for label, state in (("insert", "before"), ("update", "during")):
        items = [participant(i, "b", target.event_ids, state) for i in range(n)]
        body = json.dumps(items).encode()
        row: dict[str, Any] = {
            "scenario": f"batch {n} {label}",
            "workers": server.workers,
            "rows": n,
            "body_mb": len(body) / 2**20,
        }
        recorder = None
        if ctx.options.profile_dir is not None:
            out = ctx.options.profile_dir / f"{ctx.kind}-batch-{label}.collapsed"
            recorder = (out, spy.start(server.pids()[-1], 30, out))
        server.start_sampling()
        try:
            status, data, seconds = client.request(
                server.base_url, "POST", path, body, tracx_headers(ctx)
            )
        finally:
            rss = server.stop_sampling()
        if recorder is not None and recorder[1] is not None:
            recorder[1].send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
            recorder[1].wait(timeout=60)
            if recorder[0].exists():
                summary = recorder[0].with_suffix(".txt")
                summary.write_text(spy.summarise(recorder[0]))
                row["profile"] = str(summary)
        parsed = client.json_body(data) or {}
        expected = (
            {"created": n, "updated": 0} if label == "insert" else {"created": 0, "updated": n}
        )
        if status in (404, 405):
            ctx.add(
                {
                    **row,
                    "status": "not available",
                    "detail": f"HTTP {status}: endpoint not implemented yet",
                }
            )
            return
        ok = status == 200 and parsed.get("data") == expected
        ctx.add(
            {
                **row,
                "status": "ok" if ok else "failed",
                "seconds": seconds,
                "server_cpu_s": server.cpu_used,
                "machine_busy": server.machine_busy,
                "rows_per_s": n / seconds,
                "errors": 0 if ok else 1,
                "rss_mb": rss / 2**20,
                **({} if ok else {"detail": f"HTTP {status}: {data[:300]!r}"}),
            }
        )


def run_raw(ctx: Context) -> None:
    target = ctx.targets["raw"]
    n = ctx.options.batch_size
    for label, state in (("insert", "before"), ("update", "during")):
        items = [participant(i, "b", target.event_ids, state) for i in range(n)]
        seconds = raw.upsert(
            ctx.database_url,
            target.edition_id,
            items,
            ctx.options.server_env.get("STARTLINE_SQLITE_SYNCHRONOUS"),
            journal_race_id=target.race_id,
        )
        ctx.add(
            {
                "scenario": f"raw executemany {n} {label}",
                "status": "ok",
                "rows": n,
                "seconds": seconds,
                "rows_per_s": n / seconds,
                "errors": 0,
                "detail": "with one journal entry per row",
            }
        )


# --- one database kind --------------------------------------------------------------------


def run_kind(kind: str, database_url: str, options: Options) -> Context:
    """Every scenario on one database kind ("" = a fresh SQLite file); the scratch directory
    (database file, server logs, signed requests) is removed unless a server failed."""
    work_dir = Path(tempfile.mkdtemp(prefix=f"startline-bench-{kind}-"))
    database_url = database_url or f"sqlite:///{work_dir / 'startline.db'}"
    print(f"\n== {kind}: preparing ({work_dir})", flush=True)
    ctx = prepare(kind, database_url, work_dir, options)
    with ctx.server(workers=1) as server:
        print(f"== {kind}: one worker on {server.base_url}", flush=True)
        if options.runs("echo"):
            run_echo(ctx, server, 64)
            run_echo(ctx, server, 8)
        if options.runs("single"):
            single = probe_participant(ctx, server)
            run_single(ctx, server, "insert", 64, "ins64", probe=single)
            run_single(ctx, server, "insert", 8, "ins8", probe=single)
            run_single(ctx, server, "update", 64, "upd", probe=single)
            run_single(ctx, server, "update", 8, "upd", probe=single)
        if options.runs("batch"):
            run_batch(ctx, server)
            run_raw(ctx)
        if options.runs("race"):
            race = probe_race_post(ctx, server)
            run_race_post(ctx, server, 1, race)
            run_race_post(ctx, server, 8, race)
        if options.runs("get"):
            get_path = f"/rest/race/{ctx.targets['get'].race_id}?format=xml"
            get = probe_get(ctx, server, get_path)
            run_get_xml(ctx, server, 1, get)
            run_get_xml(ctx, server, 8, get)
        if options.runs("participants"):
            start_lists.run(ctx, server)
        if options.runs("csv"):
            csv_lists.run(ctx, server)
    if options.log_check and options.runs("log"):
        with ctx.server(workers=1, log_level="info") as server:
            print(f"== {kind}: one worker, log level info (request log on)", flush=True)
            run_echo(ctx, server, 64, " log=info")
            single = probe_participant(ctx, server)
            run_single(ctx, server, "insert", 64, "ins64log", " log=info", probe=single)
    if options.runs("user"):
        with ctx.server(workers=1, log_level="info") as server:
            print(f"== {kind}: as users run it (race token, full bodies, log on)", flush=True)
            run_echo(ctx, server, 64, " user")
            run_echo(ctx, server, 8, " user")
            single = probe_participant(ctx, server)
            run_single(ctx, server, "insert", 64, "user64", " user", probe=single)
            run_single(ctx, server, "insert", 8, "user8", " user", probe=single)
            run_single(ctx, server, "update", 64, "userupd", " user", probe=single)
            run_single(ctx, server, "update", 8, "userupd", " user", probe=single)
    if options.workers2 and kind != "sqlite" and options.runs("workers"):
        with ctx.server(workers=2) as server:
            print(f"== {kind}: two workers", flush=True)
            run_echo(ctx, server, 64, " 2w")
            single = probe_participant(ctx, server)
            run_single(ctx, server, "insert", 64, "ins64w2", " 2w", probe=single)
            run_single(ctx, server, "update", 64, "upd", " 2w", probe=single)
    if all(row["status"] != "failed" for row in ctx.rows):
        shutil.rmtree(work_dir, ignore_errors=True)
    else:
        print(f"  server logs kept in {work_dir}", flush=True)
    return ctx
