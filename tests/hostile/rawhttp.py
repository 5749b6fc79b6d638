"""Raw-socket HTTP for the checks a client library will not do: declare a huge body and send
little of it, stream chunks until the server refuses, stall half-way through a body."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

CHUNK = 64 * 1024


@dataclass
class RawResponse:
    status: int
    head: str
    body: bytes
    sent: int  # body bytes the client got to send before the answer


def _connect(base_url: str, timeout: float) -> socket.socket:
    parts = urlsplit(base_url)
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def _head(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _read_response(sock: socket.socket, deadline: float) -> tuple[int, str, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    text = head.decode("latin-1")
    length = next(
        (
            int(line.split(":", 1)[1])
            for line in text.split("\r\n")
            if line.lower().startswith("content-length:")
        ),
        0,
    )
    while len(body) < length and time.monotonic() < deadline:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(text.split(" ", 2)[1]), text, body


def _answered(sock: socket.socket) -> bool:
    sock.settimeout(0)
    try:
        return bool(sock.recv(1, socket.MSG_PEEK))
    except (BlockingIOError, InterruptedError):
        return False


def post_streaming(
    base_url: str,
    path: str,
    headers: dict[str, str],
    *,
    total: int,
    chunked: bool,
    timeout: float = 10.0,
) -> RawResponse:
    """Chunked: stream up to `total` body bytes, stopping as soon as the server answers or
    stops reading. Not chunked: declare a Content-Length of `total` and wait for the answer
    before sending any body. Then read the answer."""
    headers = {
        **headers,
        **({"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(total)}),
    }
    deadline = time.monotonic() + timeout
    sent = 0
    with _connect(base_url, timeout) as sock:
        sock.sendall(_head(path, headers))
        if not chunked:
            # A declared length over the limit must be refused on the head alone.
            sock.settimeout(timeout)
            sock.recv(1, socket.MSG_PEEK)
        piece = b"[" * CHUNK
        while sent < total and time.monotonic() < deadline and not _answered(sock):
            frame = f"{CHUNK:x}\r\n".encode() + piece + b"\r\n" if chunked else piece
            sock.settimeout(0.5)
            try:
                sock.sendall(frame)
            except (TimeoutError, BrokenPipeError, ConnectionResetError):
                break  # the server stopped reading: its answer is waiting
            sent += CHUNK
        status, head, body = _read_response(sock, deadline)
    return RawResponse(status, head, body, sent)


def stall(base_url: str, path: str, headers: dict[str, str]) -> socket.socket:
    """A connection that promised 1000 body bytes and sent 10; the caller closes it."""
    sock = _connect(base_url, 10.0)
    sock.sendall(_head(path, {**headers, "Content-Length": "1000"}) + b"0123456789")
    return sock
