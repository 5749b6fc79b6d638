"""`startline partners`: registration partners and their signing identities."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from startline.cli.database import admin_session, run
from startline.cli.errors import fail
from startline.cli.options import JsonFlag, command_group
from startline.cli.output import emit_rows

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from startline.settings import Settings

app = command_group("Registration partners and their signing identities.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="partners")


@app.command("create")
def partners_create(name: str, as_json: JsonFlag = False) -> None:
    """Create a partner with a partner token and a signing identity (secrets shown only now)."""
    from startline.domain.accounts import service as accounts
    from startline.domain.accounts.secrets import SecretBox

    def action(session: Session, settings: Settings) -> dict[str, Any]:
        issued = accounts.create_partner(
            session, name=name, box=SecretBox(settings.resolved_secret_key())
        )
        return {
            "partner_id": issued.partner_id,
            "partner_token": issued.partner_token,
            "signing_id": issued.signing_id,
            "signing_secret": issued.signing_secret,
        }

    run(action, as_json=as_json, title="partner created")


@app.command("sign")
def partners_sign(signing_id: int) -> None:
    """Print a fresh protected_api_signature for a signing identity (valid 5 minutes, once).

    Some clients run this once per request: it imports only what it needs."""
    from startline.domain.accounts.models import SigningIdentity
    from startline.domain.accounts.secrets import SecretBox
    from startline.domain.accounts.signing import fresh_signature

    with admin_session() as (session, settings):
        identity = session.get(SigningIdentity, signing_id)
        if identity is None or identity.revoked_at is not None:
            fail(f"no active signing identity {signing_id}")
        secret = SecretBox(settings.resolved_secret_key()).open(identity.secret_encrypted)
    print(fresh_signature(signing_id, secret))


@app.command("list")
def partners_list(as_json: JsonFlag = False) -> None:
    """List partners and their active signing identities (never their secrets)."""
    from startline.domain.accounts import service as accounts

    with admin_session() as (session, _):
        rows = [
            {
                "partner_id": partner.id,
                "name": partner.name,
                "signing_ids": accounts.active_signing_ids(session, partner_id=partner.id),
                "created_at": partner.created_at.isoformat(),
                "revoked": partner.revoked_at is not None,
            }
            for partner in accounts.list_partners(session)
        ]
    emit_rows(
        rows,
        as_json=as_json,
        key="partners",
        columns=(
            ("partner_id", "id"),
            ("name", "name"),
            ("signing_ids", "signing ids"),
            ("created_at", "created"),
            ("revoked", "revoked"),
        ),
    )


@app.command("revoke")
def partners_revoke(partner_id: int, as_json: JsonFlag = False) -> None:
    """Revoke a partner: its partner token and signing identities stop working at once."""
    from startline.domain.accounts import service as accounts

    def action(session: Session, _: Settings) -> dict[str, Any]:
        accounts.revoke_partner(session, partner_id=partner_id)
        return {"partner_id": partner_id, "revoked": True}

    run(action, as_json=as_json, title="partner revoked")
