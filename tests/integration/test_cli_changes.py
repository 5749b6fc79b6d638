"""`startline changes prune`: entries past the retention go, newer ones stay, and the feed's
cursors from before them are refused from then on."""

from datetime import timedelta

from sqlalchemy import select

from startline.db.base import utcnow
from startline.domain.changes.journal import Entry, record
from startline.domain.changes.models import Change
from startline.domain.changes.reading import journal_info
from startline.domain.changes.types import ChangeType
from tests.support.cli import ok_json


def test_changes_prune_keeps_the_retention(cli, db):
    now = utcnow()
    with db.transaction() as s:
        for days in (40, 31, 2):
            record(
                s,
                Entry(
                    type=ChangeType.RACE_UPDATED,
                    race_id=1,
                    entity=f'"{days}"',
                    occurred_at=now - timedelta(days=days),
                ),
            )
    assert ok_json(cli("changes", "prune", "--json"))["deleted"] == 2
    with db.reading() as s:
        assert s.execute(select(Change.entity)).scalars().all() == ['"2"']
        kept_after = journal_info(s).pruned_through
    assert kept_after == 2
    result = ok_json(cli("changes", "prune", "--older-than-days", "1", "--json"))
    assert result == {"deleted": 1, "kept_after_position": 3, "older_than_days": 1}
