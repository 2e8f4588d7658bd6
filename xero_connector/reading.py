"""Reading a Xero list in resumable steps of one page each.

A first read of a real organisation is tens of thousands of records: it is read
one page per step, each step committed with the cursor below, so memory holds
one page and a worker stopped midway resumes where it stopped.

Pages come oldest change first (`UpdatedDateUTC ASC`), and the cursor moves on
the change time: a step asks for the changes from the second of the last record
read (Xero works to the second), skipping the records of that second it has
read already. A record changed while the read goes on moves to the end of the
list, where it is read again; it no longer sits among the records of its old
second, so the records after it move up by one: the cursor keeps the ids of the
last records read (`anchors`) and looks for them a little before where it
stopped, so no record is skipped. If more of them changed than it keeps, that
second is read again from its start (records read twice, none lost).
"""

from .gateway import parse_xero_datetime

ANCHORS = 3


def start(since=None):
    """A cursor for the changes after `since` (None: the whole list)."""
    text = _text(parse_xero_datetime(since)) if since else None
    return {"since": text, "skip": 0, "anchors": [], "latest": text}


def request(cursor, page_size):
    """(page, page size, records of that page to pass over) for the next step.

    The page starts at or before the last records read (to find the anchors) and
    ends after them: of the page sizes from page_size down to half of it, the
    one whose page reaches furthest past the stop.
    """
    skip, begin = cursor["skip"], cursor["skip"] - len(cursor["anchors"])
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
            # More records of this second changed than the anchors cover: read it again.
            return [], dict(cursor, skip=0, anchors=[]), False
        window = window[max(found) + 1 :]
    times = {key(r): _second(r) for r in records}
    latest = max([t for t in (parse_xero_datetime(cursor["latest"]), *times.values()) if t], default=None)
    finished = len(records) < size or left == 0
    since = parse_xero_datetime(cursor["since"]) if cursor["since"] else None
    last = max(times.values(), default=None)
    if last and (since is None or last > since):
        # Now at the second of the last record read: the page's records of that second are read.
        in_last = [key(r) for r in records if times[key(r)] == last]
        after = {"since": _text(last), "skip": len(in_last), "anchors": _last_ones(in_last, size)}
    else:
        read = cursor["anchors"] + [key(r) for r in window]
        after = {"since": cursor["since"], "skip": (page - 1) * size + len(records), "anchors": _last_ones(read, size)}
    return window, dict(after, latest=_text(latest)), finished


def _last_ones(ids, page_size):
    # A tenth of a page at most, so a page always reaches well past them.
    count = min(ANCHORS, page_size // 10)
    return ids[len(ids) - count :] if count else []


def _second(record):
    moment = parse_xero_datetime(record.get("UpdatedDateUTC"))
    return moment.replace(microsecond=0) if moment else None


def _text(moment):
    return moment.isoformat() if moment else None
