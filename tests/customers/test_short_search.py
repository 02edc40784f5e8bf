"""Searches too short for the trigram indexes match by prefix (issue 9: never a full scan), with a note."""

import pytest

from tests.factories import CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db

URL = "/customers/"


def names(response):
    return [c.name for c in response.context["page"].items]


def test_a_two_letter_search_matches_names_and_emails_starting_with_it(owner_client, merchant):
    CustomerFactory(merchant=merchant, name="Ada Lovelace", email="countess@example.org")
    CustomerFactory(merchant=merchant, name="Grace Hopper", email="adm.hopper@example.org")
    CustomerFactory(merchant=merchant, name="Linus Adams", email="linus@example.org")

    response = owner_client.get(URL, {"q": "ad"})

    assert sorted(names(response)) == ["Ada Lovelace", "Grace Hopper"]
    assert any("starting with" in note for note in response.context["notes"])


def test_a_three_letter_search_matches_anywhere_without_a_note(owner_client, merchant):
    CustomerFactory(merchant=merchant, name="Linus Adams", email="linus@example.org")

    response = owner_client.get(URL, {"q": "ada"})

    assert names(response) == ["Linus Adams"]
    assert response.context["notes"] == []


def test_a_one_letter_transaction_search_matches_emails_starting_with_it(owner_client, merchant):
    TransactionFactory(customer=CustomerFactory(merchant=merchant, email="zed@example.org"))
    TransactionFactory(customer=CustomerFactory(merchant=merchant, email="liz@example.org"))

    response = owner_client.get("/transactions/", {"q": "z"})

    assert [t.customer.email for t in response.context["page"].items] == ["zed@example.org"]
