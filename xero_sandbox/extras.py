"""History notes, attachments and online invoice links of the sandbox's documents.

Kept apart from `state.py`: these hang off a document without changing it.
Xero's rules kept here (each with a contract test in tests/test_sandbox_extras.py):

* History notes (https://developer.xero.com/documentation/api/accounting/historyandnotes):
  `PUT /{Endpoint}/{id}/History` adds notes of at most 250 characters
  (`Details`, required); `GET` lists the document's history, newest last,
  with `Changes` "Note" for notes added through the API and the app's name
  as `User`.
* Attachments (https://developer.xero.com/documentation/api/accounting/attachments):
  the raw file is the body (`application/octet-stream`), its name in the
  path; at most 10 a document and 10 MB each; the same name again replaces
  the file. `IncludeOnline=true` (sales invoices only) shows it on the
  online invoice.
* Online invoice (https://developer.xero.com/documentation/api/accounting/invoices,
  "Retrieving the online invoice URL"): sales invoices (ACCREC) only, not
  drafts; the link stays the same for an invoice.
"""

import mimetypes
import secrets

from .query import now
from .state import ApiError, bad_request

HISTORY_DETAILS_MAX = 250
ATTACHMENTS_MAX = 10
ATTACHMENT_BYTES_MAX = 10 * 1024 * 1024
APP_NAME = "Odoo (sandbox app)"


def _kind(match):
    return "Invoice" if "InvoiceID" in match.groupdict() else "CreditNote"


def _doc(tenant, match):
    kind = _kind(match)
    return kind, tenant.get_document(kind, match[tenant.DOCS[kind]["id"]])


def _key(tenant, kind, doc):
    return (kind, doc[tenant.DOCS[kind]["id"]])


def _store(tenant, name):
    if not hasattr(tenant, name):
        setattr(tenant, name, {})
    return getattr(tenant, name)


def _validation(message):
    return ApiError(
        400,
        {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": [{"ValidationErrors": [{"Message": message}]}],
        },
    )


# -- history ---------------------------------------------------------------------


def put_history(sb, tenant, match, query, headers, data):
    kind, doc = _doc(tenant, match)
    records = (data or {}).get("HistoryRecords") if isinstance(data, dict) else None
    if not records:
        raise bad_request("HistoryRecords must hold at least one note.")
    for record in records:
        details = (record or {}).get("Details") or ""
        if not details.strip():
            raise _validation("The Details of a history note must not be empty.")
        if len(details) > HISTORY_DETAILS_MAX:
            raise _validation(f"The Details of a history note must be {HISTORY_DETAILS_MAX} characters or fewer.")
    history = _store(tenant, "history").setdefault(_key(tenant, kind, doc), [])
    added = [{"Changes": "Note", "DateUTC": now(), "User": APP_NAME, "Details": r["Details"]} for r in records]
    history.extend(added)
    return sb.envelope("HistoryRecords", [{"DateUTC": a["DateUTC"], "Details": a["Details"]} for a in added])


def get_history(sb, tenant, match, query, headers, data):
    kind, doc = _doc(tenant, match)
    return sb.envelope("HistoryRecords", list(_store(tenant, "history").get(_key(tenant, kind, doc), [])))


# -- attachments -----------------------------------------------------------------


def _attachment_out(sb, tenant, kind, doc, item):
    endpoint = tenant.DOCS[kind]["store"]  # invoices, credit_notes
    path = "Invoices" if endpoint == "invoices" else "CreditNotes"
    out = {
        "AttachmentID": item["AttachmentID"],
        "FileName": item["FileName"],
        "Url": f"{sb.accounting_url}/{path}/{doc[tenant.DOCS[kind]['id']]}/Attachments/{item['FileName']}",
        "MimeType": item["MimeType"],
        "ContentLength": len(item["content"]),
    }
    if kind == "Invoice":
        out["IncludeOnline"] = item["IncludeOnline"]
    return out


def put_attachment(sb, tenant, match, query, headers, data):
    kind, doc = _doc(tenant, match)
    content = data if isinstance(data, bytes) else b""
    name = match["FileName"]
    if not content:
        raise _validation("The attachment is empty.")
    if len(content) > ATTACHMENT_BYTES_MAX:
        raise _validation("The attachment is larger than 10 MB.")
    online = (query.get("IncludeOnline") or "false").strip().lower() == "true"
    if online and not (kind == "Invoice" and doc["Type"] == "ACCREC"):
        raise _validation("IncludeOnline applies to sales invoices only.")
    files = _store(tenant, "attachments").setdefault(_key(tenant, kind, doc), [])
    same = next((f for f in files if f["FileName"].lower() == name.lower()), None)
    if same is None and len(files) >= ATTACHMENTS_MAX:
        raise _validation(f"A document takes at most {ATTACHMENTS_MAX} attachments.")
    item = same or {"AttachmentID": tenant.new_id(), "FileName": name}
    item.update(
        content=content,
        MimeType=mimetypes.guess_type(name)[0] or "application/octet-stream",
        IncludeOnline=online,
    )
    if same is None:
        files.append(item)
    doc["HasAttachments"] = True
    return sb.envelope("Attachments", [_attachment_out(sb, tenant, kind, doc, item)])


def get_attachments(sb, tenant, match, query, headers, data):
    kind, doc = _doc(tenant, match)
    files = _store(tenant, "attachments").get(_key(tenant, kind, doc), [])
    return sb.envelope("Attachments", [_attachment_out(sb, tenant, kind, doc, f) for f in files])


def get_attachment(sb, tenant, match, query, headers, data):
    kind, doc = _doc(tenant, match)
    files = _store(tenant, "attachments").get(_key(tenant, kind, doc), [])
    wanted = match["FileName"].lower()
    item = next((f for f in files if wanted in (f["FileName"].lower(), f["AttachmentID"])), None)
    if item is None:
        raise ApiError(404, {"Title": "NotFound", "Status": 404, "Detail": "No such attachment"})
    return 200, {"Content-Type": item["MimeType"]}, item["content"]


def attachments_of(tenant, kind, doc_id):
    """The files of a document, as {FileName: (bytes, IncludeOnline)} (a test shortcut)."""
    files = _store(tenant, "attachments").get((kind, doc_id.lower()), [])
    return {f["FileName"]: (f["content"], f["IncludeOnline"]) for f in files}


# -- online invoice ------------------------------------------------------------------


def get_online_invoice(sb, tenant, match, query, headers, data):
    doc = _doc(tenant, match)[1]
    if doc["Type"] != "ACCREC":
        raise _validation("Online invoices are available for sales invoices only.")
    if doc["Status"] in ("DRAFT", "SUBMITTED", "DELETED"):
        raise _validation("An online invoice is available once the invoice is approved.")
    links = _store(tenant, "online_links")
    if doc["InvoiceID"] not in links:
        # Unguessable, made once and kept for the invoice.
        links[doc["InvoiceID"]] = f"https://in.xero.com/{secrets.token_urlsafe(30)}"
    return sb.envelope("OnlineInvoices", [{"OnlineInvoiceUrl": links[doc["InvoiceID"]]}])
