"""A list read in resumable steps of one page (reading.py), against the sandbox."""

import json
from datetime import datetime, timedelta, timezone

from xero_connector import reading

KEY = lambda record: record["ContactID"]  # noqa: E731


def read_all(gateway, cursor, page_size, between_steps=None, kind="contacts"):
    """Step until the end, the cursor going through JSON as a job's payload does."""
    seen, steps, finished = [], 0, False
    while not finished:
        asked = reading.request(cursor, page_size)
        records, left = gateway.read_page(kind, asked[0], cursor["since"], page_size=asked[1])
        fresh, cursor, finished = reading.advance(cursor, records, asked, KEY, left)
        seen += [r["ContactID"] for r in fresh]
        cursor = json.loads(json.dumps(cursor))
        steps += 1
        if between_steps and not finished:
            between_steps(steps)
    return seen, cursor, steps


def test_a_first_read_takes_every_record_once_page_by_page(sandbox, make_gateway):
    ids = sandbox.seed_contacts(250)  # all made in one second, as an import into Xero does
    gateway = make_gateway()
    seen, cursor, steps = read_all(gateway, reading.start(), 100)
    assert sorted(seen) == sorted(ids)
    assert steps == gateway.calls == 3
    assert cursor["latest"]


def test_a_record_changed_during_the_read_is_read_and_none_is_skipped(sandbox, make_gateway):
    base = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
    ids = []
    for minute in range(5):  # five seconds of changes, 60 contacts each
        sandbox.freeze_clock(base + timedelta(minutes=minute))
        ids += sandbox.seed_contacts(60, prefix=f"Minute {minute}")
    gateway = make_gateway()

    def someone_edits(step):
        # Someone changes a contact already read: it moves to the end of the list.
        if step == 1:
            sandbox.freeze_clock(base + timedelta(hours=1))
            sandbox.update_contact(ids[3], EmailAddress="changed@example.com")

    try:
        seen, cursor, _steps = read_all(gateway, reading.start(), 100, between_steps=someone_edits)
    finally:
        sandbox.freeze_clock(None)
    assert sorted(seen) == sorted([*ids, ids[3]])  # each once, the changed one again after its change
    assert cursor["latest"].startswith("2026-11-02T10:00:00")


def test_a_stopped_read_resumes_at_its_page(sandbox, make_gateway):
    ids = sandbox.seed_contacts(250)
    gateway = make_gateway()
    cursor = reading.start()
    records, left = gateway.read_page("contacts", 1, None, page_size=100)
    assert len(records) == 100 and left == 150
    records, cursor, finished = reading.advance(cursor, records, (1, 100, 0), KEY)
    assert not finished
    # The worker stops here; another one takes the cursor the step committed.
    resumed = make_gateway()
    rest, _cursor, steps = read_all(resumed, json.loads(json.dumps(cursor)), 100)
    assert sorted([r["ContactID"] for r in records] + rest) == sorted(ids)
    assert steps == 2 and resumed.calls == 2


def test_the_next_read_asks_only_for_later_changes(sandbox, make_gateway):
    ids = sandbox.seed_contacts(30)
    gateway = make_gateway()
    _seen, cursor, _steps = read_all(gateway, reading.start(), 100)
    sandbox.freeze_clock(datetime.now(timezone.utc) + timedelta(minutes=5))
    try:
        sandbox.update_contact(ids[7], EmailAddress="later@example.com")
        seen, _cursor, steps = read_all(gateway, reading.start(cursor["latest"]), 100)
    finally:
        sandbox.freeze_clock(None)
    # One call; the second of the last read comes again (Xero works to the second):
    # the records it holds are known and skipped by the reader's caller.
    assert ids[7] in seen and steps == 1


def test_advance_without_records():
    fresh, cursor, finished = reading.advance(reading.start("2026-11-02T09:00:00+00:00"), [], (1, 100, 0), KEY)
    assert finished and not fresh and cursor["latest"] == "2026-11-02T09:00:00+00:00"


def test_more_changes_than_anchors_read_the_second_again():
    second = "/Date(1793610000000+0000)/"  # every record of the same second
    rows = [{"ContactID": f"c{i:03d}", "UpdatedDateUTC": second} for i in range(300)]

    def step(cursor, listing):
        asked = reading.request(cursor, 100)
        page, size, _passed = asked
        fresh, cursor, finished = reading.advance(cursor, listing[(page - 1) * size : page * size], asked, KEY)
        return [r["ContactID"] for r in fresh], cursor, finished

    read, cursor, _finished = step(reading.start(), rows)
    assert read == [f"c{i:03d}" for i in range(100)] and cursor["skip"] == 100
    # One record read changes (moves to the end): the others move up by one.
    listing = [r for r in rows if r["ContactID"] != "c010"] + [rows[10]]
    fresh, cursor, _finished = step(cursor, listing)
    read += fresh
    assert fresh[0] == "c100"  # not skipped though it moved into the page read already
    # Then records read change, the anchors among them: they are looked for further
    # back, then the read starts again; nothing is lost.
    moved = set(read[-20:])
    listing = [r for r in listing if r["ContactID"] not in moved] + [r for r in listing if r["ContactID"] in moved]
    fresh, again, finished = step(cursor, listing)
    assert not fresh and not finished and again["back"] > 0
    while not finished:
        fresh, again, finished = step(again, listing)
        read += fresh
    assert set(read) == {r["ContactID"] for r in rows}


def test_the_page_asked_always_holds_a_record_after_the_anchors():
    for skip in range(11, 5000, 7):
        cursor = dict(reading.start(), skip=skip, anchors=[f"a{i}" for i in range(reading.ANCHORS)])
        page, size, passed = reading.request(cursor, 1000)
        first = (page - 1) * size
        assert first + passed == skip - reading.ANCHORS and 500 < size <= 1000
        assert first + size - skip >= 490  # each step reads at least half a page of new records
