"""Plain loopback HTTP for probes and the batch scenario (one request, so no load tool)."""

from __future__ import annotations

import http.client
import json
import time
from typing import Any
from urllib.parse import urlsplit


def request(
    base_url: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 300.0,
) -> tuple[int, bytes, float]:
    """(status, body, seconds from sending the request to the last byte of the response)."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        started = time.perf_counter()
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return response.status, data, time.perf_counter() - started
    finally:
        connection.close()


def json_body(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


def multipart(
    fields: dict[str, str], boundary: str = "----startlinebenchprobe"
) -> tuple[bytes, str]:
    chunks = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    body = "".join(chunks) + f"--{boundary}--\r\n"
    return body.encode(), f"multipart/form-data; boundary={boundary}"
