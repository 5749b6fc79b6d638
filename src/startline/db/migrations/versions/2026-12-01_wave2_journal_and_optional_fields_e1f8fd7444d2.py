"""wave 2: the change journal; optional bib, chip and birth date; a runner's origin, search
text and last change; a race's public flag

Revision ID: e1f8fd7444d2
Revises: e4e506c9ef0e
Create Date: 2026-12-01 12:30:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import startline.db.base
from startline.domain.participants.search import search_text

revision: str = "e1f8fd7444d2"
down_revision: str | None = "e4e506c9ef0e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "changes",
        sa.Column("position", _POSITION, autoincrement=True, nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", startline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("race_id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("batch_id", sa.BigInteger(), nullable=True),
        sa.Column("entity", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_changes")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.create_index("ix_changes_race_id_position", ["race_id", "position"], unique=False)

    journal_state = op.create_table(
        "journal_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("head", sa.BigInteger(), nullable=False),
        sa.Column("epoch", sa.String(length=32), nullable=False),
        sa.Column("pruned_through", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_state")),
    )
    op.bulk_insert(
        journal_state, [{"id": 1, "head": 0, "epoch": secrets.token_hex(8), "pruned_through": 0}]
    )

    with op.batch_alter_table("races", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_public", sa.Boolean(), server_default=sa.true(), nullable=False)
        )

    # SQLite rebuilds the table (its columns cannot become nullable in place) and gets
    # AUTOINCREMENT on the way, so a deleted runner's id is never handed out again.
    with op.batch_alter_table(
        "participants", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.alter_column("start_number", existing_type=sa.String(length=100), nullable=True)
        batch_op.alter_column("chip_code", existing_type=sa.String(length=32), nullable=True)
        batch_op.alter_column("date_of_birth", existing_type=sa.Date(), nullable=True)
        batch_op.add_column(
            sa.Column("origin", sa.String(length=16), server_default="tracx", nullable=False)
        )
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("last_change", sa.String(length=8), server_default="created", nullable=False)
        )

    # Existing runners get their search text (the folding rule lives in the domain).
    connection = op.get_bind()
    participants = sa.table(
        "participants",
        sa.column("id", sa.Integer),
        sa.column("first_name", sa.String),
        sa.column("last_name", sa.String),
        sa.column("search_text", sa.Text),
    )
    rows = connection.execute(
        sa.select(participants.c.id, participants.c.first_name, participants.c.last_name)
    ).all()
    if rows:
        connection.execute(
            participants.update()
            .where(participants.c.id == sa.bindparam("row_id"))
            .values(search_text=sa.bindparam("text")),
            [{"row_id": r.id, "text": search_text(r.first_name, r.last_name)} for r in rows],
        )


def downgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("last_change")
        batch_op.drop_column("search_text")
        batch_op.drop_column("origin")
        batch_op.alter_column("date_of_birth", existing_type=sa.Date(), nullable=False)
        batch_op.alter_column("chip_code", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("start_number", existing_type=sa.String(length=100), nullable=False)
    with op.batch_alter_table("races", schema=None) as batch_op:
        batch_op.drop_column("is_public")
    op.drop_table("journal_state")
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_index("ix_changes_race_id_position")
    op.drop_table("changes")
