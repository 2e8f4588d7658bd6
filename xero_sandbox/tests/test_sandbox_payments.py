"""Payments made in Xero itself, read back: GET /Payments, deletion, the bank-feed helper.

Xero: webhooks carry no payment events, so payments are found by reading
GET /Payments with If-Modified-Since (`where`, `order`, `page`, `pageSize`
as in xero_accounting.yaml); a payment is removed with
POST /Payments/{PaymentID} {"Status": "DELETED"} and stays listed, DELETED.
"""

from datetime import date, datetime, timedelta, timezone

import pytest
import requests

from xero_connector.gateway import parse_xero_datetime

SALES_PAYMENTS = 'PaymentType=="ACCRECPAYMENT" OR PaymentType=="ARCREDITPAYMENT"'


def raw(sb, method, path, **kwargs):
    token = sb.issue_token()
    headers = {"Authorization": f"Bearer {token['access_token']}", "xero-tenant-id": sb.tenant_id}
    headers.update(kwargs.pop("headers", {}))
    return requests.request(method, sb.accounting_url + path, headers=headers, timeout=10, **kwargs)


def invoice(sb, amount=100, kind="ACCREC"):
    contact = raw(sb, "PUT", "/Contacts", json={"Contacts": [{"Name": f"Payer {kind} {amount}"}]})
    contact_id = contact.json()["Contacts"][0]["ContactID"]
    day = date.today().isoformat()
    line = {"Description": "Work", "Quantity": 1, "UnitAmount": amount, "AccountCode": "200", "TaxType": "NONE"}
    doc = {"Type": kind, "Contact": {"ContactID": contact_id}, "Date": day, "DueDate": day, "Status": "AUTHORISED"}
    answer = raw(sb, "PUT", "/Invoices", json={"Invoices": [dict(doc, LineItems=[line])]})
    assert answer.status_code == 200, answer.text
    return answer.json()["Invoices"][0]["InvoiceID"]


@pytest.fixture
def sb(sandbox_server):
    sandbox_server.reset("demo")
    return sandbox_server


def test_a_payment_recorded_in_xero_is_listed_reconciled_and_settles_the_invoice(sb):
    invoice_id = invoice(sb, 100)
    paid = sb.record_payment(invoice_id, 40, date="2026-11-20", Reference="Bank feed 0042")
    assert (paid["Amount"], paid["Account"]["Code"], paid["Reference"]) == (40, "090", "Bank feed 0042")
    assert (paid["Status"], paid["IsReconciled"], paid["PaymentType"]) == ("AUTHORISED", True, "ACCRECPAYMENT")
    assert paid["Invoice"]["InvoiceID"] == invoice_id
    listed = raw(sb, "GET", "/Payments").json()["Payments"]
    assert [p["PaymentID"] for p in listed if p["Invoice"]["InvoiceID"] == invoice_id] == [paid["PaymentID"]]
    doc = raw(sb, "GET", f"/Invoices/{invoice_id}").json()["Invoices"][0]
    assert (doc["AmountPaid"], doc["AmountDue"], doc["Status"]) == (40, 60, "AUTHORISED")
    sb.record_payment(invoice_id, 60)
    doc = raw(sb, "GET", f"/Invoices/{invoice_id}").json()["Invoices"][0]
    assert (doc["AmountDue"], doc["Status"]) == (0, "PAID")


def test_recording_a_payment_keeps_xero_s_rules(sb):
    invoice_id = invoice(sb, 100)
    with pytest.raises(Exception, match="exceeds the amount outstanding"):
        sb.record_payment(invoice_id, 100.01)
    with pytest.raises(Exception, match="Account could not be found"):
        sb.record_payment(invoice_id, 10, account_code="no-such-code")
    sb.set_lock_dates(period=date.today().isoformat())
    with pytest.raises(Exception, match="period lock date"):
        sb.record_payment(invoice_id, 10)
    listed = raw(sb, "GET", "/Payments").json()["Payments"]
    assert not [p for p in listed if p.get("Invoice", {}).get("InvoiceID") == invoice_id]


def test_payments_changed_since_and_filtered_by_type(sb, make_gateway):
    sales = invoice(sb, 100)
    bills = invoice(sb, 50, kind="ACCPAY")
    first = sb.record_payment(sales, 10)
    sb.record_payment(bills, 5)
    seen = parse_xero_datetime(first["UpdatedDateUTC"])
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    sb.freeze_clock(later)
    try:
        second = sb.record_payment(sales, 20)
    finally:
        sb.freeze_clock(None)
    gateway = make_gateway()
    everything, left = gateway.read_page("payments", 1, where=SALES_PAYMENTS)
    assert left == 0
    assert {p["PaymentID"] for p in everything} >= {first["PaymentID"], second["PaymentID"]}
    assert all(p["PaymentType"] in ("ACCRECPAYMENT", "ARCREDITPAYMENT") for p in everything), "no bill payments"
    changed, _left = gateway.read_page("payments", 1, later - timedelta(minutes=1), where=SALES_PAYMENTS)
    assert [p["PaymentID"] for p in changed] == [second["PaymentID"]]
    nothing, left = gateway.read_page("payments", 1, later + timedelta(hours=1))
    assert (nothing, left) == ([], None)
    assert sb.request_log[-1]["status"] == 304
    assert seen < later


def test_payments_come_a_page_at_a_time_oldest_change_first(sb, make_gateway):
    invoice_id = invoice(sb, 1000)
    ids = [sb.record_payment(invoice_id, 1)["PaymentID"] for _ in range(5)]
    gateway = make_gateway()
    pages, page, left = [], 1, None
    while left != 0:
        where = f'Invoice.InvoiceID==guid("{invoice_id}")'
        records, left = gateway.read_page("payments", page, page_size=2, where=where)
        pages.append([p["PaymentID"] for p in records])
        page += 1
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(pid for p in pages for pid in p) == sorted(ids)
    calls = [r for r in sb.request_log if "/Payments" in r["path"] and r["method"] == "GET"]
    assert len(calls) == 3, "one call a page, no empty page asked for"


def test_a_payment_deleted_in_xero_is_listed_deleted_and_the_invoice_is_due_again(sb, make_gateway):
    invoice_id = invoice(sb, 100)
    paid = sb.record_payment(invoice_id, 100)
    later = datetime.now(timezone.utc) + timedelta(hours=2)
    sb.freeze_clock(later)
    try:
        answer = raw(sb, "POST", f"/Payments/{paid['PaymentID']}", json={"Status": "DELETED"})
    finally:
        sb.freeze_clock(None)
    assert answer.status_code == 200, answer.text
    assert answer.json()["Payments"][0]["Status"] == "DELETED"
    doc = raw(sb, "GET", f"/Invoices/{invoice_id}").json()["Invoices"][0]
    assert (doc["AmountDue"], doc["Status"]) == (100, "AUTHORISED")
    # Read incrementally, the deletion shows as the payment with Status DELETED.
    changed, _left = make_gateway().read_page("payments", 1, later - timedelta(minutes=1))
    assert [(p["PaymentID"], p["Status"]) for p in changed] == [(paid["PaymentID"], "DELETED")]
    # Nothing else may change on a payment.
    refused = raw(sb, "POST", f"/Payments/{paid['PaymentID']}", json={"Amount": 5})
    assert refused.status_code == 400
