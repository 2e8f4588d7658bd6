from xero_connector.matching import PartnerIndex, normalise_name


def test_names_that_mean_the_same_organisation():
    assert normalise_name("The Bayside Club Ltd.") == normalise_name("bayside  club")
    assert normalise_name("Café Zürich GmbH") == normalise_name("cafe zurich")
    assert normalise_name("Bayside Club") != normalise_name("Bayside Golf Club")


def test_ranking_tax_number_then_email_then_name():
    index = PartnerIndex(
        [
            (1, "Bayside Club", None, None),
            (2, "Other Name", "bob@baysideclub.example", None),
            (3, "Third", None, "NZ 12-345-678"),
        ]
    )
    found = index.matches(name="Bayside Club Ltd", email="BOB@baysideclub.example", vat="NZ12345678")
    assert found == [(3, "same tax number"), (2, "same email"), (1, "same name")]
    assert index.matches(name="", email="", vat="") == []


def test_a_partner_is_suggested_once():
    index = PartnerIndex([(1, "Acme", "a@acme.example", "123")])
    assert index.matches(name="Acme", email="a@acme.example", vat="123") == [(1, "same tax number")]
