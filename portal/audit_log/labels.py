"""What each audited action and record type is called in the audit log.

The log stores stable codes (``membership.role_changed``); people read these
labels in their language. A code without a label is shown as it is, so a
package that adds actions adds its labels with ``ACTION_LABELS.update``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "user.signed_up": _l("Signed up"),
    "organization.created": _l("Organization created"),
    "organization.updated": _l("Organization details changed"),
    "membership.created": _l("Member added"),
    "membership.role_changed": _l("Role changed"),
    "membership.removed": _l("Member removed"),
    "membership.left": _l("Member left"),
    "invitation.created": _l("Invitation sent"),
    "invitation.resent": _l("Invitation sent again"),
    "invitation.revoked": _l("Invitation revoked"),
    "invitation.accepted": _l("Invitation accepted"),
    "api_token.created": _l("API token created"),
    "api_token.revoked": _l("API token revoked"),
    "department.created": _l("Department created"),
    "department.updated": _l("Department changed"),
    "department.deleted": _l("Department deleted"),
    "function.created": _l("Function added to the register"),
    "function.updated": _l("Function changed"),
    "function.deleted": _l("Function deleted"),
}

TARGET_LABELS = {
    "User": _l("Person"),
    "Organization": _l("Organization"),
    "Membership": _l("Membership"),
    "Invitation": _l("Invitation"),
    "ApiToken": _l("API token"),
    "Department": _l("Department"),
    "BackOfficeFunction": _l("Function"),
}


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


def target_label(code: str) -> str:
    return str(TARGET_LABELS.get(code, code))
