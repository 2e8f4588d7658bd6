"""The outbox's pure side: item keys, answers matched by key, what is read back."""

from xero_connector import outbox
from xero_connector.outbox import Answer


def test_payment_reference_carries_the_odoo_payment_id():
    reference = outbox.payment_reference("BNK1/2026/00007", 42)
    assert reference == "BNK1/2026/00007 (Odoo #42)"
    assert outbox.payment_id_of(reference) == 42
    assert outbox.payment_id_of("BNK1/2026/00007") is None
    assert outbox.payment_id_of(None) is None


def test_item_keys_name_each_kind_as_xero_echoes_it():
    assert outbox.item_key("invoice_create", {"InvoiceNumber": " INV/2026/0001 "}) == "inv/2026/0001"
    assert outbox.item_key("invoice_update", {"InvoiceID": "ABC-1"}) == "abc-1"
    assert outbox.item_key("payment", {"Reference": "X (Odoo #7)"}) == 7
    allocation = {"Invoice": {"InvoiceID": "I-1"}, "Amount": 10}
    assert outbox.item_key("allocation", allocation) == outbox.item_key(
        "allocation", {"Invoice": {"InvoiceID": "i-1", "InvoiceNumber": "INV1"}, "Amount": 10.0, "AllocationID": "a"}
    )
    assert outbox.item_key("invoice_create", {}) is None
    assert outbox.item_key("payment", None) is None


def test_answers_are_matched_by_key_not_by_position():
    keys = [outbox.item_key("invoice_create", {"InvoiceNumber": n}) for n in ("A1", "A2", "A3")]
    answered = [
        ({"InvoiceNumber": "A3"}, Answer(record={"InvoiceID": "3"})),
        ({"InvoiceNumber": "A1"}, Answer(record={"InvoiceID": "1"})),
        ({"InvoiceNumber": "A2"}, Answer(problems=["refused"])),
    ]
    matched = outbox.match("invoice_create", keys, answered)
    assert [a.record and a.record["InvoiceID"] for a in matched] == ["1", None, "3"]
    assert not matched[1].ok


def test_an_item_xero_did_not_answer_gets_none_and_shared_keys_take_answers_in_turn():
    keys = ["k|1.00", "k|1.00", "other"]
    answered = [
        ({"Invoice": {"InvoiceID": "K"}, "Amount": 1}, Answer(record={"AllocationID": "a1"})),
        ({"Invoice": {"InvoiceID": "K"}, "Amount": 1}, Answer(record={"AllocationID": "a2"})),
    ]
    matched = outbox.match("allocation", keys, answered)
    assert [m and m.record["AllocationID"] for m in matched] == ["a1", "a2", None]


def test_operation_names_the_batch_and_the_revision():
    assert outbox.operation("payment", 3, 17) == "outbox-payment:3:17"
    assert outbox.operation("invoice_update", 3, 18, [2, 5]) == "outbox-invoice_update:3:18:r2.5"
    assert outbox.operation("invoice_update", 3, 18, [3, 5]) != outbox.operation("invoice_update", 3, 18, [2, 5])


def test_payments_and_allocations_found_again_in_what_xero_holds():
    invoices = [
        {"Payments": [{"PaymentID": "p1", "Reference": "BNK (Odoo #5)", "Amount": 10.0}, {"Reference": "manual"}]},
        {"Payments": [{"PaymentID": "p2", "Reference": "BNK (Odoo #6)", "Amount": 20.0}]},
    ]
    found = outbox.found_payments(invoices, [5, 9])
    assert list(found) == [5] and found[5]["PaymentID"] == "p1"
    assert outbox.same_amount("10", 10.0) and not outbox.same_amount(10.01, 10)
    note = {
        "Allocations": [
            {"AllocationID": "a1", "Amount": 5.0, "Invoice": {"InvoiceID": "I"}},
            {"AllocationID": "a2", "Amount": 5.0, "Invoice": {"InvoiceID": "I"}},
        ]
    }
    key = outbox.item_key("allocation", {"Invoice": {"InvoiceID": "I"}, "Amount": 5})
    found = outbox.found_allocations(note, [key, key, "j|1.00"])
    assert {i: a["AllocationID"] for i, a in found.items()} == {0: "a1", 1: "a2"}


def test_contacts_are_matched_by_id_when_updated_and_by_name_when_created():
    sent = [{"ContactID": "ID-1", "EmailAddress": "a@b.example"}, {"Name": "New  Shop"}, {"Name": "Other Ltd"}]
    keys = [outbox.item_key("contact_save", item) for item in sent]
    answered = [
        ({"ContactID": "new-2", "Name": "Other Ltd"}, Answer(record={"ContactID": "new-2"})),
        ({"ContactID": "id-1", "Name": "Bayside Club"}, Answer(record={"ContactID": "id-1"})),
        ({"Name": "new shop"}, Answer(problems=["The contact name new shop is already assigned"])),
    ]
    matched = outbox.match("contact_save", keys, answered)
    assert [m.record["ContactID"] if m.ok else "refused" for m in matched] == ["id-1", "refused", "new-2"]


def test_groups_and_members_are_matched_by_name_and_by_id():
    groups = [{"Name": "Odoo Customers"}, {"Name": "Odoo  Suppliers"}]
    keys = [outbox.item_key("contact_group", g) for g in groups]
    answered = [
        ({"ContactGroupID": "g2", "Name": "odoo suppliers"}, Answer(record={"ContactGroupID": "g2"})),
        ({"ContactGroupID": "g1", "Name": "Odoo Customers"}, Answer(record={"ContactGroupID": "g1"})),
    ]
    assert [m.record["ContactGroupID"] for m in outbox.match("contact_group", keys, answered)] == ["g1", "g2"]
    members = [{"ContactID": "A-1"}, {"ContactID": "b-2"}]
    keys = [outbox.item_key("contact_group_members", m) for m in members]
    answered = [({"ContactID": "b-2"}, Answer(record={"ContactID": "b-2"}))]
    assert [m and m.record["ContactID"] for m in outbox.match("contact_group_members", keys, answered)] == [None, "b-2"]


def test_one_batch_size_a_kind_members_many_more():
    assert outbox.batch_size("invoice_create") == outbox.batch_size("contact_save") == 50
    assert outbox.batch_size("contact_group_members") == 500


def test_a_contact_name_refused_as_taken_may_be_ours_already():
    taken = Answer(problems=["refused"], xero_words=["The contact name Acme is already assigned to another contact."])
    assert outbox.may_be_held("contact_save", taken)
    assert not outbox.may_be_held("contact_save", Answer(problems=["bad email"], xero_words=["Email is invalid"]))
    assert not outbox.may_be_held("contact_save", None)
    assert not outbox.may_be_held("invoice_create", taken)
