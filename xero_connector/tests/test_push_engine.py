from xero_connector.push import PartnerToPush, XeroContactInfo, plan, unique_name


def partner(pid, name, city=None, ref=None, **values):
    return PartnerToPush(partner_id=pid, values=dict(values, name=name), city=city, ref=ref)


def test_matching_tax_number_or_email_links_instead_of_creating():
    xero = [
        XeroContactInfo("x1", "Bayside Club", email="bob@bayside.example", vat="111-222-333"),
        XeroContactInfo("x2", "Boom FM", email="lucas@boom.example"),
    ]
    result = plan(
        [partner(1, "Bayside Club Ltd", vat="111222333"), partner(2, "Boom", email="LUCAS@boom.example")], xero
    )
    assert result.link == {1: "x1", 2: "x2"}
    assert result.names == {}


def test_a_linked_or_archived_contact_is_not_matched_again():
    xero = [XeroContactInfo("x1", "Acme", vat="1", linked=True), XeroContactInfo("x2", "Old", vat="2", active=False)]
    result = plan([partner(1, "Acme 2", vat="1"), partner(2, "Old", vat="2")], xero)
    assert result.link == {}
    assert result.names == {1: "Acme 2", 2: "Old"}  # an archived contact's name is free again


def test_same_names_are_made_unique_deterministically():
    xero = [XeroContactInfo("x1", "Twin Co")]
    partners = [
        partner(5, "Twin Co", city="Napier"),
        partner(3, "Twin Co", city="Napier", ref="C-3"),
        partner(4, "twin co"),
    ]
    first = plan(partners, xero).names
    assert first == {3: "Twin Co (Napier)", 4: "twin co (#4)", 5: "Twin Co (#5)"}
    assert plan(list(reversed(partners)), xero).names == first


def test_unique_name_fallbacks():
    assert unique_name(partner(9, "  Acme  "), set()) == "Acme"
    assert unique_name(partner(9, "Acme", ref="R1"), {"acme"}) == "Acme (R1)"
    assert unique_name(partner(9, ""), set()) == "Odoo partner #9"
