"""`startline worker`: the webhook sender in the foreground, for those who run it apart from
the server (set STARTLINE_WEBHOOK_SENDER=false for `serve` then). Ctrl-C or SIGTERM stop it
after the sends in flight."""

from __future__ import annotations

import signal
from types import FrameType

import typer

from startline.cli.database import command_settings, open_database


def register(root: typer.Typer) -> None:
    root.command()(worker)


def worker() -> None:
    """Send webhooks: follow the change journal, deliver, retry on the schedule."""
    import logging

    from startline.domain.accounts.secrets import SecretBox
    from startline.http.logging import configure_logging
    from startline.webhooks.sender import Sender

    settings = command_settings()
    box = SecretBox(settings.resolved_secret_key())
    with open_database(settings) as database:
        configure_logging(settings.log_level)
        sender = Sender(database, settings, box=box)

        def stop(signum: int, _frame: FrameType | None) -> None:
            sender.request_stop()

        previous = signal.signal(signal.SIGTERM, stop)
        log = logging.getLogger("startline.worker")
        log.info("worker started", extra={"fields": {"sender": sender.name}})
        try:
            sender.run()
        except KeyboardInterrupt:
            sender.request_stop()
        finally:
            sender.stop()
            signal.signal(signal.SIGTERM, previous)
            log.info("worker stopped", extra={"fields": {"sender": sender.name}})
