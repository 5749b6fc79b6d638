"""POSTing one signed delivery with the standard library: the target is resolved and checked
by the SSRF guard, and the connection goes to the checked address (TLS still verifies the
host name). No redirects are followed (http.client never does); the whole attempt, connect
to last byte read, is bounded by the timeout."""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from datetime import UTC, datetime
from functools import cache
from urllib.parse import urlsplit

from startline.domain.webhooks import signing
from startline.domain.webhooks.queue import RESPONSE_HEAD_CHARS, AttemptResult, Claimed
from startline.version import VERSION
from startline.webhooks.guard import TargetRefused, resolve

USER_AGENT = f"startline/{VERSION} (webhooks)"


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to a given address, speaking to `host` (Host header, SNI)."""

    def __init__(
        self, host: str, port: int, *, address: str, timeout: float, tls: ssl.SSLContext | None
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address
        self._tls = tls

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        if self._tls is not None:
            sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        self.sock = sock


def send(item: Claimed, *, timeout: float, allow_private: bool) -> AttemptResult:
    """One attempt at a claimed delivery: signed now (webhook-timestamp is this attempt's,
    webhook-id the message's), posted, the answer or the error returned."""
    timestamp = int(time.time())
    body = item.body.encode()
    headers = {
        "webhook-id": item.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature_header(
            item.secrets, item.message_id, timestamp, body
        ),
    }
    return post(item.url, headers=headers, body=body, timeout=timeout, allow_private=allow_private)


def post(
    url: str,
    *,
    headers: dict[str, str],
    body: bytes,
    timeout: float,
    allow_private: bool,
    tls: ssl.SSLContext | None = None,
) -> AttemptResult:
    """One attempt: the answer's status and first bytes, or the error that stopped it."""
    started_at = datetime.now(UTC)
    clock = time.monotonic()

    def result(
        *,
        status_code: int | None = None,
        response_head: str | None = None,
        error: str | None = None,
        retry_after_seconds: float | None = None,
    ) -> AttemptResult:
        return AttemptResult(
            started_at=started_at,
            duration_ms=round((time.monotonic() - clock) * 1000),
            status_code=status_code,
            response_head=response_head,
            error=error,
            retry_after_seconds=retry_after_seconds,
        )

    parts = urlsplit(url)
    https = parts.scheme.lower() == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if https else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        target = resolve(host, port, allow_private=allow_private)
    except TargetRefused as exc:
        return result(error=str(exc))
    context = (tls or _default_tls()) if https else None
    sent = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Connection": "close",
        **headers,
    }
    last_error = "no address to connect to"
    for address in target.addresses:
        remaining = timeout - (time.monotonic() - clock)
        if remaining <= 0:
            return result(error=f"timed out after {timeout:g} s")
        connection = _PinnedConnection(host, port, address=address, timeout=remaining, tls=context)
        cut = threading.Event()
        timer = threading.Timer(remaining, _abort, (connection, cut))
        timer.daemon = True
        timer.start()
        try:
            connection.request("POST", path, body=body, headers=sent)
            response = connection.getresponse()
            head = response.read(RESPONSE_HEAD_CHARS)
            if cut.is_set():  # the answer was cut short at the deadline: not an answer
                return result(error=f"timed out after {timeout:g} s")
            return result(
                status_code=response.status,
                response_head=head.decode("utf-8", "replace"),
                retry_after_seconds=_retry_after(response.getheader("Retry-After")),
            )
        except (OSError, http.client.HTTPException) as exc:
            if cut.is_set() or time.monotonic() - clock >= timeout or isinstance(exc, TimeoutError):
                return result(error=f"timed out after {timeout:g} s")
            if isinstance(exc, ssl.SSLError | ssl.CertificateError):
                return result(error=f"TLS: {getattr(exc, 'reason', None) or exc}")
            if isinstance(exc, http.client.HTTPException):
                return result(error=f"not an HTTP answer: {type(exc).__name__}")
            last_error = f"{address}: {exc.strerror or exc}"  # try the next address
        finally:
            timer.cancel()
            connection.close()
    return result(error=last_error)


@cache
def _default_tls() -> ssl.SSLContext:
    """The system's trusted certificates, host names checked (loaded once)."""
    return ssl.create_default_context()


def _abort(connection: http.client.HTTPConnection, cut: threading.Event) -> None:
    """The deadline: cut the connection so a slow receiver cannot hold the sender."""
    cut.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _retry_after(value: str | None) -> float | None:
    if value is None or not value.strip().isdigit():
        return None  # an HTTP date is rare from receivers; the schedule applies
    return float(value.strip())
