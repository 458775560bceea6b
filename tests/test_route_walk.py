"""Walk every registered URL rule: the tenancy wall and the roles hold everywhere.

The rules are discovered from ``app.url_map``, so routes that later packages
add are covered without anyone remembering to write a test for them.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter

from portal.models import Role
from tests.route_records import RECORD_MAKERS

#: Endpoints reachable without the ``requires`` decorator, and why.
OPEN_ENDPOINTS = {
    "static": "files",
    "dashboard.home": "redirects to login or the dashboard",
    "organizations.accept_invitation": "the single-use token in the URL is the credential",
    "billing.stripe_webhook": "Stripe's signature of the raw body is the credential",
}
#: POST endpoints that do not act on an organization's records, and why a
#: viewer (or an anonymous visitor) may call them.
NON_ORGANIZATION_POSTS_PREFIXES = (
    "auth.",
    "organizations.accept_invitation",
    "organizations.new",
    "billing.stripe_webhook",
)


def _id_arguments(rule) -> list[str]:
    return [
        name
        for name, converter in rule._converters.items()
        # The app's own ``int`` converter is a bounded IntegerConverter.
        if isinstance(converter, IntegerConverter)
    ]


def _rules(app: Flask):
    return sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)


def _view(app: Flask, rule):
    return app.view_functions[rule.endpoint]


def _build(rule, values: dict) -> str:
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(value), path)
    return path


def _other_arguments_filled(rule, values):
    return all(name in values for name in rule.arguments)


@pytest.fixture
def owner(make):
    return make.organization(name="Owner Company", kind="both")


@pytest.fixture
def intruder(make):
    return make.organization(name="Intruder Company", kind="both")


def test_every_id_in_a_url_has_a_record_maker(app):
    missing = sorted(
        {
            f"{name} (in {rule.rule})"
            for rule in _rules(app)
            for name in _id_arguments(rule)
            if name not in RECORD_MAKERS
        }
    )
    assert not missing, f"add these to tests/route_records.py: {missing}"


def test_every_portal_view_declares_its_roles(app):
    undeclared = []
    for rule in _rules(app):
        if rule.endpoint in OPEN_ENDPOINTS or rule.endpoint.startswith(("auth.", "api.")):
            continue
        view = _view(app, rule)
        if getattr(view, "required_roles", None) is None and not getattr(view, "login_only", False):
            undeclared.append(rule.endpoint)
    assert not undeclared, f"declare @requires(...) on: {undeclared}"


def test_another_organizations_records_answer_404(app, make, login, owner, intruder):
    intruder_admin = make.member(intruder, "admin")
    browser = login(intruder_admin, intruder)
    checked = 0
    for rule in _rules(app):
        names = _id_arguments(rule)
        if not names or rule.endpoint.startswith("api."):
            continue
        values = {name: RECORD_MAKERS[name](make, owner) for name in names}
        if not _other_arguments_filled(rule, values):
            continue
        url = _build(rule, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = browser.open(url, method=method)
            assert response.status_code == 404, (
                f"{method} {url} ({rule.endpoint}) gave {response.status_code}"
            )
            checked += 1
    assert checked > 0


def test_a_viewer_changes_nothing(app, make, login, owner):
    viewer = make.member(owner, "viewer")
    browser = login(viewer, owner)
    checked = 0
    for rule in _rules(app):
        if "POST" not in rule.methods or rule.endpoint.startswith(
            ("api.", *NON_ORGANIZATION_POSTS_PREFIXES)
        ):
            continue
        view = _view(app, rule)
        if getattr(view, "personal_action", False):
            continue
        assert Role.VIEWER not in view.required_roles, f"{rule.endpoint} lets a viewer change data"
        values = {name: RECORD_MAKERS[name](make, owner) for name in _id_arguments(rule)}
        if not _other_arguments_filled(rule, values):
            continue
        response = browser.post(_build(rule, values), data={})
        assert response.status_code == 403, (
            f"POST {rule.rule} by a viewer gave {response.status_code}"
        )
        checked += 1
    assert checked > 0


def test_every_page_without_arguments_renders_for_an_admin(app, make, login, owner):
    admin = make.member(owner, "admin")
    browser = login(admin, owner)
    for rule in _rules(app):
        if rule.arguments or "GET" not in rule.methods or rule.endpoint in {"static"}:
            continue
        response = browser.get(rule.rule)
        assert response.status_code < 500, f"GET {rule.rule} gave {response.status_code}"


def _token_for(org, role: str) -> str:
    from portal import db
    from portal.api.operations import TOKEN_PREFIX
    from portal.models import ApiToken
    from portal.tenancy import organization_context
    from portal.tokens import new_token, token_hash

    secret = TOKEN_PREFIX + new_token()
    with organization_context(org.id):
        db.session.add(
            ApiToken(name=role, prefix=secret[:12], token_hash=token_hash(secret), role=Role(role))
        )
    return secret


def test_the_api_answers_404_for_another_organizations_records(app, make, owner, intruder):
    secret = _token_for(intruder, "admin")
    api = app.test_client()
    checked = 0
    for rule in _rules(app):
        names = _id_arguments(rule)
        if not names or not rule.endpoint.startswith("api."):
            continue
        values = {name: RECORD_MAKERS[name](make, owner) for name in names}
        url = _build(rule, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = api.open(url, method=method, headers={"Authorization": f"Bearer {secret}"})
            assert response.status_code == 404, f"{method} {url} gave {response.status_code}"
            assert response.content_type == "application/problem+json"
            checked += 1
    assert checked > 0
