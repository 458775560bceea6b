"""Guards for the person's own pages, and for changes that need a recent password.

Why not ``portal.security.requires`` on the account pages: ``requires`` needs
a current organization and sends anyone without one to the organization
chooser. A person's name, password, e-mail and sessions belong to the person,
not to an organization: someone removed from their last organization must
still be able to change their password or log out their other devices. These
pages therefore only need a login; they are marked ``personal_action`` (a
viewer may use them) and ``login_only`` (they declare no organization role),
which is what the route-walking test reads.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import g, redirect, request, url_for
from flask_login import current_user

from portal.auth.navigation import safe_next_url
from portal.auth.sessions import is_fresh


def _login_redirect():
    return redirect(url_for("auth.login", next=safe_next_url(request.full_path.rstrip("?"))))


def personal_login_required(view: Callable) -> Callable:
    """A page about the logged-in person, with or without a current organization."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return _login_redirect()
        return view(*args, **kwargs)

    wrapper.login_only = True  # type: ignore[attr-defined]
    wrapper.personal_action = True  # type: ignore[attr-defined]
    return wrapper


def _return_path() -> str | None:
    """Where to come back after re-authenticating.

    A page (GET) comes back to itself. A form post cannot be replayed, so it
    comes back to the page the form was on, read from the same-site referrer.
    """
    if request.method in {"GET", "HEAD"}:
        return safe_next_url(request.full_path.rstrip("?"))
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return None
    path = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return safe_next_url(path)


def fresh_login_required(view: Callable) -> Callable:
    """Let the view run only if the password was typed in this session recently.

    Otherwise the person is sent to re-enter it (``auth.reauthenticate``) and
    brought back afterwards. Put it below ``requires(...)`` or
    ``personal_login_required``, which decide who may use the view at all.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return _login_redirect()
        if not is_fresh(g.user_session):
            return redirect(url_for("auth.reauthenticate", next=_return_path()))
        return view(*args, **kwargs)

    return wrapper
