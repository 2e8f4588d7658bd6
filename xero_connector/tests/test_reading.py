"""A list read in resumable steps of one page (reading.py), against the sandbox."""

import json
import random
from datetime import datetime, timedelta, timezone

from xero_connector import reading

KEY = lambda record: record["ContactID"]  # noqa: E731


def read_all(gateway, cursor, page_size, between_steps=None, kind="contacts"):
    """Step until the end, the cursor going through JSON as a job's payload does."""
    seen, steps, finished = [], 0, False
    while not finished:
        fresh, cursor, finished, _left = reading.read_step(gateway, kind, cursor, page_size, KEY)
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


def test_after_a_bulk_import_into_xero_the_next_read_asks_only_for_later_changes(sandbox, make_gateway):
    imported = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
    sandbox.freeze_clock(imported)
    try:
        ids = sandbox.seed_contacts(2500)  # one second holds them all
        # Read ten minutes later: a change dated in that second may still be saved, so
        # the watermark stays there and the next read asks for that second again.
        sandbox.freeze_clock(imported + timedelta(minutes=10))
        _seen, cursor, _steps = read_all(make_gateway(), reading.start(), 1000)
        assert reading.parse_xero_datetime(cursor["latest"]) == imported
        # Read the next day: the watermark is Xero's clock at the read's first page, less an hour.
        sandbox.freeze_clock(imported + timedelta(days=1))
        gateway = make_gateway()
        again, cursor, _steps = read_all(gateway, reading.start(cursor["latest"]), 1000)
        assert len(again) == 2500 and gateway.calls == 3
        assert reading.parse_xero_datetime(cursor["latest"]) == imported + timedelta(days=1, hours=-1)
        sandbox.freeze_clock(imported + timedelta(days=1, minutes=5))
        for contact_id in ids[:5]:
            sandbox.update_contact(contact_id, EmailAddress="later@example.com")
        gateway = make_gateway()
        seen, _cursor, _steps = read_all(gateway, reading.start(cursor["latest"]), 1000)
    finally:
        sandbox.freeze_clock(None)
    assert sorted(seen) == sorted(ids[:5]) and gateway.calls == 1


def test_a_change_dated_before_the_first_page_and_saved_after_the_read_is_the_next_reads(sandbox, make_gateway):
    served = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
    sandbox.freeze_clock(served - timedelta(days=2))
    try:
        ids = sandbox.seed_contacts(250)
        sandbox.freeze_clock(served)
        listed = [c["ContactID"] for c in make_gateway().read_page("contacts", 1, None, page_size=1000)[0]]
        late = listed[120]  # on the second page (98 to 195), not read yet when the last one is

        def a_long_request_ends(step):
            if step == 2:  # the first and the last page are read
                # Xero saves a change it dated half an hour before the first page was
                # served (a long request): it goes where the read has been.
                sandbox.freeze_clock(served - timedelta(minutes=30))
                sandbox.update_contact(late, EmailAddress="late@example.com")
                sandbox.freeze_clock(served + timedelta(hours=2))  # the read goes on later

        gateway = make_gateway()
        seen, cursor, _steps = read_all(gateway, reading.start(), 100, between_steps=a_long_request_ends)
        assert gateway.calls == 3 and sorted(seen) == sorted(set(ids) - {late})
        # The first page's clock less an hour, not the last page's: the change is after it.
        assert reading.parse_xero_datetime(cursor["latest"]) == served - timedelta(hours=1)
        again, _cursor, _steps = read_all(make_gateway(), reading.start(cursor["latest"]), 100)
    finally:
        sandbox.freeze_clock(None)
    assert again == [late]


def test_a_read_without_xero_s_clock_at_its_first_page_keeps_the_latest_change_read():
    rows = [{"ContactID": f"c{i}", "UpdatedDateUTC": moment(i)} for i in range(3)]
    later = datetime(2027, 1, 1, tzinfo=timezone.utc)
    # Xero did not say (no Date header), then said on a later page: the later clock is not the read's.
    _fresh, cursor, finished = reading.advance(reading.start(), rows[:2], (1, 2, 0), KEY, 1, None)
    _fresh, cursor, finished = reading.advance(cursor, rows[2:], (2, 2, 0), KEY, 0, later)
    assert finished and cursor["latest"] == reading.parse_xero_datetime(moment(2)).isoformat()
    # A cursor an older version stored mid-read has no first page's clock either.
    older = {k: v for k, v in reading.start().items() if k != "served"}
    _fresh, cursor, finished = reading.advance(older, rows, (1, 100, 0), KEY, 0, later)
    assert finished and cursor["latest"] == reading.parse_xero_datetime(moment(2)).isoformat()


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


# -- a list of several pages: the first page, then from the last page down ------------------


def moment(second):
    return f"/Date({1793610000000 + second * 1000}+0000)/"


class Listing:
    """A list as Xero pages it, oldest change first (ties by id), with the changes
    someone makes between two steps of the read."""

    def __init__(self, count, per_second=1, idle=0):
        self.times = {f"c{i:05d}": i // per_second for i in range(count)}
        # Xero's clock, in seconds after the first change: the second after the last
        # one, or `idle` seconds later.
        self.clock = (count - 1) // per_second + 1 + idle
        self.calls = 0

    def served_at(self):
        return moment(self.clock)

    def page(self, page, size):
        self.calls += 1
        rows = sorted(self.times.items(), key=lambda item: (item[1], item[0]))
        records = [{"ContactID": i, "UpdatedDateUTC": moment(t)} for i, t in rows[(page - 1) * size : page * size]]
        return records, max(len(rows) - page * size, 0)

    def change(self, *ids):
        self.clock += 1
        for i in ids:
            self.times[i] = self.clock  # to the end of the list

    def read_through(self, cursor, page_size, between_steps=None):
        """(record ids and versions read, the last cursor), the cursor through JSON."""
        seen, finished, steps = [], False, 0
        while not finished:
            asked = reading.request(cursor, page_size)
            records, left = self.page(*asked[:2])
            fresh, cursor, finished = reading.advance(cursor, records, asked, KEY, left, self.served_at())
            cursor = json.loads(json.dumps(cursor))
            seen += [(r["ContactID"], r["UpdatedDateUTC"]) for r in fresh]
            steps += 1
            if between_steps and not finished:
                between_steps(steps, cursor)
        return seen, cursor


def test_a_long_read_costs_its_pages_of_1000_and_one_call():
    # 50 pages of 1,000: the first page, then 50 pages of 998 from the last one down.
    for count, calls in ((50000, 51), (20000, 21), (1000, 1), (1001, 2), (2500, 3)):
        listing = Listing(count, per_second=5000)  # an import: thousands of records a second
        seen, cursor = listing.read_through(reading.start(), 1000)
        assert sorted(seen) == sorted((i, moment(t)) for i, t in listing.times.items())  # each once
        assert listing.calls == calls, count
        last = moment(max(listing.times.values()))
        assert reading.parse_xero_datetime(cursor["latest"]) == reading.parse_xero_datetime(last)


def test_records_of_the_first_page_changed_meanwhile_read_it_again_from_its_anchors():
    listing = Listing(300)
    original = dict(listing.times)

    moved = ("c00010", "c00020", "c00030")

    def someone_edits(step, _cursor):
        if step == 1:  # three records of the first page change: the others move three places down
            listing.change(*moved)

    seen, _cursor = listing.read_through(reading.start(), 100, someone_edits)
    # The first page, pages 4, 3 and 2 of 98: the second no longer starts with the first
    # page's last records (c00098, c00099), c00100 has slipped into the first page. Read
    # again from those records on, it is read, and nothing twice.
    assert listing.calls == 5
    unchanged = {(i, moment(t)) for i, t in original.items() if i not in moved}
    assert unchanged <= set(seen) and len(seen) == len(set(seen))
    assert seen[-1] == ("c00100", moment(100))
    assert ("c00010", moment(listing.clock)) in seen  # read again after its change (on the last page)


def test_records_moving_down_meanwhile_are_not_read_twice():
    listing = Listing(500)

    def someone_edits(step, _cursor):
        if step == 3:  # unread records change: the records read (above them) move down
            listing.change("c00150", "c00151", "c00152")

    seen, cursor = listing.read_through(reading.start(), 100, someone_edits)
    moved = {"c00150", "c00151", "c00152"}
    assert len(seen) == len(set(seen)) == 497  # the others each once
    assert sorted(seen) == sorted((i, moment(t)) for i, t in listing.times.items() if i not in moved)
    # Changed after the last page was read: the next read's (at or after the watermark).
    assert reading.parse_xero_datetime(cursor["latest"]) < reading.parse_xero_datetime(moment(listing.clock))


def test_a_change_after_the_last_page_was_read_is_the_next_reads(sandbox, make_gateway):
    base = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
    sandbox.freeze_clock(base)
    try:
        ids = sandbox.seed_contacts(250)
        listed = [c["ContactID"] for c in make_gateway().read_page("contacts", 1, None, page_size=1000)[0]]
        unread = listed[120]  # on the second page (98 to 195), not read yet when the last one is
        gateway = make_gateway()

        def someone_edits(step):
            if step == 2:  # the last page is read: the change goes where the read has been
                sandbox.freeze_clock(base + timedelta(minutes=5))
                sandbox.update_contact(unread, EmailAddress="meanwhile@example.com")

        seen, cursor, _steps = read_all(gateway, reading.start(), 100, between_steps=someone_edits)
        assert sorted(seen) == sorted(set(ids) - {unread}) and gateway.calls == 3
        assert cursor["latest"].startswith("2026-11-02T09:00:00")  # its change is after the watermark
        again, _cursor, _steps = read_all(gateway, reading.start(cursor["latest"]), 100)
        assert unread in again  # (with the watermark's second again, all of them here)
    finally:
        sandbox.freeze_clock(None)


def test_no_record_is_lost_whatever_changes_meanwhile():
    """Random edits, new records and records leaving the list between steps, and workers
    stopped before their step was committed: every record unchanged during the read is
    read, and every change is read or after the watermark (the next read's)."""
    for seed in range(300):
        rng = random.Random(seed)
        size = rng.choice([10, 100])
        count = rng.choice([9, 10, 11, 25, 99, 100, 101, 250, 1001])
        listing = Listing(count, per_second=rng.choice([1, 7, 300]), idle=rng.choice([0, 3000, 7200]))
        original = dict(listing.times)
        changed = set()
        cursor, finished, seen = reading.start(), False, set()
        while not finished:
            asked = reading.request(cursor, size)
            records, left = listing.page(*asked[:2])
            if rng.random() < 0.2:
                continue  # the worker died before committing: its page is asked again
            fresh, cursor, finished = reading.advance(cursor, records, asked, KEY, left, listing.served_at())
            cursor = json.loads(json.dumps(cursor))
            seen |= {(r["ContactID"], r["UpdatedDateUTC"]) for r in fresh}
            for _ in range(rng.choice([0, 1, 3])):
                ids = sorted(listing.times)
                edit = rng.choice(["change", "new", "gone"])
                if edit == "change":
                    picked = rng.choice(ids)
                    changed.add(picked)
                    listing.change(picked)
                elif edit == "new":
                    listing.clock += 1
                    changed.add(f"n{listing.clock:05d}")
                    listing.times[f"n{listing.clock:05d}"] = listing.clock
                else:
                    gone = rng.choice(ids)
                    changed.add(gone)
                    del listing.times[gone]
        assert {(i, moment(t)) for i, t in original.items() if i not in changed} <= seen, seed
        watermark = reading.parse_xero_datetime(cursor["latest"])
        for i in changed & set(listing.times):
            version = (i, moment(listing.times[i]))
            assert version in seen or reading.parse_xero_datetime(version[1]) >= watermark, seed


def test_what_is_left_to_read_goes_down_to_nothing_step_after_step(sandbox, make_gateway):
    """The job's progress bar: about the records not read yet, fewer after each step, none at the end."""
    sandbox.seed_contacts(1000)
    gateway, cursor, finished, read, steps = make_gateway(), reading.start(), False, 0, []
    while not finished:
        asked = reading.request(cursor, 100)
        records, left = gateway.read_page("contacts", asked[0], cursor["since"], page_size=asked[1])
        fresh, cursor, finished = reading.advance(cursor, records, asked, KEY, left)
        read += len(fresh)
        steps.append((read, reading.to_read(cursor, left, 100)))
    # The first page, then pages of 98 from the last one (page 11, 20 records) down: about 900 left.
    assert steps[0][0] == 100 and 900 <= steps[0][1] <= 1000
    assert all(done + left >= 1000 for done, left in steps)
    assert [left for _done, left in steps] == sorted((left for _done, left in steps), reverse=True)
    assert steps[-1] == (1000, 0)
