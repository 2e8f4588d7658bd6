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

REPO = Path(__file__).resolve().parents[2]
BAYSIDE = "Bayside Club"


@pytest.fixture
def sb(sandbox_server):
    """The demo organisation, with every knob a test may turn set back."""
    server = sandbox_server
    server.reset("demo")
    server.auto_consent = False
    server.legacy_app = False
    server.refresh_grace = 1800.0
    server.app_minute_limit = 10000
    server.fault_delay = 5.0
    server.minute_limit, server.minute_seconds = 60, 60.0
    server.day_limit, server.concurrent_limit = 5000, 5
    server.idempotency_ttl = 60.0
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
    sb.refresh_grace = 0  # the old refresh token dies at once (the grace period is tested below)
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
        "scope": "accounting.contacts accounting.settings.read offline_access",
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
    assert updated.updated_date_utc >= got.updated_date_utc  # Xero's clock has whole seconds
    one = api.update_contact(sb.tenant_id, created.contact_id, Contacts(contacts=[Contact(first_name="Anna")]))
    assert one.contacts[0].first_name == "Anna"

    # unique names; by default one invalid item makes the answer a 400 (the valid ones are saved)
    batch = Contacts(contacts=[Contact(name="Brand New Co"), Contact(name="harbour vets ltd")])
    with pytest.raises(HTTPStatusException) as error:
        api.create_contacts(sb.tenant_id, batch)
    assert error.value.status == 400
    body = json.loads(error.value.body)
    assert body["Type"] == "ValidationException" and body["ErrorNumber"] == 10
    message = body["Elements"][0]["ValidationErrors"][0]["Message"]
    assert "is already assigned to another contact" in message and "unique across all active contacts" in message
    assert sb.count_contacts_named("Brand New Co") == 1 and len(body["Elements"]) == 1
    # summarizeErrors=false saves the valid ones and flags the others
    batch = Contacts(contacts=[Contact(name="Newer Co"), Contact(name="harbour vets ltd")])
    result = api.create_contacts(sb.tenant_id, batch, summarize_errors=False).contacts
    assert result[0].contact_id and not result[0].has_validation_errors
    assert result[1].has_validation_errors and "already assigned" in result[1].validation_errors[0].message
    assert sb.count_contacts_named("Newer Co") == 1

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


def test_rate_limit_under_compressed_minute(sb, monkeypatch):
    now = [time.monotonic()]
    monkeypatch.setattr(sb, "ticks", lambda: now[0])
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
    now[0] += int(limited.headers["Retry-After"])  # the wait Xero asked for
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


def test_idempotency_key_is_tied_to_its_request_and_expires(sb, monkeypatch):
    now = [time.monotonic()]
    monkeypatch.setattr(sb, "ticks", lambda: now[0])
    # Xero keeps an Idempotency-Key a limited time and ties it to its request: the
    # same key with another body, endpoint or method is refused with 400
    # (https://developer.xero.com/documentation/guides/idempotent-requests/idempotency).
    token = sb.issue_token()
    sb.idempotency_ttl = 0.5
    first = raw(
        sb, "PUT", "/Contacts", token=token, json={"Contacts": [{"Name": "Keyed"}]}, headers={"Idempotency-Key": "k"}
    )
    assert first.status_code == 200
    other_body = raw(
        sb, "PUT", "/Contacts", token=token, json={"Contacts": [{"Name": "Other"}]}, headers={"Idempotency-Key": "k"}
    )
    assert other_body.status_code == 400 and "Idempotency-Key" in other_body.json()["Message"]
    assert sb.count_contacts_named("Other") == 0
    group = raw(
        sb,
        "PUT",
        "/ContactGroups",
        token=token,
        json={"ContactGroups": [{"Name": "G"}]},
        headers={"Idempotency-Key": "k"},
    )
    assert group.status_code == 400
    same = raw(
        sb, "PUT", "/Contacts", token=token, json={"Contacts": [{"Name": "Keyed"}]}, headers={"Idempotency-Key": "k"}
    )
    assert (
        same.status_code == 200 and same.json()["Contacts"][0]["ContactID"] == first.json()["Contacts"][0]["ContactID"]
    )
    now[0] += 0.6
    # Past its lifetime the key is forgotten: the same request is a new write, which
    # Xero refuses here because the name is taken (nothing is replayed).
    late = raw(
        sb, "PUT", "/Contacts", token=token, json={"Contacts": [{"Name": "Keyed"}]}, headers={"Idempotency-Key": "k"}
    )
    assert late.status_code == 400 and "already assigned" in late.text
    assert sb.count_contacts_named("Keyed") == 1
    # once expired the key may name another request
    now[0] += 0.6
    reused = raw(
        sb, "PUT", "/Contacts", token=token, json={"Contacts": [{"Name": "Other"}]}, headers={"Idempotency-Key": "k"}
    )
    assert reused.status_code == 200 and sb.count_contacts_named("Other") == 1


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
    sb.inject_fault("429_day")
    day = raw(sb, "GET", "/Organisation", token=token)
    assert day.status_code == 429 and day.headers["X-Rate-Limit-Problem"] == "day"
    assert 1 <= int(day.headers["Retry-After"]) <= 86400
    assert raw(sb, "GET", "/Organisation", token=token).status_code == 200
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
    # Faults not used up are dropped on demand (a test that failed midway leaves some).
    sb.inject_fault("503", count=3, path_contains="/Organisation")
    sb.clear_faults()
    assert raw(sb, "GET", "/Organisation", token=token).status_code == 200


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
        "from xero_sandbox import XeroSandbox\n"
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
        [sys.executable, "-m", "xero_sandbox", "--port", "0", "--seed", "empty"],
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


# -- Xero's rules, each with its source -----------------------------------------------


def _invoice(contact_id, day, status="AUTHORISED", **extra):
    line = {"Description": "Work", "Quantity": 1, "UnitAmount": 100, "AccountCode": "200", "TaxType": "OUTPUT"}
    return {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact_id},
        "Date": day,
        "DueDate": day,
        "Status": status,
        "LineItems": [line],
        **extra,
    }


def test_lock_dates_refuse_documents_and_payments_dated_on_or_before(sb):
    # Xero: a transaction dated on or before the organisation's lock date (the later of
    # PeriodLockDate and EndOfYearLockDate) is refused with "The document date cannot be
    # before the period lock date" (https://central.xero.com/s/article/Lock-dates,
    # Organisation.PeriodLockDate / EndOfYearLockDate in xero_accounting.yaml).
    api = sdk(sb)
    token = sb.issue_token()
    bob = bayside(api, sb).contact_id
    open_invoice = raw(sb, "PUT", "/Invoices", token=token, json={"Invoices": [_invoice(bob, "2024-03-20")]})
    assert open_invoice.status_code == 200
    invoice_id = open_invoice.json()["Invoices"][0]["InvoiceID"]
    sb.set_lock_dates(period="2024-03-31", end_of_year="2023-03-31")
    organisation = api.get_organisations(sb.tenant_id).organisations[0]
    assert organisation.period_lock_date == date(2024, 3, 31)
    assert organisation.end_of_year_lock_date == date(2023, 3, 31)
    on_lock = raw(sb, "PUT", "/Invoices", token=token, json={"Invoices": [_invoice(bob, "2024-03-31")]})
    assert on_lock.status_code == 400
    assert "The document date cannot be before the period lock date" in on_lock.text
    # the day after is open; a draft is not posted, so it may carry a locked date
    assert raw(sb, "PUT", "/Invoices", token=token, json={"Invoices": [_invoice(bob, "2024-04-01")]}).status_code == 200
    draft = raw(sb, "PUT", "/Invoices", token=token, json={"Invoices": [_invoice(bob, "2024-01-05", "DRAFT")]})
    assert draft.status_code == 200
    # a posted document of the locked period can no longer be changed, voided or paid in it
    moved = raw(sb, "POST", f"/Invoices/{invoice_id}", token=token, json={"Reference": "later", "Date": "2024-05-01"})
    assert moved.status_code == 400 and "period lock date" in moved.text
    voided = raw(sb, "POST", f"/Invoices/{invoice_id}", token=token, json={"Status": "VOIDED"})
    assert voided.status_code == 400 and "period lock date" in voided.text
    payment = {"Invoice": {"InvoiceID": invoice_id}, "Account": {"Code": "090"}, "Amount": 10, "Date": "2024-03-31"}
    refused = raw(sb, "PUT", "/Payments", token=token, json={"Payments": [payment]})
    assert refused.status_code == 400 and "period lock date" in refused.text
    payment["Date"] = "2024-04-02"
    assert raw(sb, "PUT", "/Payments", token=token, json={"Payments": [payment]}).status_code == 200
    # the end-of-year lock alone locks too
    sb.set_lock_dates(end_of_year="2024-04-30")
    late = raw(sb, "PUT", "/Invoices", token=token, json={"Invoices": [_invoice(bob, "2024-04-15")]})
    assert late.status_code == 400 and "period lock date" in late.text
    sb.set_lock_dates()
    assert raw(sb, "PUT", "/Invoices", token=token, json={"Invoices": [_invoice(bob, "2024-04-15")]}).status_code == 200


def test_paid_or_credited_documents_keep_their_date_reference_contact_and_lines(sb):
    # Xero: once a payment or a credit note allocation is applied, the document's date,
    # due date, reference, contact and lines can no longer be edited ("This document
    # cannot be edited as it has a payment or credit note allocated to it."; remove the
    # payment first: https://central.xero.com/s/article/Edit-a-paid-invoice).
    api = sdk(sb)
    token = sb.issue_token()
    bob = bayside(api, sb).contact_id
    other = raw(sb, "PUT", "/Contacts", token=token, json={"Contacts": [{"Name": "Someone Else"}]})
    other_id = other.json()["Contacts"][0]["ContactID"]
    day = date.today().isoformat()
    created = raw(sb, "PUT", "/Invoices", token=token, json={"Invoices": [_invoice(bob, day, Reference="R1")]})
    invoice_id = created.json()["Invoices"][0]["InvoiceID"]
    # unpaid: every field may change
    free = raw(sb, "POST", f"/Invoices/{invoice_id}", token=token, json={"Reference": "R2"})
    assert free.status_code == 200 and free.json()["Invoices"][0]["Reference"] == "R2"
    payment = {"Invoice": {"InvoiceID": invoice_id}, "Account": {"Code": "090"}, "Amount": 10, "Date": day}
    paid = raw(sb, "PUT", "/Payments", token=token, json={"Payments": [payment]})
    assert paid.status_code == 200
    later = (date.today() + timedelta(days=3)).isoformat()
    for change in (
        {"Date": later},
        {"DueDate": later},
        {"Reference": "R3"},
        {"Contact": {"ContactID": other_id}},
        {"LineItems": _invoice(bob, day)["LineItems"]},
    ):
        refused = raw(sb, "POST", f"/Invoices/{invoice_id}", token=token, json=change)
        assert refused.status_code == 400, change
        assert "cannot be edited as it has a payment or credit note allocated to it" in refused.text
    stored = api.get_invoice(sb.tenant_id, invoice_id).invoices[0]
    assert stored.reference == "R2" and stored.contact.contact_id == bob and stored.date == date.today()
    # the same values again change nothing, so Xero takes them
    same = raw(sb, "POST", f"/Invoices/{invoice_id}", token=token, json={"Reference": "R2", "Date": day})
    assert same.status_code == 200
    # once the payment is removed, the invoice can be edited again
    payment_id = paid.json()["Payments"][0]["PaymentID"]
    assert raw(sb, "POST", f"/Payments/{payment_id}", token=token, json={"Status": "DELETED"}).status_code == 200
    assert raw(sb, "POST", f"/Invoices/{invoice_id}", token=token, json={"Reference": "R3"}).status_code == 200
    # a credit note allocated to an invoice locks both
    note = dict(_invoice(bob, day), Type="ACCRECCREDIT")
    cn = raw(sb, "PUT", "/CreditNotes", token=token, json={"CreditNotes": [note]}).json()["CreditNotes"][0]
    allocation = {"Invoice": {"InvoiceID": invoice_id}, "Amount": 5, "Date": day}
    put = raw(
        sb, "PUT", f"/CreditNotes/{cn['CreditNoteID']}/Allocations", token=token, json={"Allocations": [allocation]}
    )
    assert put.status_code == 200
    for path in (f"/Invoices/{invoice_id}", f"/CreditNotes/{cn['CreditNoteID']}"):
        refused = raw(sb, "POST", path, token=token, json={"Reference": "R4"})
        assert refused.status_code == 400 and "payment or credit note allocated" in refused.text


def test_summarize_errors_saves_valid_items_and_status_strings(sb):
    # Xero saves a batch's valid items whatever summarizeErrors says. With the default
    # (true) one invalid item makes the answer a 400 that lists only the invalid items,
    # so the saved items' ids are not returned; with summarizeErrors=false every item
    # carries StatusAttributeString (OK, WARNING, ERROR) and its Warnings
    # (https://developer.xero.com/documentation/api/accounting/overview "summarizeErrors";
    # StatusAttributeString and Warnings in xero_accounting.yaml).
    api = sdk(sb)
    token = sb.issue_token()
    bob = bayside(api, sb).contact_id
    day = date.today().isoformat()
    good, bad = _invoice(bob, day, InvoiceNumber="GOOD-1"), _invoice(bob, day, InvoiceNumber="BAD-1")
    bad["LineItems"][0]["AccountCode"] = "476"
    answer = raw(sb, "PUT", "/Invoices", token=token, json={"Invoices": [good, bad]})
    assert answer.status_code == 400
    elements = answer.json()["Elements"]
    assert len(elements) == 1 and elements[0]["InvoiceNumber"] == "BAD-1"
    assert "Account code '476' is not a valid code" in elements[0]["ValidationErrors"][0]["Message"]
    assert "GOOD-1" not in answer.text
    saved = api.get_invoices(sb.tenant_id, invoice_numbers=["GOOD-1", "BAD-1"]).invoices
    assert [i.invoice_number for i in saved] == ["GOOD-1"]
    # summarizeErrors=false: a status per item; a draft's unknown account is dropped with a warning
    draft = _invoice(bob, day, "DRAFT", InvoiceNumber="DRAFT-1")
    draft["LineItems"][0]["AccountCode"] = "476"
    good["InvoiceNumber"] = "GOOD-2"
    answer = raw(
        sb, "PUT", "/Invoices", token=token, params={"summarizeErrors": "false"}, json={"Invoices": [good, bad, draft]}
    )
    assert answer.status_code == 200
    items = answer.json()["Invoices"]
    assert [i["StatusAttributeString"] for i in items] == ["OK", "ERROR", "WARNING"]
    assert items[2]["Warnings"] == [
        {"Message": "Account code '476' has been removed as it does not match a recognised account."}
    ]
    assert "AccountCode" not in items[2]["LineItems"][0] and items[2]["InvoiceID"]
    # payments and contacts too
    payment = {"Invoice": {"InvoiceID": items[0]["InvoiceID"]}, "Account": {"Code": "090"}, "Amount": 1, "Date": day}
    wrong = dict(payment, Amount=-1)
    answer = raw(sb, "PUT", "/Payments", token=token, json={"Payments": [payment, wrong]})
    assert answer.status_code == 400 and len(answer.json()["Elements"]) == 1
    assert api.get_invoice(sb.tenant_id, items[0]["InvoiceID"]).invoices[0].amount_paid == 1
    answer = raw(
        sb,
        "PUT",
        "/Contacts",
        token=token,
        params={"summarizeErrors": "false"},
        json={"Contacts": [{"Name": "Fine"}, {"Name": ""}]},
    )
    assert [c["StatusAttributeString"] for c in answer.json()["Contacts"]] == ["OK", "ERROR"]


def test_archived_contacts_are_refused_by_contact_groups(sb):
    # Xero refuses PUT /ContactGroups/{id}/Contacts as a whole when one contact is
    # archived, with "Unable to assign an Archived contact." and without naming it
    # (https://developer.xero.com/documentation/api/accounting/contactgroups).
    api = sdk(sb)
    token = sb.issue_token()
    group_id = raw(sb, "PUT", "/ContactGroups", token=token, json={"ContactGroups": [{"Name": "G"}]}).json()[
        "ContactGroups"
    ][0]["ContactGroupID"]
    bob = bayside(api, sb).contact_id
    archived = next(c["ContactID"] for c in sb.contacts() if c["ContactStatus"] == "ARCHIVED")
    answer = raw(
        sb,
        "PUT",
        f"/ContactGroups/{group_id}/Contacts",
        token=token,
        json={"Contacts": [{"ContactID": bob}, {"ContactID": archived}]},
    )
    assert answer.status_code == 400
    assert answer.json()["Elements"][0]["ValidationErrors"][0]["Message"] == "Unable to assign an Archived contact."
    assert api.get_contact_group(sb.tenant_id, group_id).contact_groups[0].contacts == []  # nobody was added
    ok = raw(sb, "PUT", f"/ContactGroups/{group_id}/Contacts", token=token, json={"Contacts": [{"ContactID": bob}]})
    assert ok.status_code == 200


def test_updated_dates_and_if_modified_since_work_to_the_second(sb):
    # Xero works to the second: If-Modified-Since is an HTTP date (no fraction) and
    # changes in the same second share their UpdatedDateUTC, so a client resending the
    # last UpdatedDateUTC it saw misses later changes of that second
    # (https://developer.xero.com/documentation/api/accounting/requests-and-responses).
    token = sb.issue_token()
    ids = [c["ContactID"] for c in sb.contacts()[:2]]
    # a second after every seeded change (the demo was seeded just now)
    moment = (datetime.now(timezone.utc) + timedelta(days=1)).replace(microsecond=700000)
    second = moment.replace(microsecond=0)

    def since(value):
        return {"If-Modified-Since": value.strftime("%Y-%m-%dT%H:%M:%S.%f")}

    sb.freeze_clock(moment)
    try:
        sb.update_contact(ids[0], EmailAddress="first@example.com")
        first = raw(sb, "GET", "/Contacts", token=token, headers=since(second - timedelta(seconds=1)))
        [seen] = first.json()["Contacts"]
        assert seen["UpdatedDateUTC"] == f"/Date({int(second.timestamp())}000+0000)/"  # no milliseconds
        sb.update_contact(ids[1], EmailAddress="second@example.com")  # the same second
    finally:
        sb.freeze_clock(None)
    # since the last value seen (or any instant of that second): the second change is missed
    assert raw(sb, "GET", "/Contacts", token=token, headers=since(second)).status_code == 304
    assert raw(sb, "GET", "/Contacts", token=token, headers=since(moment)).status_code == 304
    # reading that second again returns both
    both = raw(sb, "GET", "/Contacts", token=token, headers=since(second - timedelta(seconds=1)))
    assert {c["ContactID"] for c in both.json()["Contacts"]} == set(ids)


def test_unit_amounts_keep_four_decimals_only_with_unitdp_4(sb):
    # Xero rounds unit amounts to 2 decimals unless the request opts in with unitdp=4
    # (the unitdp query parameter in xero_accounting.yaml).
    api = sdk(sb)
    token = sb.issue_token()
    bob = bayside(api, sb).contact_id
    day = date.today().isoformat()
    line = {"Description": "Fine", "Quantity": 1000, "UnitAmount": 0.1234, "AccountCode": "200", "TaxType": "NONE"}
    invoice = dict(_invoice(bob, day), LineItems=[line])
    plain = raw(sb, "PUT", "/Invoices", token=token, json={"Invoices": [invoice]}).json()["Invoices"][0]
    assert (plain["LineItems"][0]["UnitAmount"], plain["Total"]) == (0.12, 120.0)
    fine = raw(sb, "PUT", "/Invoices", token=token, params={"unitdp": "4"}, json={"Invoices": [invoice]})
    fine = fine.json()["Invoices"][0]
    assert (fine["LineItems"][0]["UnitAmount"], fine["Total"]) == (0.1234, 123.4)


def test_credit_notes_take_no_discount(sb):
    # "ACC PAY invoices and credit notes in Xero do not support discounts"
    # (LineItem.DiscountRate in xero_accounting.yaml): a credit note line is worth its
    # full amount whatever DiscountRate says; invoices apply it.
    api = sdk(sb)
    token = sb.issue_token()
    bob = bayside(api, sb).contact_id
    day = date.today().isoformat()
    line = {"Description": "Less 10%", "Quantity": 2, "UnitAmount": 50, "DiscountRate": 10, "AccountCode": "200"}
    line["TaxType"] = "NONE"
    invoice = raw(sb, "PUT", "/Invoices", token=token, json={"Invoices": [dict(_invoice(bob, day), LineItems=[line])]})
    assert invoice.json()["Invoices"][0]["Total"] == 90.0
    note = dict(_invoice(bob, day), Type="ACCRECCREDIT", LineItems=[line])
    answer = raw(sb, "PUT", "/CreditNotes", token=token, json={"CreditNotes": [note]}).json()["CreditNotes"][0]
    assert answer["Total"] == 100.0 and "DiscountRate" not in answer["LineItems"][0]
    # the discounted amount as the line amount is what Xero takes
    given = {k: v for k, v in line.items() if k not in ("UnitAmount", "DiscountRate")}
    note = dict(note, LineItems=[dict(given, LineAmount=90)])
    answer = raw(sb, "PUT", "/CreditNotes", token=token, json={"CreditNotes": [note]}).json()["CreditNotes"][0]
    assert (answer["Total"], answer["LineItems"][0]["UnitAmount"]) == (90.0, 45.0)


def test_answers_that_break_xero_s_description_are_caught(sb):
    # The suite checks every sandbox answer against xero_accounting.yaml (conftest):
    # an answer Xero would never give would let the addon pass here and fail live.
    assert sb.check_responses
    token = sb.issue_token()
    assert raw(sb, "GET", "/Contacts", token=token).status_code == 200
    assert sb.response_violations == []
    bob = next(c for c in sb.contacts() if c["Name"] == BAYSIDE)
    sb.update_contact(bob["ContactID"], ContactStatus="SOMETIMES")  # no such status in Xero
    assert raw(sb, "GET", "/Contacts", token=token).status_code == 200
    [broken] = sb.response_violations
    assert broken["path"].endswith("/Contacts") and "'SOMETIMES' is not one of" in broken["message"]
    sb.clear_response_violations()  # caught: this test's own doing


def test_a_foreign_currency_document_without_a_rate_gets_the_day_rate(sb):
    # "If no rate is specified, the XE.com day rate is used" (Invoice.CurrencyRate in
    # xero_accounting.yaml): never 1.0 for a foreign currency.
    api = sdk(sb)
    token = sb.issue_token()
    bob = bayside(api, sb).contact_id
    day = date.today().isoformat()
    sb.set_day_rate("AUD", "0.8765")
    plain = raw(sb, "PUT", "/Invoices", token=token, json={"Invoices": [_invoice(bob, day, CurrencyCode="AUD")]})
    assert plain.json()["Invoices"][0]["CurrencyRate"] == 0.8765
    given = _invoice(bob, day, CurrencyCode="AUD", CurrencyRate=0.9)
    assert (
        raw(sb, "PUT", "/Invoices", token=token, json={"Invoices": [given]}).json()["Invoices"][0]["CurrencyRate"]
        == 0.9
    )
    home = raw(sb, "PUT", "/Invoices", token=token, json={"Invoices": [_invoice(bob, day)]})
    assert home.json()["Invoices"][0]["CurrencyRate"] == 1.0
    # a payment without a rate: the day rate of the payment, not the invoice's
    sb.set_day_rate("AUD", "0.85")
    invoice_id = plain.json()["Invoices"][0]["InvoiceID"]
    payment = {"Invoice": {"InvoiceID": invoice_id}, "Account": {"Code": "090"}, "Amount": 10, "Date": day}
    paid = raw(sb, "PUT", "/Payments", token=token, json={"Payments": [payment]})
    assert paid.json()["Payments"][0]["CurrencyRate"] == 0.85


def test_a_tax_rate_is_refused_on_an_account_class_it_does_not_apply_to(sb):
    # Each tax rate says which account classes it applies to (TaxRate.CanApplyToRevenue,
    # CanApplyToExpenses... in xero_accounting.yaml); Xero refuses it on the others.
    api = sdk(sb)
    token = sb.issue_token()
    bob = bayside(api, sb).contact_id
    invoice = _invoice(bob, date.today().isoformat())
    invoice["LineItems"][0]["TaxType"] = "INPUT"  # a purchases rate on Sales (200, REVENUE)
    refused = raw(sb, "PUT", "/Invoices", token=token, json={"Invoices": [invoice]})
    assert refused.status_code == 400
    assert "The TaxType code 'INPUT' cannot be used with account code '200'." in refused.text
    invoice["LineItems"][0]["TaxType"] = "NONE"  # applies to every class
    assert raw(sb, "PUT", "/Invoices", token=token, json={"Invoices": [invoice]}).status_code == 200


def test_scopes_are_enforced_per_endpoint_and_checked_at_consent(sb):
    # Xero's scopes (https://developer.xero.com/documentation/guides/oauth2/scopes/):
    # each endpoint needs its family's scope, a write its write scope (a `.read` scope
    # only reads); a scope Xero does not know is refused at consent with invalid_scope,
    # and so is the broad accounting.transactions for apps created since March 2026.
    contacts_only = sb.issue_token(scope="accounting.contacts offline_access")
    assert raw(sb, "GET", "/Contacts", token=contacts_only).status_code == 200
    bob = next(c["ContactID"] for c in sb.contacts() if c["Name"] == BAYSIDE)
    invoice = _invoice(bob, date.today().isoformat())
    refused = raw(sb, "PUT", "/Invoices", token=contacts_only, json={"Invoices": [invoice]})
    assert refused.status_code == 403 and refused.json()["Detail"] == "AuthorizationUnsuccessful"
    assert raw(sb, "GET", "/Invoices", token=contacts_only).status_code == 403
    assert raw(sb, "GET", "/Organisation", token=contacts_only).status_code == 403
    reader = sb.issue_token(scope="accounting.contacts.read accounting.invoices.read accounting.settings.read")
    assert raw(sb, "GET", "/Invoices", token=reader).status_code == 200
    assert raw(sb, "GET", "/Organisation", token=reader).status_code == 200
    assert raw(sb, "PUT", "/Invoices", token=reader, json={"Invoices": [invoice]}).status_code == 403
    assert raw(sb, "PUT", "/Contacts", token=reader, json={"Contacts": [{"Name": "Nope"}]}).status_code == 403
    assert sb.count_contacts_named("Nope") == 0
    payer = sb.issue_token(scope="accounting.invoices accounting.payments.read")
    assert raw(sb, "PUT", "/Invoices", token=payer, json={"Invoices": [invoice]}).status_code == 200
    payment = {"Invoice": {"InvoiceNumber": "x"}, "Account": {"Code": "090"}, "Amount": 1}
    assert raw(sb, "PUT", "/Payments", token=payer, json={"Payments": [payment]}).status_code == 403

    def consent(scope):
        query = {
            "response_type": "code",
            "client_id": sb.client_id,
            "redirect_uri": "https://app.example/cb",
            "scope": scope,
            "state": "s",
        }
        answer = requests.get(sb.authorize_url, params=query, allow_redirects=False, timeout=5)
        return answer.status_code, answer.headers.get("Location", "")

    sb.auto_consent = True
    status, location = consent("offline_access accounting.contacts accounting.everything")
    assert status == 302 and "error=invalid_scope" in location and "code=" not in location
    status, location = consent("offline_access accounting.contacts accounting.transactions")
    assert "error=invalid_scope" in location  # a new app: granular scopes only
    assert "code=" in consent("offline_access accounting.contacts accounting.invoices")[1]
    sb.legacy_app = True  # an app created before March 2026
    try:
        assert "code=" in consent("offline_access accounting.contacts accounting.transactions")[1]
        legacy = sb.issue_token(scope="accounting.transactions accounting.contacts")
        assert raw(sb, "PUT", "/Invoices", token=legacy, json={"Invoices": [invoice]}).status_code == 200
    finally:
        sb.legacy_app = False
    custom = requests.post(
        sb.token_url,
        auth=(sb.client_id, sb.client_secret),
        timeout=5,
        data={"grant_type": "client_credentials", "scope": "accounting.made.up"},
    )
    assert custom.status_code == 400 and custom.json()["error"] == "invalid_scope"


def _refresh(sb, refresh_token):
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return requests.post(sb.token_url, auth=(sb.client_id, sb.client_secret), data=form, timeout=5)


def test_refresh_tokens_have_a_grace_period_and_expire_unused_after_60_days(sb):
    # Xero (https://developer.xero.com/documentation/guides/oauth2/token-types/#refresh-token):
    # every refresh returns a new refresh token, the previous one still works for a grace
    # period of 30 minutes (a retry after a lost answer), and one unused for 60 days expires.
    first = sb.issue_token()["refresh_token"]
    second = _refresh(sb, first).json()["refresh_token"]
    assert second != first
    retry = _refresh(sb, first)  # the answer was lost: the old token still works
    assert retry.status_code == 200 and retry.json()["refresh_token"] == second
    assert raw(sb, "GET", "/Organisation", token=retry.json()).status_code == 200
    sb.age_refresh_tokens(days=0.03)  # 43 minutes later: the grace period is over
    assert _refresh(sb, first).json() == {"error": "invalid_grant"}
    third = _refresh(sb, second).json()["refresh_token"]
    sb.age_refresh_tokens(days=59)
    fourth = _refresh(sb, third)  # used within 60 days
    assert fourth.status_code == 200
    sb.age_refresh_tokens(days=61)
    expired = _refresh(sb, fourth.json()["refresh_token"])
    assert expired.status_code == 400 and expired.json() == {"error": "invalid_grant"}


def test_custom_connections_need_no_tenant_header(sb):
    # A custom connection reaches one organisation: Xero does not require xero-tenant-id
    # (https://developer.xero.com/documentation/guides/oauth2/custom-connections/).
    form = {"grant_type": "client_credentials", "scope": "accounting.settings.read accounting.contacts"}
    token = requests.post(sb.token_url, auth=(sb.client_id, sb.client_secret), data=form, timeout=5).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    answer = requests.get(sb.accounting_url + "/Organisation", headers=headers, timeout=5)
    assert answer.status_code == 200 and answer.json()["Organisations"][0]["Name"] == "Demo Company (Sandbox)"
    assert sb.validation_errors == []
    # a consented app still names the organisation
    app = {"Authorization": f"Bearer {sb.issue_token()['access_token']}"}
    assert requests.get(sb.accounting_url + "/Organisation", headers=app, timeout=5).status_code == 403


def test_concurrency_429_has_no_retry_after_and_the_app_limit_is_enforced(sb):
    # Xero's 429 for too many calls at once carries no Retry-After; the app as a whole
    # may make 10,000 calls a minute across organisations, then gets 429s too
    # (https://developer.xero.com/documentation/guides/oauth2/limits/).
    token = sb.issue_token()
    sb.concurrent_limit = 0
    busy = raw(sb, "GET", "/Organisation", token=token)
    assert busy.status_code == 429 and busy.headers["X-Rate-Limit-Problem"] == "concurrent"
    assert "Retry-After" not in busy.headers
    sb.concurrent_limit = 5
    sb.app_minute_limit = 3
    other = sb.add_tenant("Other Org")
    assert raw(sb, "GET", "/Organisation", token=token).status_code == 200
    assert raw(sb, "GET", "/Organisation", token=token).status_code == 200
    both = sb.issue_token(tenant_ids=[sb.tenant_id, other])
    assert raw(sb, "GET", "/Organisation", token=both, tenant=other).status_code == 200
    limited = raw(sb, "GET", "/Organisation", token=both, tenant=other)  # another organisation, same app
    assert limited.status_code == 429 and limited.headers["X-Rate-Limit-Problem"] == "appminute"
    assert int(limited.headers["Retry-After"]) >= 1


def test_write_answers_in_another_order(sb):
    # Xero does not promise that a batch's answer lists the items in the request's order.
    token = sb.issue_token()
    body = {"Contacts": [{"Name": "First Ltd"}, {"Name": "Second Ltd"}, {"Name": "Third Ltd"}]}
    sb.shuffle_write_answers()
    shuffled = raw(sb, "PUT", "/Contacts", token=token, json=body, headers={"Idempotency-Key": "s-1"})
    assert shuffled.status_code == 200
    names = [c["Name"] for c in shuffled.json()["Contacts"]]
    assert sorted(names) == ["First Ltd", "Second Ltd", "Third Ltd"] and names != sorted(names)
    # The next write is answered in order again, and a replay gives the answer as Xero kept it.
    replay = raw(sb, "PUT", "/Contacts", token=token, json=body, headers={"Idempotency-Key": "s-1"})
    assert [c["Name"] for c in replay.json()["Contacts"]] == ["First Ltd", "Second Ltd", "Third Ltd"]
    assert all(sb.count_contacts_named(n) == 1 for n in names)
