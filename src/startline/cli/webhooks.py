"""`startline webhooks`: Standard Webhooks subscriptions to the change journal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from startline.cli.database import admin_session, command_settings, run
from startline.cli.errors import fail
from startline.cli.options import JsonFlag, command_group
from startline.cli.output import emit, emit_list

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from startline.settings import Settings

app = command_group(
    "Webhooks: signed POSTs (Standard Webhooks 1.0) when races, events and runners change."
)

WebhookId = Annotated[int, typer.Argument(metavar="ID", help="The webhook's id (see list).")]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="webhooks")


@app.command("create")
def webhooks_create(
    url: Annotated[str, typer.Option("--url", help="Where to POST: an http(s) URL.")],
    types: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            help="A change type (race.created, participant.updated, ...) or a prefix "
            "(participant.*); repeat for more. Default: every type.",
        ),
    ] = None,
    race: Annotated[
        list[int] | None, typer.Option("--race", help="Scope: a race; repeat for more.")
    ] = None,
    timer: Annotated[int | None, typer.Option("--timer", help="Scope: a timer's races.")] = None,
    all_races: Annotated[bool, typer.Option("--all", help="Scope: every race.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Subscribe a URL to changes from now on. The signing secret is shown only now."""
    from startline.domain.accounts.secrets import SecretBox
    from startline.domain.webhooks import service
    from startline.webhooks import guard

    settings = command_settings()

    def check_target(checked: str) -> None:
        try:
            guard.check_url(checked, allow_private=settings.webhook_allow_private)
        except guard.TargetRefused as exc:
            fail(f"--url: {exc}")

    def action(session: Session, settings: Settings) -> dict[str, Any]:
        created = service.create_webhook(
            session,
            url=url,
            box=SecretBox(settings.resolved_secret_key()),
            types=types or (),
            race_ids=race or (),
            timer_id=timer,
            all_races=all_races,
            check_target=check_target,
        )
        return {"webhook_id": created.webhook_id, "url": created.url, "secret": created.secret}

    with admin_session(settings) as (session, _):
        result = action(session, settings)
    emit(result, as_json=as_json, title="webhook created (the secret is shown only now)")


@app.command("list")
def webhooks_list(as_json: JsonFlag = False) -> None:
    """List webhooks (never their secrets)."""
    from startline.domain.webhooks import service

    with admin_session() as (session, _):
        rows = service.list_webhooks(session)
    columns = (
        ("webhook_id", "id"),
        ("status", "status"),
        ("url", "url"),
        ("scope", "scope"),
        ("races_or_timer", "races/timer"),
        ("types", "types"),
        ("pending", "pending"),
        ("disabled_reason", "disabled because"),
    )
    shown = [
        {**row, "races_or_timer": row["races"] or row["timer_id"], "types": row["types"] or "all"}
        for row in rows
    ]
    emit_list(rows if as_json else shown, as_json=as_json, columns=columns, empty="(no webhooks)")


@app.command("disable")
def webhooks_disable(webhook_id: WebhookId, as_json: JsonFlag = False) -> None:
    """Stop sending to a webhook (pending deliveries wait until it is enabled)."""
    from startline.domain.webhooks import service

    def action(session: Session, _: Settings) -> dict[str, Any]:
        service.disable_webhook(session, webhook_id=webhook_id, reason="disabled by an operator")
        return {"webhook_id": webhook_id, "status": "disabled"}

    run(action, as_json=as_json, title="webhook disabled")


@app.command("enable")
def webhooks_enable(webhook_id: WebhookId, as_json: JsonFlag = False) -> None:
    """Send to a disabled webhook again, from now on (the feed has what it missed)."""
    from startline.domain.webhooks import service

    def action(session: Session, _: Settings) -> dict[str, Any]:
        service.enable_webhook(session, webhook_id=webhook_id)
        return {"webhook_id": webhook_id, "status": "enabled"}

    run(action, as_json=as_json, title="webhook enabled")


@app.command("delete")
def webhooks_delete(webhook_id: WebhookId, as_json: JsonFlag = False) -> None:
    """Delete a webhook with its deliveries and their log."""
    from startline.domain.webhooks import service

    def action(session: Session, _: Settings) -> dict[str, Any]:
        service.delete_webhook(session, webhook_id=webhook_id)
        return {"webhook_id": webhook_id, "deleted": True}

    run(action, as_json=as_json, title="webhook deleted")


@app.command("rotate-secret")
def webhooks_rotate_secret(webhook_id: WebhookId, as_json: JsonFlag = False) -> None:
    """A new signing secret (shown only now); the old one also signs for 24 hours."""
    from startline.domain.accounts.secrets import SecretBox
    from startline.domain.webhooks import service

    def action(session: Session, settings: Settings) -> dict[str, Any]:
        secret, until = service.rotate_secret(
            session, webhook_id=webhook_id, box=SecretBox(settings.resolved_secret_key())
        )
        return {"webhook_id": webhook_id, "secret": secret, "previous_secret_signs_until": until}

    run(action, as_json=as_json, title="webhook secret rotated (the secret is shown only now)")


@app.command("deliveries")
def webhooks_deliveries(
    webhook_id: WebhookId,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 20,
    status: Annotated[
        str | None, typer.Option(help="Only pending, delivered or failed ones.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """A webhook's recent deliveries, newest first, each with its attempts."""
    from startline.domain.webhooks import service

    with admin_session() as (session, _):
        rows = service.recent_deliveries(session, webhook_id=webhook_id, limit=limit, status=status)
    shown = []
    for row in rows:
        last = row["log"][-1] if row["log"] else {}
        shown.append(
            {
                **row,
                "last": last.get("status_code") or last.get("error") or "",
                "when": row["next_attempt_at"] or row["finished_at"],
            }
        )
    columns = (
        ("delivery_id", "id"),
        ("type", "type"),
        ("status", "status"),
        ("attempts", "attempts"),
        ("last", "last answer"),
        ("when", "next/finished"),
        ("message_id", "webhook-id"),
    )
    emit_list(rows if as_json else shown, as_json=as_json, columns=columns, empty="(no deliveries)")


@app.command("redeliver")
def webhooks_redeliver(
    webhook_id: WebhookId,
    delivery_id: Annotated[int, typer.Argument(metavar="DELIVERY_ID", help="From deliveries.")],
    as_json: JsonFlag = False,
) -> None:
    """Queue a delivery again, due now (same webhook-id and body, a fresh retry schedule)."""
    from startline.domain.webhooks import service

    def action(session: Session, _: Settings) -> dict[str, Any]:
        delivery = service.redeliver(session, webhook_id=webhook_id, delivery_id=delivery_id)
        return {"webhook_id": webhook_id, "delivery_id": delivery.id, "status": delivery.status}

    run(action, as_json=as_json, title="delivery queued again")


@app.command("test")
def webhooks_test(webhook_id: WebhookId, as_json: JsonFlag = False) -> None:
    """Send a `webhook.test` message now and show the answer (a failure is retried on the
    schedule by the running server or worker)."""
    import secrets
    from datetime import timedelta

    from startline.db.base import utcnow
    from startline.domain.accounts.secrets import SecretBox
    from startline.domain.webhooks import queue, service
    from startline.webhooks import client

    settings = command_settings()
    box = SecretBox(settings.resolved_secret_key())
    with admin_session(settings) as (session, _):
        delivery = service.send_test(session, webhook_id=webhook_id)
        claimed = queue.claim(
            session,
            now=utcnow(),
            lease=timedelta(seconds=settings.webhook_timeout_seconds + 30),
            limit=1,
            claimer=f"cli-{secrets.token_hex(6)}",
            box=box,
            delivery_id=delivery.id,
        )
        if not claimed:  # nothing is kept: this transaction rolls back
            fail(
                f"webhook {webhook_id} cannot sign: its secret cannot be read with this "
                "server's STARTLINE_SECRET_KEY; give it a new one with `startline webhooks "
                f"rotate-secret {webhook_id}`"
            )
    attempt = client.send(
        claimed[0],
        timeout=settings.webhook_timeout_seconds,
        allow_private=settings.webhook_allow_private,
    )
    with admin_session(settings) as (session, _):
        recorded = queue.record(
            session,
            claimed=claimed[0],
            result=attempt,
            schedule=settings.webhook_retry_delays,
            disable_after=timedelta(days=settings.webhook_disable_after_days),
            now=utcnow(),
        )
    result = {
        "webhook_id": webhook_id,
        "delivery_id": delivery.id,
        "type": service.TEST_TYPE,
        "status": recorded.status if recorded else "pending",
        "status_code": attempt.status_code,
        "error": attempt.error,
    }
    emit(result, as_json=as_json, title="test message sent")


@app.command("prune")
def webhooks_prune(
    older_than_days: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Delete finished deliveries older than this many days "
            "(default: STARTLINE_CHANGES_RETENTION_DAYS, 30).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Delete delivered and failed deliveries (and their attempt log) past the retention;
    pending ones are kept."""
    from datetime import timedelta

    from startline.db.base import utcnow
    from startline.domain.webhooks import service

    def action(session: Session, settings: Settings) -> dict[str, Any]:
        days = older_than_days or settings.changes_retention_days
        deleted = service.prune_deliveries(session, older_than=utcnow() - timedelta(days=days))
        return {"deleted": deleted, "older_than_days": days}

    run(action, as_json=as_json, title="webhook deliveries pruned")
