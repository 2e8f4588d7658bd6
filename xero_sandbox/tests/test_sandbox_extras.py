"""History notes, attachments and online invoice links: the sandbox keeps Xero's rules,
and the gateway's calls for them pass Xero's OpenAPI description (the sandbox checks both)."""

import pytest
import requests

from xero_connector import errors
from xero_connector.gateway import StaticToken, XeroGateway
from xero_sandbox import extras
from xero_sandbox.server import DEFAULT_SCOPE

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
WITH_FILES = DEFAULT_SCOPE + " accounting.attachments"


def gateway(sandbox, scope=WITH_FILES):
    token = sandbox.issue_token(scope=scope)["access_token"]
    return XeroGateway(sandbox.tenant_id, StaticToken(token), base_url=sandbox.accounting_url, sleep=lambda s: None)


def documents(sandbox, status="AUTHORISED", kind="invoice"):
    """A contact and one approved sales invoice (or credit note) of it: (gateway, Xero id)."""
    gw = gateway(sandbox)
    [contact] = gw.save_contacts([{"Name": "Kiwi Ltd"}], operation="c").saved
    line = {"Description": "Work", "Quantity": 1, "UnitAmount": 100, "AccountCode": "200", "TaxType": "OUTPUT"}
    doc = {"Contact": {"ContactID": contact.record["ContactID"]}, "Date": "2026-11-10", "Status": status}
    if kind == "invoice":
        doc.update(Type="ACCREC", DueDate="2026-11-20", LineItems=[line])
        [saved] = gw.create_invoices([doc], operation="i").saved
        return gw, saved.record["InvoiceID"]
    doc.update(Type="ACCRECCREDIT", LineItems=[line])
    [saved] = gw.create_credit_notes([doc], operation="n").saved
    return gw, saved.record["CreditNoteID"]


def history(sandbox, endpoint, xero_id):
    token = sandbox.issue_token()["access_token"]
    answer = requests.get(
        f"{sandbox.accounting_url}/{endpoint}/{xero_id}/History",
        headers={"Authorization": f"Bearer {token}", "xero-tenant-id": sandbox.tenant_id},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["HistoryRecords"]


@pytest.mark.parametrize(("kind", "endpoint"), [("invoice", "Invoices"), ("credit_note", "CreditNotes")])
def test_history_notes_are_kept_in_order_and_a_retry_adds_none(sandbox, kind, endpoint):
    gw, xero_id = documents(sandbox, kind=kind)
    gw.add_history_note(kind, xero_id, "Sent from Odoo.", operation="note-1")
    gw.add_history_note(kind, xero_id, "Sent from Odoo.", operation="note-1")  # a retry: same key
    gw.add_history_note(kind, xero_id, "Updated from Odoo.", operation="note-2")
    notes = history(sandbox, endpoint, xero_id)
    assert [(n["Changes"], n["Details"]) for n in notes] == [
        ("Note", "Sent from Odoo."),
        ("Note", "Updated from Odoo."),
    ]
    assert sandbox.validation_errors == []


def test_a_history_note_over_250_characters_is_refused(sandbox):
    gw, invoice_id = documents(sandbox)
    token = sandbox.issue_token()["access_token"]
    answer = requests.put(
        f"{sandbox.accounting_url}/Invoices/{invoice_id}/History",
        json={"HistoryRecords": [{"Details": "x" * 251}]},
        headers={"Authorization": f"Bearer {token}", "xero-tenant-id": sandbox.tenant_id},
        timeout=10,
    )
    assert answer.status_code == 400
    assert "250 characters" in answer.text
    # The gateway keeps a note within Xero's limit.
    gw.add_history_note("invoice", invoice_id, "y" * 300, operation="long")
    assert [len(n["Details"]) for n in history(sandbox, "Invoices", invoice_id)] == [250]


def test_history_of_an_unknown_document_is_not_found(sandbox):
    gw, _invoice_id = documents(sandbox)
    with pytest.raises(errors.XeroNotFoundError):
        gw.add_history_note("invoice", "7e357a45-69f5-4e8f-8d7b-15da8ef50aab", "Hello", operation="x")


def test_an_attachment_arrives_as_sent_and_the_same_name_replaces_it(sandbox):
    gw, invoice_id = documents(sandbox)
    saved = gw.attach_to_invoice(invoice_id, "INV-1.pdf", PDF, operation="pdf", include_online=True)
    assert (saved["FileName"], saved["MimeType"], saved["ContentLength"]) == ("INV-1.pdf", "application/pdf", len(PDF))
    tenant = sandbox.tenants[sandbox.tenant_id]
    assert extras.attachments_of(tenant, "Invoice", invoice_id) == {"INV-1.pdf": (PDF, True)}
    gw.attach_to_invoice(invoice_id, "INV-1.pdf", PDF + b"%2", operation="pdf-2")
    assert extras.attachments_of(tenant, "Invoice", invoice_id) == {"INV-1.pdf": (PDF + b"%2", False)}
    # The request was checked against Xero's description (a raw file, not JSON).
    assert [r["status"] for r in sandbox.request_log if "/Attachments/" in r["path"]] == [200, 200]
    assert sandbox.validation_errors == []


def test_attachments_need_their_scope_and_stop_at_ten(sandbox):
    gw, invoice_id = documents(sandbox)
    without = gateway(sandbox, scope=DEFAULT_SCOPE)
    with pytest.raises(errors.XeroAuthError):
        without.attach_to_invoice(invoice_id, "a.pdf", PDF, operation="no-scope")
    for n in range(10):
        gw.attach_to_invoice(invoice_id, f"{n}.pdf", PDF, operation=f"file-{n}")
    with pytest.raises(errors.XeroValidationError, match="at most 10"):
        gw.attach_to_invoice(invoice_id, "11.pdf", PDF, operation="file-11")


def test_online_invoice_link_for_approved_sales_invoices_only(sandbox):
    gw, invoice_id = documents(sandbox)
    link = gw.get_online_invoice_url(invoice_id)
    assert link.startswith("https://in.xero.com/")
    assert gw.get_online_invoice_url(invoice_id) == link, "the same link every time"
    _gw, draft_id = documents(sandbox, status="DRAFT")
    with pytest.raises(errors.XeroError, match="approved"):
        gw.get_online_invoice_url(draft_id)


def test_the_request_log_is_served_to_benchmarks_run_in_another_process(sandbox):
    # `make bench` counts every call and every page Xero served from it (scripts/bench_first_read_odoo.py).
    sandbox.seed_contacts(3)
    gw = gateway(sandbox)
    gw.read_page("contacts", 1, "2026-01-01T00:00:00", page_size=10)
    gw.read_page("contacts", 2, page_size=10)
    entries = requests.get(f"{sandbox.base_url}/_sandbox/log", timeout=10).json()["entries"]
    contacts = [e for e in entries if e["path"].endswith("/Contacts")]
    assert [(e["method"], e["status"]) for e in contacts] == [("GET", 200), ("GET", 200)]
    assert "page=1" in contacts[0]["query"] and "page=2" in contacts[1]["query"]
    assert contacts[0]["if_modified_since"] and not contacts[1]["if_modified_since"]
    later = requests.get(f"{sandbox.base_url}/_sandbox/log", params={"start": len(entries)}, timeout=10).json()
    assert [e["path"] for e in later["entries"]] == ["/_sandbox/log"], "from the n-th on: the first call to the log"
