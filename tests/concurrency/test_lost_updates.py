"""The storm's lost-update judge itself: it must see a lost update, and accept any order
of writes that overlapped in time."""

from tests.concurrency.storm import Write, lost_updates


def write(client: str, sent: float, answered: float, value: str) -> Write:
    return Write(client, sent, answered, 200, {"r": (value,)})


def test_overlapping_writes_may_end_either_way():
    a, b = write("a", 0, 2, "A"), write("b", 1, 3, "B")
    assert lost_updates([a, b], {"r": ("A",)}) == []
    assert lost_updates([a, b], {"r": ("B",)}) == []


def test_a_write_answered_before_another_began_cannot_be_final():
    first, second = write("a", 0, 1, "A"), write("b", 2, 3, "B")
    assert lost_updates([first, second], {"r": ("B",)}) == []
    assert len(lost_updates([first, second], {"r": ("A",)})) == 1


def test_a_value_nobody_acknowledged_is_reported():
    assert len(lost_updates([write("a", 0, 1, "A")], {"r": ("X",)})) == 1
    assert len(lost_updates([write("a", 0, 1, "A")], {})) == 1
