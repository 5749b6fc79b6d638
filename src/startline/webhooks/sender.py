"""The sender: follows the journal into deliveries, claims the due ones, sends them signed,
and records every attempt. One per process: a thread inside `startline serve` (started and
stopped with the app), or the foreground loop of `startline worker`. Any number of them may
run against one database: a delivery is claimed by one sender at a time (see
`startline.domain.webhooks.queue`), and a sender that dies mid-send leaves a lease that
expires, after which another sends the delivery again (at least once)."""

from __future__ import annotations

import logging
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy.exc import DBAPIError

from startline.db.base import utcnow
from startline.db.engine import Database
from startline.domain.accounts.secrets import SecretBox
from startline.domain.webhooks import dispatch, queue
from startline.http.metrics import WEBHOOK_DELIVERIES, WEBHOOK_DELIVERY_FAILURES
from startline.settings import Settings
from startline.webhooks import client

logger = logging.getLogger("startline.webhooks")

# Pages of the journal one subscription may dispatch before the others get their turn.
PAGES_PER_TURN = 20
# A claim outlives the longest attempt by this much (an attempt is cut at the timeout).
LEASE_MARGIN_SECONDS = 30.0
# After a database error, wait this long before trying again (the database may be down).
ERROR_PAUSE_SECONDS = 5.0


class Sender:
    def __init__(self, db: Database, settings: Settings, *, box: SecretBox) -> None:
        self.db = db
        self.settings = settings
        self.box = box
        self.name = f"sender-{secrets.token_hex(6)}"
        self.schedule = settings.webhook_retry_delays
        self.lease = timedelta(seconds=settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS)
        self.disable_after = timedelta(days=settings.webhook_disable_after_days)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(
            max_workers=settings.webhook_concurrency, thread_name_prefix="webhook-send"
        )

    # --- running -------------------------------------------------------------------------

    def start(self) -> None:
        """Run in a background thread (inside `startline serve`)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, name="webhook-sender", daemon=True)
            self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the sends in flight (each is bounded by the timeout)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout or self.settings.webhook_timeout_seconds + 5)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def request_stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        """Loop until stopped: work while there is work, else wait the poll interval."""
        while not self._stopping.is_set():
            try:
                busy = self.run_once()
            except DBAPIError as exc:
                logger.warning(
                    "webhook sender: database error, trying again in %g s",
                    ERROR_PAUSE_SECONDS,
                    extra={"fields": {"error": str(exc.orig).splitlines()[0][:200]}},
                )
                self._stopping.wait(ERROR_PAUSE_SECONDS)
                continue
            except Exception:
                logger.exception("webhook sender: unexpected error")
                self._stopping.wait(ERROR_PAUSE_SECONDS)
                continue
            if not busy:
                self._stopping.wait(self.settings.webhook_poll_seconds)

    def run_once(self) -> bool:
        """Dispatch what the journal has, then send one round of due deliveries. True when
        there was anything to do (so the loop goes on without waiting)."""
        dispatched = self.dispatch()
        sent = self.send_due()
        return dispatched or sent > 0

    # --- the journal into deliveries ---------------------------------------------------------

    def dispatch(self) -> bool:
        with self.db.reading() as session:
            _, behind = dispatch.subscriptions_behind(session)
        more = False
        for subscription in behind:
            for _ in range(PAGES_PER_TURN):
                if self._stopping.is_set():
                    return False
                with self.db.transaction() as session:
                    made = dispatch.dispatch_one(
                        session, subscription_id=subscription.subscription_id
                    )
                if made < 0:
                    break
            else:
                more = True  # this one has more pages; the next round continues
        return more

    # --- sending ---------------------------------------------------------------------------

    def send_due(self) -> int:
        """Claim up to `webhook_concurrency` due deliveries, send them in parallel, record
        each attempt; the number sent."""
        if self._stopping.is_set():
            return 0
        now = utcnow()
        with self.db.reading() as session:
            if not queue.has_due(session, now=now):
                return 0
        with self.db.transaction() as session:
            claimed = queue.claim(
                session,
                now=now,
                lease=self.lease,
                limit=self.settings.webhook_concurrency,
                claimer=self.name,
                box=self.box,
            )
        if not claimed:
            return 0
        for item, result in zip(claimed, self._pool.map(self._attempt, claimed), strict=True):
            self._record(item, result)
        return len(claimed)

    def _attempt(self, item: queue.Claimed) -> queue.AttemptResult:
        return client.send(
            item,
            timeout=self.settings.webhook_timeout_seconds,
            allow_private=self.settings.webhook_allow_private,
        )

    def _record(self, item: queue.Claimed, result: queue.AttemptResult) -> None:
        with self.db.transaction() as session:
            recorded = queue.record(
                session,
                claimed=item,
                result=result,
                schedule=self.schedule,
                disable_after=self.disable_after,
                now=utcnow(),
            )
        if recorded is None:
            return
        delivered = recorded.verdict == queue.DELIVER
        (WEBHOOK_DELIVERIES if delivered else WEBHOOK_DELIVERY_FAILURES).inc()
        fields = {
            "webhook_id": item.subscription_id,
            "delivery_id": item.delivery_id,
            "attempt": item.attempts + 1,
            "status_code": result.status_code,
            "error": result.error,
            "duration_ms": result.duration_ms,
            "outcome": recorded.status,
        }
        if delivered:
            logger.debug("webhook delivered", extra={"fields": fields})
        else:
            logger.info("webhook attempt failed", extra={"fields": fields})
        if recorded.disabled_reason is not None:
            logger.warning(
                "webhook disabled",
                extra={
                    "fields": {
                        "webhook_id": item.subscription_id,
                        "reason": recorded.disabled_reason,
                        "url": _safe_url(item.url),
                    }
                },
            )


def _safe_url(url: str) -> str:
    """The URL without its query (it may carry a receiver's token)."""
    return url.split("?", 1)[0]
