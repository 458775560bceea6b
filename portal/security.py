"""Who may do what: role checks declared on views, and the current organization.

``requires`` is the one decorator a portal view uses. It logs the user in,
checks there is a current organization (and its side: client or vendor) and
that the member's role is among those named. Views that change nothing name
``READ``; personal actions (switching organization, reading one's own
notifications) are declared ``personal=True`` so that the route-walking test
knows a viewer may do them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from flask import abort, g, redirect, request, url_for
from flask_login import current_user

from portal.models import Role

#: Every role, viewer included: for pages that only read.
READ: tuple[Role, ...] = tuple(Role)
#: Roles that may change an organization's records at all.
EDITORS: tuple[Role, ...] = (Role.ADMIN, Role.PROCUREMENT, Role.FINANCE, Role.DELIVERY)


def requires(
    *roles: Role,
    side: str | None = None,
    personal: bool = False,
) -> Callable:
    """Declare the roles (and optionally the side, ``client``/``vendor``) a view needs.

    A user outside the side gets 404 (the page does not exist for them); a
    member without the role gets 403.
    """
    allowed = frozenset(roles or READ)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            membership = getattr(g, "membership", None)
            if membership is None:
                return redirect(url_for("organizations.choose"))
            organization = membership.organization
            if side == "client" and not organization.is_client:
                abort(404)
            if side == "vendor" and not organization.is_vendor:
                abort(404)
            if membership.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_roles = allowed  # type: ignore[attr-defined]
        wrapper.required_side = side  # type: ignore[attr-defined]
        wrapper.personal_action = personal  # type: ignore[attr-defined]
        return wrapper

    return decorator


def webhook(view: Callable) -> Callable:
    """Mark a view that another service calls (Stripe): no login, no CSRF token.

    Such a caller has no session cookie to forge a request with; the view
    authenticates each call itself, by its signature. Put it under the route
    decorator.
    """
    view.webhook = True  # type: ignore[attr-defined]
    return view


def has_role(*roles: Role | Iterable[Role]) -> bool:
    """Whether the current member holds one of ``roles`` (for showing buttons)."""
    membership = getattr(g, "membership", None)
    flat: set[Role] = set()
    for role in roles:
        # A role name is a string too: one role, never its characters.
        flat.update([Role(role)] if isinstance(role, str) else (Role(r) for r in role))
    return membership is not None and membership.role in flat
