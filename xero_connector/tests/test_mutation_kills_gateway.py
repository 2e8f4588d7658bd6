"""Gateway behaviours mutation testing found unpinned (`make mutation`, gateway.py).

Each test states what the addon relies on: the request Xero receives (as the
sandbox logged it), the records handed back, the error raised and its words.
Where the sandbox cannot give an answer, the SDK's ApiException is handed to
the translation directly.
"""

from urllib.parse import parse_qs

import pytest
import urllib3
from xero_python.exceptions import ApiException

from xero_connector import errors
from xero_connector import gateway as gw
from xero_connector.gateway import StaticToken, XeroGateway
from xero_sandbox.testing import sdk_error

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def queries(sandbox, path_end):
    """The query parameters of each GET whose path ends with `path_end`."""
    return [parse_qs(r["query"]) for r in sandbox.request_log if r["method"] == "GET" and r["path"].endswith(path_end)]


def with_files(sandbox):
    token = sandbox.issue_token(scope=sandbox.issue_token()["scope"] + " accounting.attachments")["access_token"]
    return XeroGateway(sandbox.tenant_id, StaticToken(token), base_url=sandbox.accounting_url, sleep=lambda s: None)


def an_invoice(gateway, status="AUTHORISED", amount=100):
    [contact] = gateway.save_contacts([{"Name": "Kiwi Ltd"}], operation="c").saved
    line = {"Description": "Work", "Quantity": 1, "UnitAmount": amount, "AccountCode": "200", "TaxType": "OUTPUT"}
    doc = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact.record["ContactID"]},
        "Date": "2026-11-10",
        "DueDate": "2026-11-20",
        "Status": status,
        "LineItems": [line],
    }
    [saved] = gateway.create_invoices([doc], operation=f"i-{status}-{amount}").saved
    return saved.record


# -- reading lists ----------------------------------------------------------------------


def test_contacts_are_read_1000_a_page_unless_asked_otherwise(sandbox, make_gateway):
    sandbox.seed_contacts(3)
    gateway = make_gateway()
    assert len(gateway.get_contacts()) == 3
    assert len(gateway.get_contacts(page_size=2)) == 3
    assert [q["pageSize"] for q in queries(sandbox, "/Contacts")] == [["1000"], ["2"], ["2"]]


def test_contacts_asked_by_id_or_filter_are_only_those(sandbox, make_gateway):
    sandbox.seed_contacts(3, prefix="Kiwi")
    gateway = make_gateway()
    everyone = gateway.get_contacts()
    first = everyone[0]
    assert [c["ContactID"] for c in gateway.get_contacts(ids=[first["ContactID"]])] == [first["ContactID"]]
    named = gateway.get_contacts(where=f'Name=="{first["Name"]}"')
    assert [c["ContactID"] for c in named] == [first["ContactID"]]


def test_invoices_asked_by_id_are_only_those_at_the_page_size_asked(sandbox, make_gateway):
    gateway = make_gateway()
    one = an_invoice(gateway, amount=100)
    an_invoice(gateway, amount=200)
    assert [i["InvoiceID"] for i in gateway.get_invoices(ids=[one["InvoiceID"]])] == [one["InvoiceID"]]
    assert len(gateway.get_invoices(page_size=1)) == 2
    assert [q.get("pageSize") for q in queries(sandbox, "/Invoices")] == [["100"], ["1"], ["1"]]


def test_a_page_read_asks_for_the_oldest_change_first_with_the_caller_s_filters(sandbox, make_gateway):
    sandbox.seed_contacts(3)
    gateway = make_gateway()
    records, left = gateway.read_page("contacts", 1, modified_since="2020-01-01T00:00:00", where='Name!=""')
    assert (len(records), left) == (3, 0)
    [query] = queries(sandbox, "/Contacts")
    assert query["pageSize"] == ["100"] and query["page"] == ["1"]
    assert query["order"] == ["UpdatedDateUTC ASC"]
    assert query["includeArchived"] == ["True"], "archived contacts are read too"
    assert query["where"] == ['Name!=""']
    [logged] = [r for r in sandbox.request_log if r["path"].endswith("/Contacts")]
    assert logged["headers"]["if-modified-since"].startswith("2019-12-31T23:59:59")


def test_a_full_last_page_leaves_nothing(sandbox, make_gateway):
    sandbox.seed_contacts(4)
    gateway = make_gateway()
    records, left = gateway.read_page("contacts", 1, page_size=2)
    assert (len(records), left) == (2, 2)
    records, left = gateway.read_page("contacts", 2, page_size=2)
    assert (len(records), left) == (2, 0)


def payments(sandbox, gateway, n):
    for k in range(n):
        invoice = an_invoice(gateway, amount=100 + k)
        sandbox.record_payment(invoice["InvoiceID"], 10, date="2026-11-12")


def test_payments_pages_ask_the_oldest_change_first_and_stop_at_the_last_page(sandbox, make_gateway):
    gateway = make_gateway()
    payments(sandbox, gateway, 2)
    records, left = gateway.read_page("payments", 1)
    assert (len(records), left) == (2, 0)
    # A full page that is the last one (itemCount says so): nothing more to read.
    records, left = gateway.read_page("payments", 1, page_size=2)
    assert (len(records), left) == (2, 0)
    records, left = gateway.read_page("payments", 1, page_size=1)
    assert (len(records), left) == (1, 1)
    asked = queries(sandbox, "/Payments")
    assert [q["pageSize"] for q in asked] == [["100"], ["2"], ["1"]]
    assert all(q["order"] == ["UpdatedDateUTC ASC"] for q in asked)


def test_one_credit_note_is_read_by_its_id(make_gateway):
    gateway = make_gateway()
    invoice = an_invoice(gateway)
    line = {"Description": "Refund", "Quantity": 1, "UnitAmount": 30, "AccountCode": "200", "TaxType": "OUTPUT"}
    notes = []
    for reference in ("first", "second"):
        doc = {
            "Type": "ACCRECCREDIT",
            "Contact": {"ContactID": invoice["Contact"]["ContactID"]},
            "Date": "2026-11-10",
            "Status": "AUTHORISED",
            "Reference": reference,
            "LineItems": [line],
        }
        [saved] = gateway.create_credit_notes([doc], operation=f"n-{reference}").saved
        notes.append(saved.record["CreditNoteID"])
    read = gateway.get_credit_note(notes[1])
    assert (read["CreditNoteID"], read["Reference"]) == (notes[1], "second")
    with pytest.raises(errors.XeroNotFoundError):
        gateway.get_credit_note("7e357a45-69f5-4e8f-8d7b-15da8ef50aab")


# -- history notes, files, online link --------------------------------------------------


def test_a_history_note_comes_back_and_another_note_of_the_same_operation_is_a_new_write(make_gateway):
    gateway = make_gateway()
    invoice = an_invoice(gateway)
    saved = gateway.add_history_note("invoice", invoice["InvoiceID"], "Sent from Odoo.", operation="note")
    assert [n["Details"] for n in saved] == ["Sent from Odoo."]
    again = gateway.add_history_note("invoice", invoice["InvoiceID"], "Paid in Odoo.", operation="note")
    assert [n["Details"] for n in again] == ["Paid in Odoo."], "another text is another write, not a replay"


def test_an_attachment_is_sent_with_a_key_of_its_content(sandbox):
    gateway = with_files(sandbox)
    invoice = an_invoice(gateway)
    first = gateway.attach_to_invoice(invoice["InvoiceID"], "INV.pdf", PDF, operation="pdf")
    assert (first["FileName"], first["ContentLength"]) == ("INV.pdf", len(PDF))
    # The same name and operation with a changed file is a new write (a key of the content).
    second = gateway.attach_to_invoice(invoice["InvoiceID"], "INV.pdf", PDF + b"%2", operation="pdf")
    assert second["ContentLength"] == len(PDF) + 2
    keys = [r["headers"].get("idempotency-key") for r in sandbox.request_log if "/Attachments/" in r["path"]]
    assert all(keys) and len(set(keys)) == 2


def test_a_refused_attachment_names_attachments(sandbox):
    gateway = with_files(sandbox)
    invoice = an_invoice(gateway)
    for n in range(10):
        gateway.attach_to_invoice(invoice["InvoiceID"], f"{n}.pdf", PDF, operation=f"file-{n}")
    with pytest.raises(errors.XeroValidationError) as info:
        gateway.attach_to_invoice(invoice["InvoiceID"], "11.pdf", PDF, operation="file-11")
    assert [p.record_type for p in info.value.problems] == ["Attachments"]


def test_an_attachment_answer_without_the_file_is_an_empty_record(sandbox):
    gateway = with_files(sandbox)
    invoice = an_invoice(gateway)
    sandbox.inject_fault("fewer_items", when="after", path_contains="/Attachments/")
    assert gateway.attach_to_invoice(invoice["InvoiceID"], "a.pdf", PDF, operation="pdf") == {}


def test_an_online_link_refused_names_online_invoices(make_gateway):
    gateway = make_gateway()
    draft = an_invoice(gateway, status="DRAFT")
    with pytest.raises(errors.XeroError) as info:
        gateway.get_online_invoice_url(draft["InvoiceID"])
    assert "approved" in str(info.value)
    problems = getattr(info.value, "problems", [])
    assert [p.record_type for p in problems] == ["OnlineInvoices"]


def test_an_online_link_answer_without_link_is_none(sandbox, make_gateway):
    gateway = make_gateway()
    invoice = an_invoice(gateway)
    sandbox.inject_fault("fewer_items", when="after", path_contains="/OnlineInvoice")
    assert gateway.get_online_invoice_url(invoice["InvoiceID"]) is None


# -- writing ----------------------------------------------------------------------------


def test_a_contact_group_answered_without_its_id_is_an_unclear_answer(sandbox, make_gateway):
    gateway = make_gateway()
    sandbox.inject_fault("missing_ids", when="after", path_contains="/ContactGroups")
    with pytest.raises(errors.XeroUnclearAnswerError) as info:
        gateway.create_contact_group("Odoo Customers", operation="g")
    assert str(info.value) == (
        "Xero's answer to a write of 1 ContactGroups was incomplete (1 came back, 1 without their "
        "ContactGroupID): Xero unavailable, will retry; what Xero saved is read back before anything "
        "is written again."
    )


def test_a_refused_record_keeps_xero_s_echo(make_gateway):
    gateway = make_gateway()
    result = gateway.save_contacts([{"Name": "Ok"}, {"Name": "Bad", "EmailAddress": "not an email"}], "c")
    [refused] = result.failed
    assert refused.record is None and refused.echo["Name"] == "Bad"


# -- errors -----------------------------------------------------------------------------


def test_a_tls_failure_or_unknown_status_is_xero_unavailable():
    for exc in (sdk_error(0), ApiException(status=None)):
        error = gw._translate(exc, "Contacts", writing=True)
        assert type(error) is errors.XeroUnavailableError and error.maybe_written is True
        assert str(error) == "The secure connection to Xero failed (Xero unavailable, will retry)."
        assert error.status == 0


def test_a_400_without_xero_s_body_is_unavailable_in_these_words():
    error = gw._translate(sdk_error(400, b"<html>oops</html>", reason="Bad Request"), "Contacts")
    assert type(error) is errors.XeroUnavailableError and error.status == 400
    assert str(error) == (
        "Xero's answer could not be read (HTTP 400 without Xero's body): Xero unavailable, will retry."
    )


def test_a_5xx_of_a_write_may_have_written():
    error = gw._translate(sdk_error(502, b"{}"), "Invoices", writing=True)
    assert error.maybe_written is True and error.status == 502
    assert gw._translate(sdk_error(502, b"{}"), "Invoices").maybe_written is False


def test_an_odd_status_is_refused_in_xero_s_message_first():
    body = b'{"Message": "Too big", "Detail": "Other words"}'
    assert str(gw._translate(sdk_error(413, body), None)) == "Xero refused the request (HTTP 413): Too big"


def test_only_xero_s_own_trouble_is_tried_again():
    assert gw._transient(sdk_error(0))
    assert gw._transient(sdk_error(400, b""))
    assert not gw._transient(sdk_error(400, b'{"Message": "No"}'))
    assert not gw._transient(sdk_error(401, b""))
    assert not gw._transient(sdk_error(404, b""))
    assert not gw._transient(sdk_error(404, b'{"Message": "No"}'))


def test_a_lost_connection_or_timeout_of_a_write_may_have_written():
    timeout = (5, 30)
    late = gw._transport_error(urllib3.exceptions.ReadTimeoutError(None, "/", "late"), timeout, True)
    assert late.maybe_written is True and str(late) == "Xero did not answer within 30 seconds."
    read = gw._transport_error(urllib3.exceptions.ReadTimeoutError(None, "/", "late"), timeout)
    assert read.maybe_written is False, "a read writes nothing"
    lost = gw._transport_error(urllib3.exceptions.ProtocolError("gone"), timeout, True)
    assert lost.maybe_written is True
    assert str(lost) == "The connection to Xero was lost (ProtocolError); will retry."


def test_a_blank_history_note_is_refused_as_a_history_record(make_gateway):
    gateway = make_gateway()
    invoice = an_invoice(gateway)
    with pytest.raises(errors.XeroValidationError) as info:
        gateway.add_history_note("invoice", invoice["InvoiceID"], "   ", operation="blank")
    assert [p.record_type for p in info.value.problems] == ["HistoryRecords"]


def test_a_page_nothing_changed_in_is_empty_with_nothing_known_left(sandbox, make_gateway):
    sandbox.seed_contacts(2)
    gateway = make_gateway()
    assert gateway.read_page("contacts", 1, modified_since="2099-01-01T00:00:00") == ([], None)
    assert [r["status"] for r in sandbox.request_log if r["path"].endswith("/Contacts")] == [304]


class Echo:
    """A gateway whose writes get `answer` back (Xero's answer to a batch, as a dict)."""

    def __init__(self, make_gateway, monkeypatch, answer):
        self.gateway = make_gateway()
        monkeypatch.setattr(self.gateway, "_write", lambda *args, **kwargs: answer)


def test_a_refusal_names_the_record_as_sent_when_xero_s_echo_does_not(make_gateway, monkeypatch):
    refused = {"ValidationErrors": [{"Message": "Amount must be positive"}]}
    answer = {"Payments": [{"PaymentID": "1d0c4d4d-0000-4000-8000-000000000001"}, refused]}
    gateway = Echo(make_gateway, monkeypatch, answer).gateway
    result = gateway.save_payments([{"Reference": "first"}, {"Reference": "second"}], "p")
    [failed] = result.failed
    assert [p.record_label for p in failed.problems] == ["second"]
    assert failed.problems[0].message == 'Xero refused payment "second": Amount must be positive'


def test_a_refusal_keeps_the_label_xero_gave(make_gateway, monkeypatch):
    refused = {"Reference": "as Xero has it", "ValidationErrors": [{"Message": "Amount must be positive"}]}
    gateway = Echo(make_gateway, monkeypatch, {"Payments": [refused]}).gateway
    [failed] = gateway.save_payments([{"Reference": "as sent"}], "p").failed
    assert [p.record_label for p in failed.problems] == ["as Xero has it"]


def test_an_answer_with_more_items_than_sent_is_unclear(make_gateway, monkeypatch):
    refused = {"ValidationErrors": [{"Message": "Amount must be positive"}]}
    answer = {"Payments": [{"PaymentID": "1d0c4d4d-0000-4000-8000-000000000001"}, refused]}
    gateway = Echo(make_gateway, monkeypatch, answer).gateway
    with pytest.raises(errors.XeroUnclearAnswerError, match=r"a write of 1 Payments was incomplete \(2 came back"):
        gateway.save_payments([{"Reference": "only"}], "p")
