"""Countries and regions recognised as Xero users type them."""

import pytest

from xero_connector import fieldmap, places


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("NZ", "NZ"),
        ("nzl", "NZ"),
        ("New Zealand", "NZ"),
        ("Aotearoa", "NZ"),
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("England", "GB"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("United States of America", "US"),
        ("Ireland", "IE"),
        ("Russia", "RU"),
    ],
)
def test_country_by_code_name_or_alias(text, code):
    assert places.country_code(text) == code


def test_unknown_country_is_none():
    assert places.country_code("Atlantis") is None
    assert places.country_code("") is None
    assert places.country_code(None) is None


@pytest.mark.parametrize(
    ("a", "b"),
    [("Co. Cork", "Cork"), ("County Antrim", "Antrim"), ("Greater London", "London"), ("co dublin", "Dublin")],
)
def test_region_prefixes_do_not_matter(a, b):
    assert places.region_key(a) == places.region_key(b)


def test_other_spellings_are_no_difference():
    local = {"country": "New Zealand", "state": "Cork"}
    assert fieldmap.compare(local, {"country": "Aotearoa", "state": "Co. Cork"}, None) == []
    assert [d.key for d in fieldmap.compare(local, {"country": "Australia", "state": "Kerry"}, None)] == [
        "state",
        "country",
    ]
