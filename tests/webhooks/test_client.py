"""The sending client on its own: HTTPS to the checked address with the URL's host name
verified (SNI and certificate), an untrusted certificate refused, and a receiver that drips
its answer cut at the deadline."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from startline.webhooks.client import post


def _certificate(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _Handler(BaseHTTPRequestHandler):
    seen: list[tuple[str, str | None]] = []

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        _Handler.seen.append((self.path, self.headers.get("Host")))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def _https_server(cert: Path, key: Path) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_https_to_the_checked_address_with_the_host_name_verified(tmp_path):
    cert, key = _certificate(tmp_path)
    trusted = ssl.create_default_context(cafile=str(cert))
    with _https_server(cert, key) as port:
        result = post(
            f"https://localhost:{port}/in?x=1",
            headers={"webhook-id": "msg_1"},
            body=b"{}",
            timeout=5,
            allow_private=True,
            tls=trusted,
        )
        assert result.status_code == 200 and result.response_head == "ok", result
        assert _Handler.seen[-1] == ("/in?x=1", f"localhost:{port}")

        untrusted = post(
            f"https://localhost:{port}/in", headers={}, body=b"{}", timeout=5, allow_private=True
        )
        assert untrusted.status_code is None and untrusted.error.startswith("TLS: ")
        refused = post(
            f"https://localhost:{port}/in", headers={}, body=b"{}", timeout=5, allow_private=False
        )
        assert "loopback address" in refused.error


def test_a_receiver_that_drips_its_answer_is_cut_at_the_deadline():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def drip() -> None:
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\n")
        while not stop.is_set():  # one header byte every 0.2 s, forever
            try:
                connection.sendall(b"X")
            except OSError:
                break
            time.sleep(0.2)
        connection.close()

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    try:
        started = time.monotonic()
        result = post(
            f"http://127.0.0.1:{port}/", headers={}, body=b"{}", timeout=1, allow_private=True
        )
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        listener.close()
    assert result.status_code is None and result.error == "timed out after 1 s"
    assert elapsed < 10  # cut, not left to drip (a generous bound: this is no speed test)
