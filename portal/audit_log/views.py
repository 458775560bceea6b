import csv
import io
import re

from flask import Response, g, render_template, request
from flask_login import current_user

from portal import db, tenancy
from portal.audit_log import bp, queries
from portal.audit_log.forms import AuditFilterForm
from portal.audit_log.labels import action_label, target_label
from portal.db import utcnow
from portal.models import Role
from portal.pagination import paginate
from portal.security import requires


def _filter_form() -> AuditFilterForm:
    return AuditFilterForm(
        formdata=request.args,
        actions=queries.actions_in_log(),
        target_types=queries.target_types_in_log(),
        members=queries.members(),
    )


def _filters(form: AuditFilterForm) -> queries.AuditFilters:
    form.validate()
    data = form.valid_data()
    since, until = queries.period_in_utc(
        data.get("date_from"), data.get("date_to"), current_user.timezone
    )
    actor = data.get("actor")
    return queries.AuditFilters(
        action=data.get("action") or None,
        actor_id=int(actor) if actor else None,
        target_type=data.get("target_type") or None,
        since=since,
        until=until,
        text=(data.get("text") or "").strip() or None,
    )


@bp.get("/")
@requires(Role.ADMIN)
def index():
    form = _filter_form()
    filters = _filters(form)
    page = paginate(queries.events(filters), request.args.get("page", 1, type=int))
    export_args = {key: value for key, value in request.args.items() if key != "page"}
    return render_template(
        "audit_log/index.html",
        form=form,
        page=page,
        token_prefixes=queries.token_prefixes(page.items),
        changes=queries.changes,
        export_args=export_args,
        action_label=action_label,
        target_label=target_label,
    )


@bp.get("/export.csv")
@requires(Role.ADMIN)
def export():
    filters = _filters(_filter_form())
    organization_id = g.organization.id
    slug = re.sub(r"[^A-Za-z0-9_-]", "", g.organization.slug).lower() or "organization"
    filename = f"audit-log-{slug}-{utcnow():%Y-%m-%d}.csv"

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def flush() -> str:
            text = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            return text

        writer.writerow(queries.CSV_COLUMNS)
        yield flush()
        # The body is sent after the request ended (its session removed and
        # its organization forgotten), so the export reads in a session of its
        # own and names its organization again.
        session = db.session.session_factory()
        try:
            with tenancy.organization_context(organization_id):
                for row in queries.csv_rows(filters, session):
                    writer.writerow(row)
                    yield flush()
        finally:
            session.close()

    return Response(
        generate(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
