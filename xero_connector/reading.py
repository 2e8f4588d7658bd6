"""Reading a Xero list in resumable steps of one page each.

A first read of a real organisation is tens of thousands of records: it is read
one page per step, each step committed with the cursor below, so memory holds
one page and a worker stopped midway resumes where it stopped.

The read asks for the changes after one moment (`since`, kept for the whole
read), oldest change first (`UpdatedDateUTC ASC`), and counts the records read
(`skip`). A record changed while the read goes on leaves its place for the end
of the list, where it is read again; the records after its old place move up by
one, so counting alone would skip one. The cursor therefore keeps the ids of the
last records read (`anchors`) and each step asks for a page that starts a few
records before where it stopped: the records after the last anchor found are
the new ones. Anchors not found there are looked for a page further back (more
records changed); if every anchor itself changed, the read starts again from
its beginning (records read twice, none lost).
"""

from .gateway import parse_xero_datetime

ANCHORS = 2


def start(since=None):
    """A cursor for the changes after `since` (None: the whole list)."""
    text = _text(parse_xero_datetime(since)) if since else None
    return {"since": text, "skip": 0, "anchors": [], "back": 0, "latest": text}


def request(cursor, page_size):
    """(page, page size, records of that page to pass over) for the next step.

    The page starts at or before the anchors and ends after them: of the page
    sizes from page_size down to half of it, the one whose page reaches furthest.
    """
    skip = cursor["skip"]
    begin = max(skip - len(cursor["anchors"]) - cursor.get("back", 0), 0)
    if begin == skip:
        return skip // page_size + 1, page_size, skip % page_size
    size = max(range(page_size, page_size // 2, -1), key=lambda z: (begin // z) * z + z)
    first = (begin // size) * size
    return first // size + 1, size, begin - first


def advance(cursor, records, asked, key, left=None):
    """After reading `records`, the page `asked` (what `request` said): the records
    not read before, the next cursor, and whether the list is read to its end.

    `key` gives a record's id (ContactID, InvoiceID...); `left`, the records after
    this page when Xero said it (its pagination): none left ends the read without
    asking for an empty page."""
    page, size, passed = asked
    window = records[passed:]
    if cursor["anchors"]:
        ids = [key(r) for r in window]
        found = [ids.index(a) for a in cursor["anchors"] if a in ids]
        if not found:
            if (page - 1) * size + passed > 0:  # more records changed: look a page further back
                return [], dict(cursor, back=cursor.get("back", 0) + size), False
            return [], dict(cursor, skip=0, anchors=[], back=0), False  # every anchor changed
        window = window[max(found) + 1 :]
    times = [parse_xero_datetime(r.get("UpdatedDateUTC")) for r in records]
    latest = max([t for t in (parse_xero_datetime(cursor["latest"]), *times) if t], default=None)
    read = cursor["anchors"] + [key(r) for r in window]
    after = {
        "since": cursor["since"],
        "skip": (page - 1) * size + len(records),
        "anchors": _last_ones(read, size),
        "back": 0,
        "latest": _text(latest),
    }
    return window, after, len(records) < size or left == 0


def _last_ones(ids, page_size):
    # A tenth of a page at most, so a page always reaches well past them.
    count = min(ANCHORS, page_size // 10)
    return ids[len(ids) - count :] if count else []


def _text(moment):
    return moment.isoformat() if moment else None
