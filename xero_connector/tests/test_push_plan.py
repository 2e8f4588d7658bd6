"""The push plan: one Xero contact is never claimed by two partners, names stay unique.

The first test fails on a bug that once passed the engine suite: two
partners with the same tax number (or email) both linked to one Xero
contact, so the second overwrote the first in Xero.
"""

from xero_connector import push
from xero_connector.push import PartnerToPush, XeroContactInfo, plan


def partner(pid, name, city=None, ref=None, contact_id=None, **values):
    return PartnerToPush(partner_id=pid, values=dict(values, name=name), city=city, ref=ref, contact_id=contact_id)


def test_two_partners_with_one_tax_number_link_only_the_first():
    xero = [XeroContactInfo("x1", "Bayside Club", vat="111-222-333")]
    partners = [partner(8, "Bayside Club (north)", vat="111 222 333"), partner(3, "Bayside Club", vat="111222333")]
    result = plan(partners, xero)
    assert result.link == {3: "x1"}  # the lowest id, whatever the order given
    assert result.names == {8: "Bayside Club (north)"}
    assert list(result.link.values()).count("x1") == 1


def test_a_contact_claimed_by_tax_number_is_not_claimed_again_by_email():
    xero = [XeroContactInfo("x1", "Acme", email="ann@acme.example", vat="42")]
    result = plan([partner(1, "Acme", vat="42"), partner(2, "Acme Sales", email="ANN@acme.example")], xero)
    assert result.link == {1: "x1"}
    assert result.names == {2: "Acme Sales"}


def test_a_second_claimant_gets_a_name_of_its_own():
    # The contact's own name is taken in Xero: the second partner must not reuse it.
    xero = [XeroContactInfo("x1", "Twin Co", email="hello@twin.example")]
    result = plan(
        [partner(1, "Twin Co", email="hello@twin.example"), partner(2, "Twin Co", email="hello@twin.example")], xero
    )
    assert result.link == {1: "x1"}
    assert result.names == {2: "Twin Co (#2)"}


def test_already_linked_partners_are_left_to_the_update():
    xero = [XeroContactInfo("x1", "Acme", vat="42")]
    result = plan([partner(1, "Acme", vat="42", contact_id="x9")], xero)
    assert (result.link, result.names) == ({}, {})
    # ... and do not claim another contact: the next partner may take it.
    result = plan([partner(1, "Acme", vat="42", contact_id="x9"), partner(2, "Acme", vat="42")], xero)
    assert result.link == {2: "x1"}


def test_tax_number_wins_over_email():
    xero = [XeroContactInfo("by-mail", "Mail Co", email="a@b.example"), XeroContactInfo("by-vat", "Vat Co", vat="77")]
    result = plan([partner(1, "Co", vat="77", email="a@b.example")], xero)
    assert result.link == {1: "by-vat"}


def test_partners_without_tax_number_or_email_never_match_contacts_without_them():
    xero = [XeroContactInfo("x1", "Blank Co")]
    result = plan([partner(1, "Other Co"), partner(2, "Blank Co", vat="", email="")], xero)
    assert result.link == {}
    assert result.names == {1: "Other Co", 2: "Blank Co (#2)"}


def test_names_made_unique_take_the_city_then_the_reference_then_the_id():
    taken = {"acme"}
    assert push.unique_name(partner(5, "Acme", city=" Napier ", ref="R-5"), taken) == "Acme (Napier)"
    assert push.unique_name(partner(5, "Acme", city="Napier", ref=" R-5 "), taken | {"acme (napier)"}) == "Acme (R-5)"
    everything = taken | {"acme (napier)", "acme (r-5)"}
    assert push.unique_name(partner(5, "Acme", city="Napier", ref="R-5"), everything) == "Acme (#5)"
    assert push.unique_name(partner(5, "Acme", city="Napier", ref="R-5"), everything | {"acme (#5)"}) == "Acme (#5)"
    assert push.candidate_names(partner(5, "  Acme   Ltd ")) == ["Acme Ltd", "Acme Ltd (#5)"]


def test_names_of_this_push_and_of_archived_contacts():
    xero = [XeroContactInfo("x1", "Old Co", active=False), XeroContactInfo("x2", "Live Co", linked=True)]
    result = plan([partner(1, "Old Co"), partner(2, "live  co"), partner(3, "Old Co")], xero)
    assert result.names == {1: "Old Co", 2: "live co (#2)", 3: "Old Co (#3)"}


def test_payload_writes_the_planned_name_over_the_partner_s_own():
    values = {"name": "Acme", "email": "a@acme.example"}
    assert push.payload(values, name="Acme (Napier)") == {"Name": "Acme (Napier)", "EmailAddress": "a@acme.example"}
    assert push.payload(values) == {"Name": "Acme", "EmailAddress": "a@acme.example"}
    assert values == {"name": "Acme", "email": "a@acme.example"}  # the caller's values are left alone
    base = {"ContactID": "x1", "Name": "Acme"}
    assert push.payload({"name": "Acme"}, base=base) == {"ContactID": "x1", "Name": "Acme"}
