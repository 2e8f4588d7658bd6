"""The Xero sandbox, driven by raw HTTP and by the official xero-python SDK."""

import json
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from xero_python.accounting import AccountingApi
from xero_python.accounting.models import Account as XAccount
from xero_python.accounting.models import (
    Address,
    Allocation,
    Allocations,
    Contact,
    ContactGroup,
    ContactGroups,
    Contacts,
    CreditNote,
    CreditNotes,
    CurrencyCode,
    Invoice,
    Invoices,
    LineAmountTypes,
    LineItem,
    Payment,
    Payments,
    Phone,
)
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token
from xero_python.exceptions import HTTPStatusException

from xero_connector.sandbox import XeroSandbox

REPO = Path(__file__).resolve().parents[2]
BAYSIDE = "Bayside Club"


@pytest.fixture(scope="module")
def server():
    sandbox = XeroSandbox(port=0, seed="demo")
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sb(server):
    server.reset("demo")
    server.auto_consent = False
    server.fault_delay = 5.0
    server.minute_limit, server.minute_seconds = 60, 60.0
    server.day_limit, server.concurrent_limit = 5000, 5
    return server


def sdk(sb, token=None):
    """AccountingApi of the real SDK, pointed at the sandbox."""
    store = {"token": token or sb.issue_token()}
    client = ApiClient(
        Configuration(oauth2_token=OAuth2Token(client_id=sb.client_id, client_secret=sb.client_secret)),
        pool_threads=1,
        oauth2_token_getter=lambda: store["token"],
        oauth2_token_saver=lambda token: store.update(token=token),
    )
    client.set_oauth2_token(store["token"])
    return AccountingApi(client, base_url=sb.accounting_url)


def raw(sb, method, path, token=None, tenant=None, **kwargs):
    token = token or sb.issue_token()
    headers = {"Authorization": f"Bearer {token['access_token']}", "xero-tenant-id": tenant or sb.tenant_id}
    headers.update(kwargs.pop("headers", {}))
    return requests.request(method, sb.accounting_url + path, headers=headers, timeout=10, **kwargs)


def bayside(api, sb):
    found = api.get_contacts(sb.tenant_id, where=f'Name=="{BAYSIDE}"').contacts
    assert len(found) == 1
    return found[0]


# -- OAuth2 / identity ------------------------------------------------------------


def test_code_flow_refresh_rotation_and_revocation(sb):
    sb.auto_consent = True
    auth = (sb.client_id, sb.client_secret)
    answer = requests.get(
        sb.authorize_url,
        params={
            "response_type": "code",
            "client_id": sb.client_id,
            "redirect_uri": "http://localhost/cb",
            "scope": "openid accounting.contacts offline_access",
            "state": "xyz",
        },
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302
    params = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert params["state"] == ["xyz"]
    code = params["code"][0]

    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": "http://localhost/cb"}
    assert requests.post(sb.token_url, data=form, auth=(sb.client_id, "wrong"), timeout=5).status_code == 401
    token = requests.post(sb.token_url, data=form, auth=auth, timeout=5).json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 1800 and token["refresh_token"]
    again = requests.post(sb.token_url, data=form, auth=auth, timeout=5)  # codes are single use
    assert again.status_code == 400 and again.json() == {"error": "invalid_grant"}

    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    connections = requests.get(sb.connections_url, headers=bearer, timeout=5).json()
    assert [c["tenantId"] for c in connections] == [sb.tenant_id]
    assert connections[0]["tenantType"] == "ORGANISATION" and connections[0]["tenantName"] == "Demo Company (Sandbox)"
    assert connections[0]["authEventId"]

    refreshed = requests.post(
        sb.token_url,
        auth=auth,
        timeout=5,
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
    ).json()
    assert refreshed["refresh_token"] != token["refresh_token"]
    old = requests.post(
        sb.token_url,
        auth=auth,
        timeout=5,
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
    )
    assert old.status_code == 400 and old.json()["error"] == "invalid_grant"

    # client id/secret in the form works as well as HTTP Basic
    assert (
        requests.post(
            sb.revoke_url,
            timeout=5,
            data={
                "token": refreshed["refresh_token"],
                "client_id": sb.client_id,
                "client_secret": sb.client_secret,
            },
        ).status_code
        == 200
    )
    dead = requests.post(
        sb.token_url,
        auth=auth,
        timeout=5,
        data={"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]},
    )
    assert dead.status_code == 400
    assert raw(sb, "GET", "/Organisation", token=refreshed).status_code == 401


def test_consent_page_with_two_organisations_and_disconnect(sb):
    second = sb.add_tenant("Second Org")
    query = {
        "response_type": "code",
        "client_id": sb.client_id,
        "redirect_uri": "https://app.example/cb",
        "scope": "accounting.contacts offline_access",
        "state": "s1",
    }
    page = requests.get(sb.authorize_url, params=query, timeout=5)
    assert page.status_code == 200 and "Allow access" in page.text and "Second Org" in page.text
    assert requests.get(sb.authorize_url, params=dict(query, client_id="nope"), timeout=5).status_code == 400
    form = dict(query, decision="allow", tenant=[second])
    answer = requests.post(sb.authorize_url, data=form, allow_redirects=False, timeout=5)
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = requests.post(
        sb.token_url,
        auth=(sb.client_id, sb.client_secret),
        timeout=5,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": "https://app.example/cb"},
    ).json()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    connections = requests.get(sb.connections_url, headers=bearer, timeout=5).json()
    assert [c["tenantName"] for c in connections] == ["Second Org"]
    # a tenant not consented is forbidden
    forbidden = raw(sb, "GET", "/Organisation", token=token)
    assert forbidden.status_code == 403 and forbidden.json()["Detail"] == "AuthenticationUnsuccessful"
    organisation = raw(sb, "GET", "/Organisation", token=token, tenant=second).json()["Organisations"][0]
    assert organisation["Name"] == "Second Org"
    deny = requests.post(sb.authorize_url, data=dict(query, decision="deny"), allow_redirects=False, timeout=5)
    assert "error=access_denied" in deny.headers["Location"]
    gone = requests.delete(f"{sb.connections_url}/{connections[0]['id']}", headers=bearer, timeout=5)
    assert gone.status_code == 204
    assert raw(sb, "GET", "/Organisation", token=token, tenant=second).status_code == 403


def test_client_credentials_and_expired_tokens(sb):
    token = requests.post(
        sb.token_url, auth=(sb.client_id, sb.client_secret), timeout=5, data={"grant_type": "client_credentials"}
    ).json()
    assert "refresh_token" not in token
    assert raw(sb, "GET", "/Organisation", token=token).status_code == 200
    sb.expire_access_tokens()
    expired = raw(sb, "GET", "/Organisation", token=token)
    assert expired.status_code == 401
    assert expired.json()["Detail"].startswith("TokenExpired")
    assert expired.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert raw(sb, "GET", "/Organisation", token={"access_token": "junk"}).status_code == 401


# -- accounting through the SDK ---------------------------------------------------------


def test_reference_endpoints_deserialise(sb):
    api = sdk(sb)
    org = api.get_organisations(sb.tenant_id).organisations[0]
    assert org.name == "Demo Company (Sandbox)" and org.short_code == "!sBx42" and org.base_currency.value == "NZD"
    accounts = {a.code: a for a in api.get_accounts(sb.tenant_id).accounts}
    assert accounts["090"].type.value == "BANK" and accounts["200"].name == "Sales"
    assert {"610", "091", "260", "400"} <= set(accounts)
    banks = api.get_accounts(sb.tenant_id, where='Type=="BANK"').accounts
    assert {a.code for a in banks} == {"090", "091"}
    rates = {t.tax_type: t for t in api.get_tax_rates(sb.tenant_id).tax_rates}
    assert rates["OUTPUT"].effective_rate == 15 and rates["NONE"].name == "No GST"
    assert "NZD" in [c.code.value for c in api.get_currencies(sb.tenant_id).currencies]


def test_demo_seed(sb):
    api = sdk(sb)
    contacts = api.get_contacts(sb.tenant_id).contacts
    archived = api.get_contacts(sb.tenant_id, include_archived=True).contacts
    assert len(contacts) >= 40 and 3 <= len(archived) - len(contacts) <= 4
    bob = bayside(api, sb)
    assert (bob.first_name, bob.last_name, bob.email_address) == ("Bob", "Partridge", "bob@baysideclub.example")
    assert bob.is_customer and not bob.is_supplier
    assert {a.address_type for a in bob.addresses} == {"POBOX", "STREET"}
    merged = [c for c in archived if c.merged_to_contact_id]
    assert len(merged) == 1 and merged[0].contact_status == "ARCHIVED"
    invoices = api.get_invoices(sb.tenant_id, contact_i_ds=[bob.contact_id]).invoices
    assert {i.status for i in invoices} >= {"AUTHORISED", "PAID", "DRAFT"}
    assert any(i.status == "AUTHORISED" and i.due_date < date.today() for i in invoices)
    assert api.get_credit_notes(sb.tenant_id).credit_notes[0].remaining_credit > 0
    # deterministic
    assert [c["ContactID"] for c in sb.contacts()] == [c["ContactID"] for c in sb.contacts()]
    first = {c["Name"]: c["ContactID"] for c in sb.contacts()}
    sb.reset("demo")
    assert {c["Name"]: c["ContactID"] for c in sb.contacts()} == first


def test_contacts_crud_and_unique_name(sb):
    api = sdk(sb)
    contact = Contact(
        name="Harbour Vets Ltd",
        first_name="Ana",
        last_name="Lee",
        email_address="ana@harbourvets.example",
        tax_number="123-456-789",
        addresses=[
            Address(
                address_type="POBOX",
                address_line1="PO Box 1",
                city="Nelson",
                region="Tasman",
                postal_code="7010",
                country="New Zealand",
            )
        ],
        phones=[Phone(phone_type="DEFAULT", phone_number="555 1234", phone_area_code="3", phone_country_code="64")],
    )
    created = api.create_contacts(sb.tenant_id, Contacts(contacts=[contact]), summarize_errors=True).contacts[0]
    assert created.contact_id and created.contact_status == "ACTIVE" and not created.is_customer
    got = api.get_contact(sb.tenant_id, created.contact_id).contacts[0]
    assert got.addresses[0].city == "Nelson" and got.phones[0].phone_number == "555 1234"

    update = Contact(contact_id=created.contact_id, email_address="accounts@harbourvets.example")
    updated = api.update_or_create_contacts(sb.tenant_id, Contacts(contacts=[update])).contacts[0]
    assert updated.email_address == "accounts@harbourvets.example" and updated.name == "Harbour Vets Ltd"
    assert updated.updated_date_utc > got.updated_date_utc
    one = api.update_contact(sb.tenant_id, created.contact_id, Contacts(contacts=[Contact(first_name="Anna")]))
    assert one.contacts[0].first_name == "Anna"

    # unique names, all-or-nothing by default
    batch = Contacts(contacts=[Contact(name="Brand New Co"), Contact(name="harbour vets ltd")])
    with pytest.raises(HTTPStatusException) as error:
        api.create_contacts(sb.tenant_id, batch)
    assert error.value.status == 400
    body = json.loads(error.value.body)
    assert body["Type"] == "ValidationException" and body["ErrorNumber"] == 10
    message = body["Elements"][0]["ValidationErrors"][0]["Message"]
    assert "is already assigned to another contact" in message and "unique across all active contacts" in message
    assert sb.count_contacts_named("Brand New Co") == 0
    # summarizeErrors=false saves the valid ones and flags the others
    result = api.create_contacts(sb.tenant_id, batch, summarize_errors=False).contacts
    assert result[0].contact_id and not result[0].has_validation_errors
    assert result[1].has_validation_errors and "already assigned" in result[1].validation_errors[0].message
    assert sb.count_contacts_named("Brand New Co") == 1

    bad = api.create_contacts(
        sb.tenant_id, Contacts(contacts=[Contact(name="X", email_address="not-an-email")]), summarize_errors=False
    ).contacts[0]
    assert bad.validation_errors[0].message == "Email address must be valid."


def test_archived_contacts(sb):
    api = sdk(sb)
    created = api.create_contacts(sb.tenant_id, Contacts(contacts=[Contact(name="Short Lived")])).contacts[0]
    archived = api.update_contact(
        sb.tenant_id, created.contact_id, Contacts(contacts=[Contact(contact_status="ARCHIVED")])
    ).contacts[0]
    assert archived.contact_status == "ARCHIVED"
    assert created.contact_id not in [c.contact_id for c in api.get_contacts(sb.tenant_id).contacts]
    # the name is free again among active contacts
    api.create_contacts(sb.tenant_id, Contacts(contacts=[Contact(name="Short Lived")]))
    edit = Contact(contact_id=created.contact_id, first_name="Z")
    refused = api.update_or_create_contacts(sb.tenant_id, Contacts(contacts=[edit]), summarize_errors=False)
    assert refused.contacts[0].has_validation_errors
    restore = api.update_or_create_contacts(
        sb.tenant_id,
        Contacts(contacts=[Contact(contact_id=created.contact_id, contact_status="ACTIVE")]),
        summarize_errors=False,
    )
    assert "already assigned" in restore.contacts[0].validation_errors[0].message
    invoice = Invoice(
        type="ACCREC",
        contact=Contact(contact_id=created.contact_id),
        line_items=[LineItem(description="x", quantity=1, unit_amount=1, account_code="200")],
    )
    with pytest.raises(HTTPStatusException) as error:
        api.create_invoices(sb.tenant_id, Invoices(invoices=[invoice]))
    assert "archived" in error.value.body.decode()


def test_paging_where_order_search_ids(sb):
    api = sdk(sb)
    sb.seed_contacts(300, prefix="Bulk")
    everyone = api.get_contacts(sb.tenant_id).contacts
    pages = [api.get_contacts(sb.tenant_id, page=p).contacts for p in (1, 2, 3, 4)]
    assert [len(p) for p in pages[:3]] == [100, 100, 100] and len(pages[3]) == len(everyone) - 300
    assert [c.contact_id for p in pages for c in p] == [c.contact_id for c in everyone]
    big = api.get_contacts(sb.tenant_id, page=1, page_size=1000).contacts
    assert len(big) == len(everyone)
    assert len(api.get_contacts(sb.tenant_id, page=2, page_size=50).contacts) == 50
    names = [c.name for c in api.get_contacts(sb.tenant_id, order="Name DESC").contacts]
    assert names == sorted(names, key=str.casefold, reverse=True)
    bob = bayside(api, sb)
    assert api.get_contacts(sb.tenant_id, where='EmailAddress=="bob@baysideclub.example"').contacts[0].name == BAYSIDE
    both = api.get_contacts(sb.tenant_id, where=f'Name=="{BAYSIDE}" OR TaxNumber=="{bob.tax_number}"').contacts
    assert len(both) == 1
    none = api.get_contacts(sb.tenant_id, where=f'Name=="{BAYSIDE}" AND ContactStatus=="ARCHIVED"').contacts
    assert none == []
    assert [c.name for c in api.get_contacts(sb.tenant_id, search_term="partridge").contacts] == [BAYSIDE]
    ids = [everyone[0].contact_id, everyone[5].contact_id]
    assert {c.contact_id for c in api.get_contacts(sb.tenant_id, i_ds=ids).contacts} == set(ids)
    assert len(sb.seed_contacts(3, prefix="Bulk")) == 3 and sb.count_contacts_named(everyone[0].name) == 1


def test_if_modified_since_and_304(sb):
    api = sdk(sb)
    later = datetime.now(timezone.utc) + timedelta(seconds=5)  # RFC 1123 drops the fraction of a second
    with pytest.raises(HTTPStatusException) as error:
        api.get_contacts(sb.tenant_id, if_modified_since=later)
    assert error.value.status == 304
    bob = bayside(api, sb)
    mark = datetime.now(timezone.utc) - timedelta(seconds=1)
    sb.update_contact(bob.contact_id, EmailAddress="bob@bayside.example")
    changed = api.get_contacts(sb.tenant_id, if_modified_since=mark).contacts
    assert [c.email_address for c in changed] == ["bob@bayside.example"]
    naive = api.get_contacts(sb.tenant_id, if_modified_since=mark.replace(tzinfo=None)).contacts  # read as UTC
    assert [c.contact_id for c in naive] == [bob.contact_id]
    assert api.get_invoices(sb.tenant_id, if_modified_since=mark - timedelta(days=400)).invoices
    # RFC 1123, as HTTP clients send it
    answer = raw(sb, "GET", "/Contacts", headers={"If-Modified-Since": format_datetime(later, usegmt=True)})
    assert answer.status_code == 304 and answer.content == b""
    answer = raw(sb, "GET", "/Contacts", headers={"If-Modified-Since": format_datetime(mark, usegmt=True)})
    assert answer.status_code == 200 and len(answer.json()["Contacts"]) == 1
    # merging shows up as a change of both contacts
    other = api.get_contacts(sb.tenant_id, where='Name=="Boom FM"').contacts[0]
    sb.merge_contacts(other.contact_id, bob.contact_id)
    merged = api.get_contacts(sb.tenant_id, if_modified_since=mark, include_archived=True).contacts
    assert {c.name for c in merged} == {BAYSIDE, "Boom FM"}
    assert [c.merged_to_contact_id for c in merged if c.name == "Boom FM"] == [bob.contact_id]


def test_contact_groups(sb):
    api = sdk(sb)
    group = api.create_contact_group(sb.tenant_id, ContactGroups(contact_groups=[ContactGroup(name="Odoo Customers")]))
    group_id = group.contact_groups[0].contact_group_id
    with pytest.raises(HTTPStatusException):
        api.create_contact_group(sb.tenant_id, ContactGroups(contact_groups=[ContactGroup(name="odoo customers")]))
    bob = bayside(api, sb)
    members = Contacts(contacts=[Contact(contact_id=bob.contact_id)])
    api.create_contact_group_contacts(sb.tenant_id, group_id, members)
    api.create_contact_group_contacts(sb.tenant_id, group_id, members)  # harmless twice
    listed = api.get_contact_group(sb.tenant_id, group_id).contact_groups[0]
    assert [c.contact_id for c in listed.contacts] == [bob.contact_id]
    groups = api.get_contact(sb.tenant_id, bob.contact_id).contacts[0].contact_groups
    assert "Odoo Customers" in [g.name for g in groups]
    assert "Odoo Customers" in [g.name for g in api.get_contact_groups(sb.tenant_id).contact_groups]
    api.delete_contact_group_contact(sb.tenant_id, group_id, bob.contact_id)
    assert api.get_contact_group(sb.tenant_id, group_id).contact_groups[0].contacts == []


def test_invoices_payments_credit_notes(sb):
    api = sdk(sb)
    bob = bayside(api, sb)
    lines = [
        LineItem(description="Consulting", quantity=2, unit_amount=100.5, account_code="200", tax_type="OUTPUT"),
        LineItem(description="Exempt", quantity=1, unit_amount=10, account_code="260", tax_type="NONE"),
    ]
    invoice = Invoice(
        type="ACCREC",
        contact=Contact(contact_id=bob.contact_id),
        line_items=lines,
        date=date.today(),
        due_date=date.today() + timedelta(days=20),
        status="AUTHORISED",
        reference="Odoo INV/2025/0001",
        line_amount_types=LineAmountTypes.EXCLUSIVE,
        currency_code=CurrencyCode.NZD,
    )
    created = api.create_invoices(sb.tenant_id, Invoices(invoices=[invoice]), summarize_errors=True).invoices[0]
    assert created.invoice_number.startswith("INV-")
    assert (created.sub_total, created.total_tax, created.total) == (211, D("30.15"), D("241.15"))
    assert created.amount_due == D("241.15") and created.status == "AUTHORISED"
    # a number must be unique per type
    dup = Invoice(type="ACCREC", contact=Contact(contact_id=bob.contact_id), invoice_number=created.invoice_number)
    result = api.create_invoices(sb.tenant_id, Invoices(invoices=[dup]), summarize_errors=False).invoices[0]
    assert result.validation_errors[0].message == "Invoice # must be unique."
    inclusive = Invoice(
        type="ACCREC",
        contact=Contact(contact_id=bob.contact_id),
        line_amount_types=LineAmountTypes.INCLUSIVE,
        line_items=[LineItem(description="Incl", quantity=1, unit_amount=115, account_code="200")],
    )
    incl = api.create_invoices(sb.tenant_id, Invoices(invoices=[inclusive])).invoices[0]
    assert (incl.sub_total, incl.total_tax, incl.total) == (100, 15, 115) and incl.status == "DRAFT"

    pay = Payment(
        invoice=Invoice(invoice_id=created.invoice_id),
        account=XAccount(code="090"),
        amount=41.15,
        date=date.today(),
        reference="part",
    )
    payment = api.create_payment(sb.tenant_id, pay).payments[0]
    assert payment.amount == D("41.15") and payment.payment_type == "ACCRECPAYMENT"
    assert api.get_invoice(sb.tenant_id, created.invoice_id).invoices[0].amount_due == 200
    void = Invoice(invoice_id=created.invoice_id, status="VOIDED")
    refused = api.update_or_create_invoices(sb.tenant_id, Invoices(invoices=[void]), summarize_errors=False)
    assert "cannot be voided" in refused.invoices[0].validation_errors[0].message

    note = CreditNote(
        type="ACCRECCREDIT",
        contact=Contact(contact_id=bob.contact_id),
        status="AUTHORISED",
        line_items=[LineItem(description="Refund", quantity=1, unit_amount=100, account_code="200")],
    )
    cn = api.create_credit_notes(sb.tenant_id, CreditNotes(credit_notes=[note])).credit_notes[0]
    assert cn.credit_note_number.startswith("CN-") and cn.total == 115 and cn.remaining_credit == 115
    allocation = Allocation(amount=100, invoice=Invoice(invoice_id=created.invoice_id), date=date.today())
    api.create_credit_note_allocation(sb.tenant_id, cn.credit_note_id, Allocations(allocations=[allocation]))
    after = api.get_invoice(sb.tenant_id, created.invoice_id).invoices[0]
    assert (after.amount_due, after.amount_credited, after.amount_paid) == (100, 100, D("41.15"))
    assert api.get_credit_note(sb.tenant_id, cn.credit_note_id).credit_notes[0].remaining_credit == 15
    rest = Payments(
        payments=[
            Payment(
                invoice=Invoice(invoice_number=created.invoice_number),
                account=XAccount(code="090"),
                amount=100,
                date=date.today(),
            )
        ]
    )
    api.create_payments(sb.tenant_id, rest)
    assert api.get_invoice(sb.tenant_id, created.invoice_id).invoices[0].status == "PAID"
    over = Payments(
        payments=[Payment(invoice=Invoice(invoice_id=incl.invoice_id), account=XAccount(code="090"), amount=1)]
    )
    with pytest.raises(HTTPStatusException):
        api.create_payments(sb.tenant_id, over)  # a DRAFT takes no payment

    # lists: filters and paging
    mine = api.get_invoices(sb.tenant_id, where=f'Contact.ContactID==guid("{bob.contact_id}")', page=1).invoices
    assert created.invoice_id in [i.invoice_id for i in mine] and all(i.line_items for i in mine)
    by_number = api.get_invoices(sb.tenant_id, invoice_numbers=[created.invoice_number]).invoices
    assert [i.invoice_id for i in by_number] == [created.invoice_id]
    drafts = api.get_invoices(sb.tenant_id, statuses=["DRAFT"]).invoices
    assert drafts and all(i.status == "DRAFT" for i in drafts)
    payments = api.get_payments(sb.tenant_id).payments
    assert api.get_payment(sb.tenant_id, payments[0].payment_id).payments[0].amount == payments[0].amount
    assert api.get_contacts(sb.tenant_id, where='Name=="Tasman Timber Supplies"').contacts[0].is_supplier
    # voiding a draft-free authorised invoice without payments works
    fresh = api.create_invoices(
        sb.tenant_id,
        Invoices(
            invoices=[
                Invoice(
                    type="ACCREC",
                    contact=Contact(contact_id=bob.contact_id),
                    status="AUTHORISED",
                    line_items=[LineItem(description="x", quantity=1, unit_amount=10, account_code="200")],
                )
            ]
        ),
    ).invoices[0]
    voided = api.update_invoice(sb.tenant_id, fresh.invoice_id, Invoices(invoices=[Invoice(status="VOIDED")])).invoices[
        0
    ]
    assert voided.status == "VOIDED"


# -- limits, idempotency, faults, schema --------------------------------------------------


def test_rate_limit_under_compressed_minute(sb):
    sb.minute_limit, sb.minute_seconds = 5, 2.0
    token = sb.issue_token()
    answers = [raw(sb, "GET", "/Organisation", token=token) for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert answers[0].headers["X-MinLimit-Remaining"] == "4"
    assert answers[4].headers["X-MinLimit-Remaining"] == "0"
    assert int(answers[0].headers["X-DayLimit-Remaining"]) == 4999
    assert answers[0].headers["X-AppMinLimit-Remaining"]
    limited = answers[5]
    assert limited.headers["X-Rate-Limit-Problem"] == "minute"
    assert 1 <= int(limited.headers["Retry-After"]) <= 2
    time.sleep(int(limited.headers["Retry-After"]))
    assert raw(sb, "GET", "/Organisation", token=token).status_code == 200
    stats = sb.stats
    assert stats["http_429"] == 1 and stats["max_calls_in_window"] == 5 and stats["requests"] == 7
    assert stats["per_path"]["/api.xro/2.0/Organisation"] == 7

    sb.reset("empty")
    sb.day_limit = 2
    token = sb.issue_token()
    codes = [raw(sb, "GET", "/Organisation", token=token) for _ in range(3)]
    assert codes[2].status_code == 429 and codes[2].headers["X-Rate-Limit-Problem"] == "day"


def test_concurrent_limit(sb):
    sb.concurrent_limit, sb.fault_delay = 2, 0.5
    sb.inject_fault("timeout", count=2)
    token = sb.issue_token()
    results = []

    def call():
        results.append(raw(sb, "GET", "/Organisation", token=token).status_code)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    third = raw(sb, "GET", "/Organisation", token=token)
    for thread in threads:
        thread.join()
    assert third.status_code == 429 and third.headers["X-Rate-Limit-Problem"] == "concurrent"
    assert results == [200, 200] and sb.stats["max_concurrent"] == 2


def test_idempotency_key_replay_after_lost_answer(sb):
    token = sb.issue_token()
    body = {"Contacts": [{"Name": "Idempotent Ltd"}]}
    sb.inject_fault("500", when="after", method="PUT")
    first = raw(sb, "PUT", "/Contacts", token=token, json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 500 and sb.count_contacts_named("Idempotent Ltd") == 1  # the effect happened
    retry = raw(sb, "PUT", "/Contacts", token=token, json=body, headers={"Idempotency-Key": "k-1"})
    assert retry.status_code == 200 and sb.count_contacts_named("Idempotent Ltd") == 1
    again = raw(sb, "PUT", "/Contacts", token=token, json=body, headers={"Idempotency-Key": "k-1"})
    assert again.json()["Contacts"][0]["ContactID"] == retry.json()["Contacts"][0]["ContactID"]
    too_long = raw(sb, "PUT", "/Contacts", token=token, json=body, headers={"Idempotency-Key": "k" * 129})
    assert too_long.status_code == 400
    # through the SDK as well
    api = sdk(sb)
    group = ContactGroups(contact_groups=[ContactGroup(name="Once")])
    one = api.create_contact_group(sb.tenant_id, group, idempotency_key="g-1").contact_groups[0]
    two = api.create_contact_group(sb.tenant_id, group, idempotency_key="g-1").contact_groups[0]
    assert one.contact_group_id == two.contact_group_id
    assert sb.request_log[-1]["headers"]["idempotency-key"] == "g-1"


def test_faults(sb):
    sb.fault_delay = 1.0
    token = sb.issue_token()
    sb.inject_fault("500")
    assert raw(sb, "GET", "/Organisation", token=token).status_code == 500
    assert raw(sb, "GET", "/Organisation", token=token).status_code == 200
    sb.inject_fault("503", count=2, path_contains="/Contacts")
    assert raw(sb, "GET", "/Organisation", token=token).status_code == 200
    assert [raw(sb, "GET", "/Contacts", token=token).status_code for _ in range(3)] == [503, 503, 200]
    sb.inject_fault("expired_token")
    expired = raw(sb, "GET", "/Organisation", token=token)
    assert expired.status_code == 401 and "TokenExpired" in expired.json()["Detail"]
    sb.inject_fault("429")
    limited = raw(sb, "GET", "/Organisation", token=token)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    sb.inject_fault("timeout")
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(
            sb.accounting_url + "/Organisation",
            timeout=0.3,
            headers={"Authorization": f"Bearer {token['access_token']}", "xero-tenant-id": sb.tenant_id},
        )
    sb.inject_fault("500", path_contains="/connect/token")
    assert (
        requests.post(
            sb.token_url, auth=(sb.client_id, sb.client_secret), timeout=5, data={"grant_type": "client_credentials"}
        ).status_code
        == 500
    )
    with pytest.raises(ValueError):
        sb.inject_fault("418")


def test_schema_violations_are_refused(sb):
    token = sb.issue_token()
    answer = raw(sb, "PUT", "/Contacts", token=token, json={"Contacts": [{"Name": 123}]})
    assert answer.status_code == 400
    assert answer.json()["Type"] == "SchemaValidationException" and answer.json()["ErrorNumber"] == 14
    assert "123" in answer.json()["Message"]
    bad_enum = raw(sb, "PUT", "/Invoices", token=token, json={"Invoices": [{"Type": "BOGUS", "Contact": {}}]})
    assert bad_enum.status_code == 400 and "BOGUS" in bad_enum.json()["Message"]
    bad_param = raw(sb, "GET", "/Contacts", token=token, params={"page": "first"})
    assert bad_param.status_code == 400
    assert len(sb.validation_errors) == 3
    assert sb.count_contacts_named("123") == 0
    # valid raw requests pass, with lower-case paths and booleans as the SDK spells them
    assert raw(sb, "GET", "/contacts", token=token, params={"includeArchived": "True"}).status_code == 200
    assert sb.stats["validation_ms_avg"] > 0


def test_without_spec_nothing_is_validated(tmp_path):
    code = (
        "from xero_connector.sandbox import XeroSandbox\n"
        f"sb = XeroSandbox(seed='empty', openapi_dir={str(tmp_path)!r}); sb.start()\n"
        "import requests\n"
        "t = sb.issue_token()\n"
        "r = requests.put(sb.accounting_url + '/Contacts', json={'Contacts': [{'Name': 123}]}, timeout=5,\n"
        "                 headers={'Authorization': 'Bearer ' + t['access_token'], 'xero-tenant-id': sb.tenant_id})\n"
        "print(r.status_code, sb.count_contacts_named('123'), len(sb.validation_errors))\n"
        "sb.stop()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=30, check=False
    )
    assert done.stdout.split() == ["200", "1", "0"], done.stderr
    assert "Xero OpenAPI description not found at" in done.stderr
    assert "requests are NOT validated against Xero's schema" in done.stderr
    assert done.stderr.count("not found at") == 1


def test_cli_serves_and_exits_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "xero_connector.sandbox", "--port", "0", "--seed", "empty"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("Xero sandbox on http://127.0.0.1:") and "sandbox-client-id" in line
        url = line.split()[3]
        assert requests.get(url + "/connections", timeout=5).status_code == 401
        process.terminate()
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
