"""Role names as people read them."""

from flask_babel import lazy_gettext as _l

from portal.models import Role

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.PROCUREMENT: _l("Procurement"),
    Role.FINANCE: _l("Finance"),
    Role.DELIVERY: _l("Delivery"),
    Role.VIEWER: _l("Viewer"),
}

ROLE_DESCRIPTIONS = {
    Role.ADMIN: _l(
        "Manages members, invitations, API tokens and the audit log; can do everything."
    ),
    Role.PROCUREMENT: _l("Runs tenders, evaluates bids and manages contracts."),
    Role.FINANCE: _l("Owns cost baselines, approves invoices and reads savings."),
    Role.DELIVERY: _l("Reports delivery for a vendor and manages its operations."),
    Role.VIEWER: _l("Reads everything the organization sees and changes nothing."),
}


def role_label(role: Role | str) -> str:
    return str(ROLE_LABELS[Role(role)])


def role_choices() -> list[tuple[str, str]]:
    return [(role.value, str(ROLE_LABELS[role])) for role in Role]
