"""The narrowest interleaving of the storm, made deterministic: a batch upsert holds its edition
and has read the edition's events when a race edit that deletes one of them (empty at its
check) starts; then the batch writes a runner into that event. Exactly one side wins with a
clean answer (the edit 293, or the batch a 422), never a deadlock or a constraint error."""

from __future__ import annotations

import threading
import time
from datetime import date

from sqlalchemy import select

from startline.dialects.runsignup.signature import sign
from startline.domain.accounts import service as accounts
from startline.domain.participants.errors import EditionNotFound, UnknownEvent
from startline.domain.participants.models import Participant
from startline.domain.participants.service import ParticipantChange, upsert_participants
from startline.domain.races.models import Edition, Event
from tests.contract.runsignup.conftest import race_doc, to_xml
from tests.support.world import seed_race


def test_an_event_delete_racing_a_batch_into_it(client, app, db):
    race = seed_race(db, events=2)
    keep, doomed = race.event_ids
    with db.transaction() as session:
        key = accounts.create_api_key(session, email=race.owner_email)
        partner = accounts.create_partner(session, name="P", box=app.state.services.box)
    doc = race_doc(name="Edited")
    doc.pop("url_string")
    doc["events"] = [{**doc["events"][0], "event_id": keep}]
    params = {
        "format": "json",
        "api_key": key.key,
        "api_secret": key.secret,
        "protected_api_signature": sign(
            partner.signing_id, partner.signing_secret, int(time.time()), "deletes1"
        ),
    }
    answers: list[dict] = []

    def edit() -> None:
        answers.append(
            client.post(
                "/rest/race",
                params=params,
                data={
                    "race_id": str(race.race_id),
                    "request_format": "xml",
                    "request": to_xml(doc),
                },
            ).json()
        )

    change = ParticipantChange(
        event_id=doomed,
        unique_id="u1",
        first_name="A",
        last_name="B",
        date_of_birth=date(1990, 1, 1),
        start_number="1",
        chip_code="CHIP001",
    )
    editor = threading.Thread(target=edit)
    batch_outcome: object = None
    with db.transaction() as session:
        # What upsert_participants does first: lock the edition, read its events.
        session.execute(
            select(Edition.id).where(Edition.id == race.edition_id).with_for_update(key_share=True)
        )
        session.execute(select(Event.id).where(Event.edition_id == race.edition_id)).all()
        editor.start()
        time.sleep(1.0)  # the edit runs as far as it can
        try:
            with session.begin_nested():
                batch_outcome = upsert_participants(
                    session, edition_id=race.edition_id, rows=[change.as_row()]
                )
        except (UnknownEvent, EditionNotFound) as refused:
            batch_outcome = refused
    editor.join(timeout=60)
    assert not editor.is_alive()
    [answer] = answers
    with db.reading() as session:
        stored = session.execute(select(Participant.event_id)).scalars().all()
        events = set(session.execute(select(Event.id)).scalars())
    if "race" in answer:  # the delete won: the batch was refused and wrote nothing
        assert isinstance(batch_outcome, UnknownEvent | EditionNotFound)
        assert stored == [] and doomed not in events
    else:  # the batch won: the event keeps its runner and the edit is refused with 293
        assert answer["error"]["error_code"] == 213, answer
        assert [d["error_code"] for d in answer["error"]["error_details"]] == [293]
        assert stored == [doomed] and doomed in events
