"""Reading a Xero list in resumable steps of one page each.

A first read of a real organisation is tens of thousands of records: it is read
one page per step, each step committed with the cursor below, so memory holds
one page and a worker stopped midway resumes where it stopped.

The read asks for the changes after one moment (`since`, kept for the whole
read), oldest change first (`UpdatedDateUTC ASC`). A record changed while the
read goes on leaves its place for the end of the list: every record after its
old place moves one place towards the start. Read from the start page after
page, the record at the edge of the next page would slip into the page read
already and be skipped. Read from the end towards the start, nothing unread
can slip past the read: an unread record only moves towards the start (away
from what is read) or to the end (changed: then the next read takes it).

So the first page (oldest changes) comes first: Xero's pagination tells how
many records the list holds, and a list of one page is read in one call. Then
the read goes from the list's last page down to the second, in Xero's numbered
pages of `page_size - ANCHORS` records (a tenth of a page at most), so that the
second page starts with the first page's last records (`first`). Found there,
nothing slipped into the first page; else (records of the first page changed)
the first page is read again from them on: one call more, only then. Records
read twice because records moved towards the start (the lowest ones read,
`anchors`, found at the end of the next page) are passed over. The watermark
(`latest`) is the latest change read: changes made after the read took the
list's last page are the next read's, which starts there.

Without Xero's count of records (`left` unknown), or for a cursor of an older
version, the read goes from the start with pages that start a few records
before where it stopped (`skip`, `anchors`, `back`): records after the last
anchor found are the new ones; anchors not found there are looked for a page
further back (more records changed); if every anchor itself changed, the read
starts again from its beginning (records read twice, none lost).

Xero dates changes to the second and If-Modified-Since is read to the second:
the second of the last change read is asked again by the next read, in case a
change was made later in that second. After a bulk import into Xero, that
second holds thousands of records, read again at every read. So a read that
ends also moves its watermark up to Xero's clock when its first page was
served (`served`, the answer's Date header) less `SETTLE`, when the last
change it read is older than that: a change Xero dated that long before the
first page had been saved by then, so this read has it; a change dated later
is above the watermark, so the next read has it. Otherwise the watermark is
the last change read, as without Xero's clock.
"""

from datetime import timedelta

from .gateway import parse_xero_datetime

# What the addon uses (its public API; the rest may change without notice).
__all__ = ["advance", "read_step", "request", "start", "to_read"]

ANCHORS = 2

# How long Xero may take to save a change it has dated (its longest request,
# with room to spare): a change dated that long before a page was served is in it.
SETTLE = timedelta(hours=1)


def start(since=None):
    """A cursor for the changes after `since` (None: the whole list)."""
    text = _text(parse_xero_datetime(since)) if since else None
    return {"since": text, "skip": 0, "anchors": [], "back": 0, "latest": text, "served": None}


def read_step(gateway, kind, cursor, page_size, key, **filters):
    """One step of the read at `cursor`, through `gateway` (its `read_page`): the records
    not read before, the next cursor, whether the list is read to its end, and about
    how many records are left to read (`to_read`)."""
    asked = request(cursor, page_size)
    records, left = gateway.read_page(kind, asked[0], cursor["since"], page_size=asked[1], **filters)
    records, cursor, finished = advance(cursor, records, asked, key, left, gateway.served_at)
    return records, cursor, finished, to_read(cursor, left, page_size)


def request(cursor, page_size):
    """(page, page size, records of that page to pass over) for the next step."""
    down = cursor.get("down")
    if down:
        # From the last page down: pages of a few records less than the first one,
        # the second starting with the first page's anchors; page 1 again (down == 1)
        # when records slipped into it.
        return (down, _grid(page_size), 0) if down > 1 else (1, page_size, 0)
    # From the start (see the module's doc): the page starts at or before the
    # anchors and ends after them; of the page sizes from page_size down to half
    # of it, the one whose page reaches furthest.
    skip = cursor["skip"]
    begin = max(skip - len(cursor["anchors"]) - cursor.get("back", 0), 0)
    if begin == skip:
        return skip // page_size + 1, page_size, skip % page_size
    size = max(range(page_size, page_size // 2, -1), key=lambda z: (begin // z) * z + z)
    first = (begin // size) * size
    return first // size + 1, size, begin - first


def advance(cursor, records, asked, key, left=None, served_at=None):
    """After reading `records`, the page `asked` (what `request` said): the records
    not read before, the next cursor, and whether the list is read to its end.

    `key` gives a record's id (ContactID, InvoiceID...); `left`, the records after
    this page when Xero said it (its pagination): none left ends a read of one
    page without asking for an empty page; `served_at`, Xero's clock when it
    served the page (the gateway's `served_at`)."""
    if cursor.get("served", "") is None:  # the read's first page ("" when Xero did not say)
        cursor = dict(cursor, served=_text(parse_xero_datetime(served_at)) or "")
    if cursor.get("down"):
        records, after, finished = _advance_down(cursor, records, asked, key)
    else:
        records, after, finished = _advance_from_start(cursor, records, asked, key, left)
    if finished and after.get("served"):
        settled = parse_xero_datetime(after["served"]) - SETTLE
        after["latest"] = _text(max(settled, parse_xero_datetime(after["latest"]) or settled))
    return records, after, finished


def _advance_from_start(cursor, records, asked, key, left):
    """A step of the read from the start (see the module's doc)."""
    latest = _latest(cursor, records)
    page, size, passed = asked
    if page == 1 and not passed and not cursor["anchors"] and left and len(records) == size:
        # The first page of a longer list: the rest is read from its last page down.
        count = min(ANCHORS, size // 10)
        after = {
            "since": cursor["since"],
            "served": cursor.get("served"),
            "latest": latest,
            "down": -(-(size + left) // _grid(size)),  # the page holding the last record
            "first": _marks(records[len(records) - count :], key) if count else [],
            "anchors": [],
        }
        return records, after, False
    window = records[passed:]
    if cursor["anchors"]:
        ids = [key(r) for r in window]
        found = [ids.index(a) for a in cursor["anchors"] if a in ids]
        if not found:
            if (page - 1) * size + passed > 0:  # more records changed: look a page further back
                return [], dict(cursor, back=cursor.get("back", 0) + size), False
            return [], dict(cursor, skip=0, anchors=[], back=0), False  # every anchor changed
        window = window[max(found) + 1 :]
    read = cursor["anchors"] + [key(r) for r in window]
    after = {
        "since": cursor["since"],
        "served": cursor.get("served"),
        "skip": (page - 1) * size + len(records),
        "anchors": _last_ones(read, size),
        "back": 0,
        "latest": latest,
    }
    return window, after, len(records) < size or left == 0


def to_read(cursor, left, page_size):
    """About how many records a read has still to read after a step (a progress bar's):
    Xero's count of those after the page for a read from the start; for a read going
    down, the pages still below (`left` then counts records read already)."""
    down = cursor.get("down")
    if down:
        return (down - 1) * _grid(page_size) if down > 1 else page_size
    if "down" in cursor:
        return 0  # read down to its end
    return left


def _advance_down(cursor, records, asked, key):
    """A step of the read from the last page down (see the module's doc)."""
    page, count = asked[0], len(cursor["first"])
    # Records moved down since the page above was read: its lowest ones end this page.
    above = _found(cursor["anchors"], records, key)
    end = min(above) if above else len(records)
    # The first page's anchors, unchanged, can only have stayed at the start of the
    # second page or moved down into the first one.
    first = _found(cursor["first"], records[: count if page == 2 else end], key) if page <= 2 else []
    fresh = records[max(first) + 1 if first else 0 : end]
    # Not the records after the page above's: among them, the changes made since
    # the last page was read, which the next read takes.
    after = dict(cursor, latest=_latest(cursor, records[:end]), anchors=_marks(records[:count], key))
    if page > 2:
        return fresh, dict(after, down=page - 1), False
    if page == 2 and count and not first:
        # Records of the first page changed (or its anchors did): records may have
        # slipped into it; it is read again from its anchors on.
        return fresh, dict(after, down=1), False
    return fresh, dict(after, down=None), True


def _marks(records, key):
    # A record as read: its id and the version (a changed record is another one).
    return [[key(r), _text(parse_xero_datetime(r.get("UpdatedDateUTC")))] for r in records]


def _found(marks, records, key):
    """Where the records of `marks`, as they were read, are in `records`."""
    seen = {tuple(m) for m in marks}
    return [i for i, mark in enumerate(_marks(records, key)) if tuple(mark) in seen]


def _latest(cursor, records):
    times = [parse_xero_datetime(r.get("UpdatedDateUTC")) for r in records]
    return _text(max([t for t in (parse_xero_datetime(cursor["latest"]), *times) if t], default=None))


def _grid(page_size):
    # The pages after the first: page 2 starts with the first page's anchors.
    return page_size - min(ANCHORS, page_size // 10)


def _last_ones(ids, page_size):
    # A tenth of a page at most, so a page always reaches well past them.
    count = min(ANCHORS, page_size // 10)
    return ids[len(ids) - count :] if count else []


def _text(moment):
    return moment.isoformat() if moment else None
