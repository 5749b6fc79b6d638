"""Fixtures for webhooks: a real receiver (an HTTP server on 127.0.0.1 that verifies every
delivery with the `standardwebhooks` library, unchanged), settings with a compressed retry
schedule, a sender driven step by step, and the Tracx world to write changes through."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from startline.domain.accounts.secrets import SecretBox
from startline.domain.webhooks import service
from startline.settings import Settings
from startline.webhooks.sender import Sender
from tests.conftest import TEST_SECRET_KEY
from tests.contract.tracx.conftest import Tokens, tokens, world  # noqa: F401
from tests.integration.conftest import cli, cli_env  # noqa: F401

SCHEDULE = "0.2,0.2,0.2"  # three retries, quickly


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified_with: list[int]  # indexes of the receiver's secrets that verified it
    path: str

    @property
    def message_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each POST with the next scripted answer (default 200): a status code, or
    ("slow", seconds) to answer 200 that much later, or ("redirect", status)."""

    url: str = ""
    secrets: list[str] = field(default_factory=list)
    script: list[Any] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self) -> Any:
        with self.lock:
            return self.script.pop(0) if self.script else 200

    def record(self, headers: dict[str, str], body: bytes, path: str) -> None:
        verified = []
        for index, secret in enumerate(self.secrets):
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            verified.append(index)
        with self.lock:
            self.received.append(
                Received(headers=headers, body=body, verified_with=verified, path=path)
            )

    def messages(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def ids(self) -> list[str]:
        return [r.message_id for r in self.messages()]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.record({k.lower(): v for k, v in self.headers.items()}, body, self.path)
            answer = receiver.answer()
            if isinstance(answer, tuple) and answer[0] == "slow":
                time.sleep(answer[1])
                answer = 200
            if isinstance(answer, tuple) and answer[0] == "redirect":
                self.send_response(answer[1])
                self.send_header("Location", receiver.url + "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            payload = b"thanks" if answer < 300 else b"no: " + b"x" * 5000
            self.send_response(answer)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def receiving(receiver: Receiver, port: int = 0) -> Iterator[Receiver]:
    """Serve `receiver` on 127.0.0.1 (on `port`, or a free one) while the block runs."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving(Receiver()) as running:
        yield running


@pytest.fixture
def wh_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "webhook_allow_private": True,
            "webhook_retry_schedule": SCHEDULE,
            "webhook_timeout_seconds": 1.0,
            "webhook_poll_seconds": 0.05,
        }
    )


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(TEST_SECRET_KEY)


@pytest.fixture
def sender(db, wh_settings: Settings, box: SecretBox) -> Iterator[Sender]:
    sender = Sender(db, wh_settings, box=box)
    yield sender
    sender.stop()


@pytest.fixture
def subscribe(db, box: SecretBox, receiver: Receiver) -> Callable[..., int]:
    """Subscribe the receiver (scope: all unless given); its secret joins the receiver's."""

    def make(url: str | None = None, **options: Any) -> int:
        if not {"race_ids", "timer_id", "all_races"} & options.keys():
            options["all_races"] = True
        with db.transaction() as session:
            created = service.create_webhook(session, url=url or receiver.url, box=box, **options)
        receiver.secrets.append(created.secret)
        return created.webhook_id

    return make


def drive(sender: Sender, until: Callable[[], bool], timeout: float = 30) -> None:
    """Run the sender's rounds until `until()` holds (the schedule's pauses included)."""
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "the sender did not get there in time"
        if not sender.run_once():
            time.sleep(0.05)
