"""The gateway's refusals in plain words, dates and odd answers, through the real SDK against the sandbox.

Where the sandbox has no way to give an answer (a status Xero rarely
sends), the SDK's own ApiException is handed to the translation directly.
"""

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from xero_connector import errors
from xero_connector import gateway as gw
from xero_connector.gateway import BatchResult, ItemResult, StaticToken, XeroGateway, parse_xero_datetime
from xero_sandbox.testing import sdk_error


def api_requests(sandbox, path_part):
    return [r for r in sandbox.request_log if path_part in r["path"]]


# -- refusals ---------------------------------------------------------------------------


def test_a_duplicate_contact_group_is_refused_with_xero_s_words(make_gateway):
    gateway = make_gateway()
    gateway.create_contact_group("Odoo Customers", operation="group:a")
    with pytest.raises(errors.XeroValidationError) as info:
        gateway.create_contact_group("Odoo Customers", operation="group:b")
    [problem] = info.value.problems
    assert "You have already got a contact group called 'Odoo Customers'" in problem.message
    assert "already got a contact group" in str(info.value)


def test_an_unknown_contact_put_in_a_group_is_refused(make_gateway):
    gateway = make_gateway()
    group = gateway.create_contact_group("Odoo Suppliers", operation="group:c")
    with pytest.raises(errors.XeroValidationError, match="could not be found"):
        gateway.add_contacts_to_group(group["ContactGroupID"], [str(uuid.uuid4())], operation="group:c:members")


def test_a_record_xero_does_not_have_is_not_found(make_gateway):
    gateway = make_gateway()
    with pytest.raises(errors.XeroNotFoundError, match="no such record") as info:
        gateway.delete_allocation(str(uuid.uuid4()), str(uuid.uuid4()))
    assert info.value.status == 404


def test_a_static_token_refused_cannot_be_refreshed(sandbox):
    token = sandbox.issue_token()["access_token"]
    sandbox.expire_access_tokens()
    gateway = XeroGateway(sandbox.tenant_id, StaticToken(token), base_url=sandbox.accounting_url)
    with pytest.raises(errors.XeroAuthError) as info:
        gateway.get_organisation()
    assert str(info.value) == "The access token was refused and cannot be refreshed."
    assert info.value.status == 401


class UselessRefresh:
    """A token source whose refresh gives a token Xero refuses too."""

    def __init__(self):
        self.refreshes = 0

    def access_token(self):
        return "not-a-token"

    def refresh(self):
        self.refreshes += 1
        return "still-not-a-token"


def test_a_token_refused_even_after_one_refresh_asks_to_reconnect(sandbox):
    source = UselessRefresh()
    gateway = XeroGateway(sandbox.tenant_id, source, base_url=sandbox.accounting_url)
    with pytest.raises(errors.XeroAuthError, match="even after a refresh: reconnect") as info:
        gateway.get_organisation()
    assert info.value.status == 401
    assert source.refreshes == 1  # one refresh, not a loop
    assert len(api_requests(sandbox, "/Organisation")) == 2


def test_5xx_without_retries_is_unavailable_at_once(sandbox, make_gateway):
    sandbox.inject_fault("500", path_contains="/Organisation")
    gateway = make_gateway(max_retries=0)
    with pytest.raises(errors.XeroUnavailableError, match=r"HTTP 500\); try again later") as info:
        gateway.get_organisation()
    assert info.value.status == 500 and gateway.sleep.waits == []


def test_one_5xx_then_an_answer_backs_off_once(sandbox, make_gateway):
    sandbox.inject_fault("503", path_contains="/Organisation")
    waits = []
    gateway = make_gateway(sleep=waits.append)
    assert gateway.get_organisation()["Name"]
    assert len(waits) == 1 and 0.4 <= waits[0] <= 0.6
    assert gateway.calls == 2


def test_backoff_doubles_with_jitter_and_is_capped():
    for attempt, base in ((1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (7, 30.0), (20, 30.0)):
        waits = [XeroGateway._backoff(attempt) for _ in range(50)]
        assert all(base * 0.8 <= w <= base * 1.2 for w in waits), (attempt, min(waits), max(waits))


def test_an_unreachable_xero_is_unavailable_in_plain_words():
    waits = []
    gateway = XeroGateway(
        "t", StaticToken("x"), base_url="http://127.0.0.1:9/api.xro/2.0", max_retries=1, sleep=waits.append
    )
    with pytest.raises(errors.XeroUnavailableError, match=r"^Xero could not be reached \(\w+Error\)\.$"):
        gateway.get_organisation()
    assert len(waits) == 1


def test_a_timeout_given_as_one_number_is_kept(sandbox, make_gateway):
    # The SDK drops a float timeout: without the gateway's pair this call would wait 1 s and succeed.
    sandbox.fault_delay = 1.0
    sandbox.inject_fault("timeout", count=3, path_contains="/Organisation")
    gateway = make_gateway(timeout=0.3, max_retries=0)
    with pytest.raises(errors.XeroUnavailableError, match=r"did not answer within 0.3 seconds"):
        gateway.get_organisation()


def test_a_concurrent_limit_429_is_named(sandbox, make_gateway):
    sandbox.concurrent_limit = 0
    try:
        waits = []
        gateway = make_gateway(max_retries=0, sleep=waits.append)
        with pytest.raises(errors.XeroRateLimitError, match="the concurrent-call API limit") as info:
            gateway.get_organisation()
        assert info.value.problem == "concurrent" and info.value.retry_after == 1.0
    finally:
        sandbox.concurrent_limit = 5


def test_answers_the_sandbox_never_gives_are_translated_too():
    grant = gw._translate(sdk_error(400, b'{"error": "invalid_grant"}'), "Contacts")
    assert isinstance(grant, errors.XeroAuthError) and grant.reconnect_needed
    assert "invalid grant" in str(grant)
    plain = gw._translate(sdk_error(400, b'{"Detail": "Bad thing"}'), "Contacts")
    assert str(plain) == "Xero refused the request: Bad thing"
    # Only Xero's own words are a refusal: a 400 without Xero's body is "unavailable, will retry".
    no_body = gw._translate(sdk_error(400, b"<html>oops</html>", reason="Bad Request"), "Contacts", writing=True)
    assert type(no_body) is errors.XeroUnavailableError and no_body.retryable and no_body.maybe_written
    empty = gw._translate(sdk_error(400, b'{"Type": "ValidationException", "Elements": []}', "Bad"), "Contacts")
    assert type(empty) is errors.XeroRequestError and str(empty) == "Xero refused the request: Bad"
    # 409: a request with the same key still in flight at Xero, never a refusal.
    conflict = gw._translate(sdk_error(409, b'{"Message": "Busy"}'), "Invoices", writing=True)
    assert type(conflict) is errors.XeroUnavailableError and conflict.retryable
    assert conflict.status == 409 and conflict.maybe_written
    assert "will retry" in str(conflict)
    assert str(gw._translate(sdk_error(405, None, "Not Allowed"), None)) == (
        "Xero refused the request (HTTP 405): Not Allowed"
    )
    forbidden = gw._translate(sdk_error(403), None)
    assert isinstance(forbidden, errors.XeroAuthError) and forbidden.status == 403


def test_retry_after_missing_or_unreadable_waits_a_minute():
    assert gw._retry_after({}) == 60.0
    assert gw._retry_after({"Retry-After": "soon"}) == 60.0
    assert gw._retry_after({"Retry-After": "-3"}) == 0.0
    assert gw._retry_after({"Retry-After": "2.5"}) == 2.5
    unknown = gw._rate_limit_error(0.2, None)
    assert str(unknown) == "Xero's API limit for this organisation is used up; try again in 1 seconds."


# -- dates ------------------------------------------------------------------------------


def test_xero_dates_are_read_as_aware_utc_datetimes():
    utc = timezone.utc
    assert parse_xero_datetime(None) is None and parse_xero_datetime("") is None
    assert parse_xero_datetime("/Date(1574275974000+0000)/") == datetime(2019, 11, 20, 18, 52, 54, tzinfo=utc)
    assert parse_xero_datetime("/Date(1574275974000)/") == datetime(2019, 11, 20, 18, 52, 54, tzinfo=utc)
    assert parse_xero_datetime("/Date(1574275974000-0500)/") == datetime(2019, 11, 20, 18, 52, 54, tzinfo=utc)
    assert parse_xero_datetime("2024-05-01T10:00:00Z") == datetime(2024, 5, 1, 10, tzinfo=utc)
    assert parse_xero_datetime("2024-05-01T10:00:00") == datetime(2024, 5, 1, 10, tzinfo=utc)
    plus_two = timezone(timedelta(hours=2))
    assert parse_xero_datetime("2024-05-01T10:00:00+02:00") == datetime(2024, 5, 1, 8, tzinfo=utc)
    assert parse_xero_datetime(datetime(2024, 5, 1, 10)) == datetime(2024, 5, 1, 10, tzinfo=utc)
    aware = datetime(2024, 5, 1, 10, tzinfo=plus_two)
    assert parse_xero_datetime(aware) is aware


def test_dates_are_given_to_the_sdk_in_its_own_form():
    assert gw._ms_date("2024-05-01") == "/Date(1714521600000+0000)/"
    assert gw._ms_date("2024-05-01T00:00:00Z") == "/Date(1714521600000+0000)/"
    assert gw._ms_date(date(2024, 5, 1)) == "/Date(1714521600000+0000)/"
    assert gw._ms_date(datetime(2024, 5, 1, tzinfo=timezone(timedelta(hours=12)))) == "/Date(1714478400000+0000)/"
    assert gw._ms_date("/Date(1714521600000+0000)/") == "/Date(1714521600000+0000)/"
    assert gw._ms_date("next Tuesday") == "next Tuesday"  # left for the SDK to refuse
    finder = XeroGateway("t", StaticToken("x"))._api.get_model_finder()
    assert gw._sdk_dates("NoSuchModel", {"Date": "2024-05-01"}, finder) == {"Date": "2024-05-01"}
    assert gw._sdk_dates("Invoice", None, finder) is None
    converted = gw._sdk_dates("Invoices", {"Invoices": [{"Date": "2024-05-01", "Reference": "2024-05-01"}]}, finder)
    assert converted == {"Invoices": [{"Date": "/Date(1714521600000+0000)/", "Reference": "2024-05-01"}]}


# -- batches ------------------------------------------------------------------------------


def test_a_batch_says_what_was_saved_and_what_failed(make_gateway):
    gateway = make_gateway()
    result = gateway.save_contacts(
        [{"Name": "Good One"}, {"Name": "Bad One", "EmailAddress": "nope"}, {"Name": "Good Two"}], operation="b:1"
    )
    assert isinstance(result, BatchResult)
    assert [item.record["Name"] for item in result.saved] == ["Good One", "Good Two"]
    assert [(item.index, item.record) for item in result.failed] == [(1, None)]
    assert result.failed[0].problems[0].record_label == "Bad One"
    assert ItemResult(0, {}).ok and not ItemResult(0, None, ["x"]).ok


def test_the_gateway_counts_its_calls_and_sends_its_name(sandbox, make_gateway):
    gateway = make_gateway()
    gateway.get_organisation()
    gateway.get_accounts()
    gateway.get_tax_rates()
    assert gateway.calls == 3
    assert all(r["headers"]["user-agent"].startswith("odoo-xero-connector") for r in sandbox.request_log)


def test_credit_notes_saved_keep_four_decimal_unit_amounts(make_gateway):
    from decimal import Decimal

    from xero_connector import accounting as acc

    gateway = make_gateway()
    contact = gateway.save_contacts([{"Name": "Screws Ltd"}], operation="cn4:contact").items[0].record
    line = acc.Line("Screws", Decimal(1000), Decimal("0.0125"), "200", "NONE")
    note = acc.Document("k", "credit_note", "CN-4", contact["ContactID"], "2024-05-01", lines=(line,))
    record = gateway.save_credit_notes([acc.document_payload(note)], operation="cn4").items[0].record
    assert record["LineItems"][0]["UnitAmount"] == 0.0125 and record["Total"] == 12.5


# -- reading invoices and credit notes: every filter reaches Xero ----------------------------


@pytest.fixture
def two_customers(make_gateway):
    from decimal import Decimal

    from xero_connector import accounting as acc

    gateway = make_gateway()
    saved = gateway.save_contacts([{"Name": "Alpha Ltd"}, {"Name": "Beta Ltd"}], operation="read:contacts")
    alpha, beta = (item.record["ContactID"] for item in saved.items)
    line = acc.Line("Work", Decimal(1), Decimal("10.0025"), "200", "NONE")

    def document(kind, number, contact):
        return acc.Document(f"k-{number}", kind, number, contact, "2024-05-01", "2024-05-31", lines=(line,))

    invoices = [acc.document_payload(document("invoice", "INV-A", alpha))]
    invoices.append(acc.document_payload(document("invoice", "INV-B", beta)))
    gateway.save_invoices(invoices, operation="read:invoices")
    notes = [acc.document_payload(document("credit_note", "CN-A", alpha))]
    gateway.create_credit_notes(notes, operation="read:cn-a")
    gateway.save_credit_notes([acc.document_payload(document("credit_note", "CN-B", beta))], operation="read:cn-b")
    return gateway, alpha, beta


def test_invoices_filtered_by_number_contact_status_and_where(two_customers):
    gateway, alpha, _beta = two_customers
    assert [i["InvoiceNumber"] for i in gateway.get_invoices(numbers=["INV-B"])] == ["INV-B"]
    assert [i["InvoiceNumber"] for i in gateway.get_invoices(contact_ids=[alpha])] == ["INV-A"]
    assert gateway.get_invoices(statuses=["PAID"]) == []
    assert len(gateway.get_invoices(statuses=["AUTHORISED"])) == 2
    assert [i["InvoiceNumber"] for i in gateway.get_invoices(where='InvoiceNumber=="INV-A"')] == ["INV-A"]
    assert len(gateway.get_invoices(modified_since="2100-01-01T00:00:00")) == 0
    assert len(gateway.get_invoices(page_size=1)) == 2
    assert gateway.calls >= 9


def test_unit_amounts_of_saved_and_created_documents_keep_four_decimals(two_customers):
    gateway, _alpha, _beta = two_customers
    invoices = {i["InvoiceNumber"]: i for i in gateway.get_invoices()}
    assert {n: i["LineItems"][0]["UnitAmount"] for n, i in invoices.items()} == {"INV-A": 10.0025, "INV-B": 10.0025}
    notes = {c["CreditNoteNumber"]: c for c in gateway.get_credit_notes()}
    assert {n: c["LineItems"][0]["UnitAmount"] for n, c in notes.items()} == {"CN-A": 10.0025, "CN-B": 10.0025}


def test_credit_notes_filtered_by_where_and_date_and_paged(sandbox, two_customers):
    gateway, _alpha, _beta = two_customers
    assert [c["CreditNoteNumber"] for c in gateway.get_credit_notes(where='CreditNoteNumber=="CN-B"')] == ["CN-B"]
    assert gateway.get_credit_notes(modified_since="2100-01-01T00:00:00") == []
    assert len(gateway.get_credit_notes(page_size=1)) == 2
    pages = [r for r in sandbox.request_log if r["path"].endswith("/CreditNotes") and r["method"] == "GET"]
    assert "pageSize=1" in pages[-1]["query"]
    assert sum(1 for r in pages if "if-modified-since" in r["headers"]) == 1


def test_two_payments_deleted_under_one_operation_are_both_deleted(two_customers):
    from decimal import Decimal

    from xero_connector import accounting as acc

    gateway, _alpha, _beta = two_customers
    invoice = gateway.get_invoices(numbers=["INV-A"])[0]
    payments = [
        acc.payment_payload(acc.PaymentDoc(f"p{n}", invoice["InvoiceID"], "090", "2024-06-01", Decimal("2.00")))
        for n in range(2)
    ]
    first = gateway.save_payments(payments[:1], operation="pay:1").items[0].record
    second = gateway.save_payments(payments[1:], operation="pay:2").items[0].record
    assert gateway.delete_payment(first["PaymentID"], operation="unpay")["PaymentID"] == first["PaymentID"]
    assert gateway.delete_payment(second["PaymentID"], operation="unpay")["PaymentID"] == second["PaymentID"]
    assert gateway.get_invoices(numbers=["INV-A"])[0]["AmountDue"] == invoice["AmountDue"]


def test_dates_are_utc_midnights_whatever_the_server_s_time_zone(monkeypatch):
    import time as clock

    monkeypatch.setenv("TZ", "Pacific/Auckland")
    clock.tzset()
    try:
        assert gw._ms_date(date(2024, 5, 1)) == "/Date(1714521600000+0000)/"
        assert gw._ms_date("2024-05-01T00:00:00") == "/Date(1714521600000+0000)/"
        assert parse_xero_datetime("2024-05-01T00:00:00").timestamp() == 1714521600
    finally:
        monkeypatch.undo()
        clock.tzset()


def test_created_invoices_keep_four_decimal_unit_amounts(sandbox, make_gateway):
    from decimal import Decimal

    from xero_connector import accounting as acc

    gateway = make_gateway()
    contact = gateway.save_contacts([{"Name": "Nails Ltd"}], operation="inv4:contact").items[0].record
    line = acc.Line("Nails", Decimal(1000), Decimal("0.0125"), "200", "NONE")
    invoice = acc.Document("k", "invoice", "INV-4", contact["ContactID"], "2024-05-01", "2024-05-31", lines=(line,))
    record = gateway.create_invoices([acc.document_payload(invoice)], operation="inv4").items[0].record
    assert record["LineItems"][0]["UnitAmount"] == 0.0125 and record["Total"] == 12.5
    assert "unitdp=4" in [r for r in sandbox.request_log if r["method"] == "PUT"][-1]["query"]


# -- what mutation testing showed unpinned in the gateway ----------------------------------


def test_refusals_in_full_words_with_their_status():
    cases = [
        (sdk_error(400, b'{"error": "invalid_grant"}'), errors.XeroAuthError, 400,
         "Xero no longer accepts this connection (invalid grant): reconnect to Xero."),
        (sdk_error(400, b'{"Message": "M", "Detail": "D"}'), errors.XeroRequestError, 400,
         "Xero refused the request: M"),
        (sdk_error(401), errors.XeroAuthError, 401,
         "Xero refused the connection's access token even after a refresh: reconnect to Xero."),
        (sdk_error(403), errors.XeroAuthError, 403,
         "Xero refused access to this organisation: the connection does not cover it or lacks the needed permission."),
        (sdk_error(404), errors.XeroNotFoundError, 404, "Xero has no such record (it may have been deleted)."),
    ]  # fmt: skip
    for exc, kind, status, words in cases:
        translated = gw._translate(exc, "Contacts")
        assert (type(translated), translated.status, str(translated)) == (kind, status, words)


def test_every_record_of_a_refused_request_is_named():
    body = (
        b'{"Elements": [{"Name": "Acme", "ValidationErrors": [{"Message": "Out of stock"}]},'
        b' {"Name": "Boom", "ValidationErrors": [{"Message": "On hold"}]}]}'
    )
    translated = gw._translate(sdk_error(400, body), "Contacts")  # no "Type": the Elements say it all
    assert isinstance(translated, errors.XeroValidationError)
    assert [(p.index, p.message) for p in translated.problems] == [
        (0, 'Xero refused contact "Acme": Out of stock'),
        (1, 'Xero refused contact "Boom": On hold'),
    ]


def test_a_refused_group_names_the_contact_group(make_gateway):
    gateway = make_gateway()
    gateway.create_contact_group("Odoo Customers", operation="group:x")
    with pytest.raises(errors.XeroValidationError) as info:
        gateway.create_contact_group("odoo customers", operation="group:y")
    assert info.value.problems[0].message.startswith('Xero refused contact group "odoo customers"')


def test_failed_items_keep_their_place_in_the_batch(make_gateway):
    result = make_gateway().save_contacts(
        [{"Name": "Fine Ltd"}, {"Name": "Broken Ltd", "EmailAddress": "nope"}], operation="place"
    )
    assert [(p.index, p.record_label) for p in result.failed[0].problems] == [(1, "Broken Ltd")]


def test_keys_ignore_key_order_and_take_dates_and_decimals():
    from decimal import Decimal

    assert idempotency_key_of({"a": 1, "b": 2}) == idempotency_key_of({"b": 2, "a": 1})
    keyed = idempotency_key_of({"Date": date(2024, 5, 1), "Amount": Decimal("1.50")})
    assert keyed == idempotency_key_of({"Date": "2024-05-01", "Amount": "1.50"})
    assert len(gw.idempotency_key("t", "o" * 80, {})) == 50 + 1 + 64  # 50 characters of the operation


def idempotency_key_of(payload):
    return gw.idempotency_key("tenant", "op", payload)


def test_datetimes_and_unknown_fields_reach_the_sdk_as_they_should():
    finder = XeroGateway("t", StaticToken("x"))._api.get_model_finder()
    contacts = {"Contacts": [{"Name": "A", "UpdatedDateUTC": "2024-05-01T10:00:00", "Custom": "2024-05-01"}]}
    assert gw._sdk_dates("Contacts", contacts, finder) == {
        "Contacts": [{"Name": "A", "UpdatedDateUTC": "/Date(1714557600000+0000)/", "Custom": "2024-05-01"}]
    }


def test_every_document_write_asks_xero_for_four_decimal_unit_amounts(sandbox, two_customers):
    writes = [r for r in sandbox.request_log if r["method"] in ("PUT", "POST") and "Contacts" not in r["path"]]
    assert len(writes) == 3
    assert all("unitdp=4" in r["query"] for r in writes)
