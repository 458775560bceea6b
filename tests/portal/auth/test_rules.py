"""Unit tests of the accounts rules: safe redirects, the password policy, landing."""

from __future__ import annotations

import pytest

from portal.auth.navigation import safe_next_url
from portal.auth.operations import choose_landing_organization
from portal.auth.passwords import (
    WeakPasswordError,
    hash_password,
    needs_rehash,
    password_problem,
    require_acceptable_password,
    verify_password,
)


@pytest.mark.parametrize(
    "target",
    ["/dashboard", "/functions?page=2", "/account#sessions", "/a/b/../c", "/%2F%2Fevil.example"],
)
def test_safe_next_url_keeps_paths_on_this_site(target):
    assert safe_next_url(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "http:evil.example",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "\\/evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        " //evil.example",
        "/ /evil.example",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,hello",
        "evil.example",
        "dashboard",
        "/\x00/evil.example",
        "/\x7f",
        "/" + "a" * 2001,
    ],
)
def test_safe_next_url_refuses_anything_that_could_leave_the_site(target):
    assert safe_next_url(target) is None


def test_password_policy_wants_ten_characters(app):
    with app.test_request_context():
        assert password_problem("123456789", "a@b.test")
        assert password_problem("1234567890", "a@b.test") is None


def test_password_policy_refuses_the_email_address_in_any_case(app):
    with app.test_request_context():
        assert password_problem("Camille@Northwind.test", "camille@northwind.test")
        with pytest.raises(WeakPasswordError):
            require_acceptable_password("camille@northwind.test", "camille@northwind.test")


def test_password_policy_refuses_absurd_lengths(app):
    with app.test_request_context():
        assert password_problem("x" * 201, "a@b.test")


def test_passwords_are_argon2_and_verify():
    hashed = hash_password("a long enough secret")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "a long enough secret")
    assert not verify_password(hashed, "another secret entirely")
    assert not verify_password(None, "a long enough secret")
    assert not needs_rehash(hashed)


def test_landing_is_the_last_organization_while_still_a_member(make):
    first = make.organization(name="Alpha")
    last = make.organization(name="Zulu")
    person = make.member(first, "viewer")
    make.add_membership(last, person, "admin")
    person.last_organization_id = last.id
    assert choose_landing_organization(person) == last.id


def test_landing_falls_back_to_the_first_membership(make):
    first = make.organization(name="Alpha")
    gone = make.organization(name="Left behind")
    person = make.member(first, "viewer")
    person.last_organization_id = gone.id
    assert choose_landing_organization(person) == first.id
    assert person.last_organization_id == first.id


def test_landing_is_none_without_membership(make):
    assert choose_landing_organization(make.user()) is None
