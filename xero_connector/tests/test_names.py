from xero_connector.names import split_person_name


def test_known_surname_keeps_compound_first_names():
    assert split_person_name("Mary Ann Smith", "Smith") == ("Mary Ann", "Smith")
    assert split_person_name("Robert Partridge", "Partridge") == ("Robert", "Partridge")


def test_without_a_known_surname_the_last_word_is_the_surname():
    assert split_person_name("Bob  Partridge") == ("Bob", "Partridge")
    assert split_person_name("Cher") == (None, "Cher")
    assert split_person_name("") == (None, None)
    assert split_person_name(None) == (None, None)
