"""Delivery report pages: the periods of the term, the vendor's form, the client's review."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from contracts.models import DeliveryReport, ReportStatus
from contracts.rules import add_months, month_start
from portal import db
from portal.tenancy import across_tenants

THIS_MONTH = month_start(date.today())
LAST_MONTH = add_months(THIS_MONTH, -1)


def _month(period: date) -> str:
    return f"{period:%Y-%m}"


@pytest.fixture
def contract(make, client_org, vendor_org):
    """Started six months ago: five months are over, this one is running."""
    return make.contract(client_org, vendor_org, start_date=add_months(THIS_MONTH, -6))


@pytest.fixture
def as_vendor_viewer(make, login, vendor_org):
    return login(make.member(vendor_org, "viewer"), vendor_org)


def _report_count() -> int:
    return db.session.scalar(across_tenants(select(func.count()).select_from(DeliveryReport)))


def _stored(report_id: int) -> DeliveryReport:
    db.session.expire_all()
    return db.session.scalars(
        across_tenants(select(DeliveryReport).where(DeliveryReport.id == report_id))
    ).one()


FORM = {
    "volumes-0": "12,450",
    "volume_notes-0": "",
    "values-0": "99.2",
    "value_notes-0": "sampled",
    "values-1": "2.5",
    "value_notes-1": "",
    "comment": "A quiet month.",
}


# --- The periods ----------------------------------------------------------------------


def test_the_vendor_sees_every_period_with_late_ones_and_the_upload(
    as_vendor_admin, make, contract
):
    make.delivery_report(contract, add_months(THIS_MONTH, -6), status="accepted")
    make.delivery_report(contract, add_months(THIS_MONTH, -5), status="draft")
    response = as_vendor_admin.get(f"/contracts/{contract.id}/reports")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('data-testid="period-') == 7
    assert page.count('data-testid="late"') == 5  # the draft is late too; this month is not
    assert 'data-testid="upload-form"' in page
    assert 'data-testid="template-link"' in page
    assert "style=" not in page


def test_the_client_sees_what_awaits_its_review_and_never_a_draft(as_client_admin, make, contract):
    submitted = make.delivery_report(contract, LAST_MONTH, status="submitted")
    draft = make.delivery_report(contract, add_months(THIS_MONTH, -2), status="draft")
    page = as_client_admin.get(f"/contracts/{contract.id}/reports").get_data(as_text=True)
    assert 'data-testid="awaiting-review"' in page
    assert f"/reports/{submitted.id}" in page
    assert f"/reports/{draft.id}" not in page
    assert 'data-testid="upload-form"' not in page
    assert as_client_admin.get(f"/contracts/{contract.id}/reports/{draft.id}").status_code == 404


def test_another_organization_gets_404(as_other_client_admin, make, contract):
    report = make.delivery_report(contract, LAST_MONTH)
    for url in (
        f"/contracts/{contract.id}/reports",
        f"/contracts/{contract.id}/reports/template.csv",
        f"/contracts/{contract.id}/reports/{report.id}",
    ):
        assert as_other_client_admin.get(url).status_code == 404
    response = as_other_client_admin.post(f"/contracts/{contract.id}/reports/{report.id}/accept")
    assert response.status_code == 404


def test_a_report_of_another_contract_is_a_404(
    as_vendor_admin, make, client_org, vendor_org, contract
):
    other = make.contract(client_org, vendor_org)
    report = make.delivery_report(other, LAST_MONTH)
    assert as_vendor_admin.get(f"/contracts/{contract.id}/reports/{report.id}").status_code == 404


def test_a_viewer_reports_nothing(as_vendor_viewer, contract):
    response = as_vendor_viewer.post(
        f"/contracts/{contract.id}/reports/new?period={_month(LAST_MONTH)}", data=FORM
    )
    assert response.status_code == 403
    assert _report_count() == 0


def test_the_template_lists_the_codes_of_the_next_period_to_report(as_vendor_admin, contract):
    response = as_vendor_admin.get(f"/contracts/{contract.id}/reports/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    first = _month(contract.start_date)
    assert lines == [
        "period,code,value,note",
        f"{first},invoices,,",
        f"{first},accuracy,,",
        f"{first},cycle-time,,",
    ]


# --- The vendor's form ----------------------------------------------------------------


def test_the_form_saves_a_draft_with_localized_numbers(as_vendor_admin, contract):
    url = f"/contracts/{contract.id}/reports/new?period={_month(LAST_MONTH)}"
    page = as_vendor_admin.get(url)
    assert page.status_code == 200
    assert b"supplier invoice" in page.data
    response = as_vendor_admin.post(url, data={**FORM, "action": "save"})
    assert response.status_code == 302
    report = db.session.scalars(across_tenants(select(DeliveryReport))).one()
    assert (report.status, report.source, report.comment) == (
        ReportStatus.DRAFT,
        "form",
        "A quiet month.",
    )
    assert [str(volume.quantity) for volume in report.volumes] == ["12450.00"]
    # Asking for the period again leads to its draft.
    again = as_vendor_admin.get(url)
    assert again.status_code == 302
    assert again.location.endswith(f"/reports/{report.id}/edit")


def test_the_form_keeps_what_was_typed_on_error(as_vendor_admin, contract):
    url = f"/contracts/{contract.id}/reports/new?period={_month(LAST_MONTH)}"
    response = as_vendor_admin.post(
        url, data={**FORM, "volumes-0": "", "values-0": "99.20", "action": "submit"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-field="volumes-0"' in page
    assert 'value="99.20"' in page
    assert "A quiet month." in page
    assert _report_count() == 0


def test_text_in_a_number_is_shown_next_to_its_field(as_vendor_admin, contract):
    url = f"/contracts/{contract.id}/reports/new?period={_month(LAST_MONTH)}"
    response = as_vendor_admin.post(url, data={**FORM, "values-1": "vite"})
    assert response.status_code == 400
    assert 'data-field="values-1"' in response.get_data(as_text=True)
    assert 'value="vite"' in response.get_data(as_text=True)


def test_a_future_period_cannot_be_reported(as_vendor_admin, contract):
    url = f"/contracts/{contract.id}/reports/new?period={_month(add_months(THIS_MONTH, 1))}"
    assert as_vendor_admin.get(url).status_code == 302
    assert as_vendor_admin.post(url, data=FORM).status_code == 302
    assert _report_count() == 0


def test_the_client_cannot_open_the_vendor_form(as_client_admin, contract):
    response = as_client_admin.get(f"/contracts/{contract.id}/reports/new")
    assert response.status_code == 404


def test_edit_and_submit_a_draft(as_vendor_admin, make, contract):
    draft = make.delivery_report(contract, LAST_MONTH, status="draft", volumes={"invoices": 5})
    url = f"/contracts/{contract.id}/reports/{draft.id}/edit"
    page = as_vendor_admin.get(url).get_data(as_text=True)
    assert 'value="5.00"' in page
    response = as_vendor_admin.post(url, data={**FORM, "action": "submit"})
    assert response.status_code == 302
    assert _stored(draft.id).status is ReportStatus.SUBMITTED
    # A submitted report is no longer edited.
    assert as_vendor_admin.get(url).status_code == 302


def test_submitting_twice_is_harmless(as_vendor_admin, make, contract):
    draft = make.delivery_report(contract, LAST_MONTH, status="draft")
    url = f"/contracts/{contract.id}/reports/{draft.id}/submit"
    assert as_vendor_admin.post(url).status_code == 302
    assert as_vendor_admin.post(url).status_code == 302
    assert _stored(draft.id).status is ReportStatus.SUBMITTED


# --- Review and correction ------------------------------------------------------------


def test_the_client_accepts_and_sees_the_results(as_client_admin, make, contract):
    report = make.delivery_report(contract, LAST_MONTH, values={"accuracy": "98"})
    url = f"/contracts/{contract.id}/reports/{report.id}"
    page = as_client_admin.get(url).get_data(as_text=True)
    assert 'data-testid="review"' in page
    assert as_client_admin.post(url + "/accept").status_code == 302
    assert as_client_admin.post(url + "/accept").status_code == 302
    page = as_client_admin.get(url).get_data(as_text=True)
    assert 'data-testid="results-summary"' in page
    assert f"/contracts/{contract.id}/results" in page
    assert _stored(report.id).status is ReportStatus.ACCEPTED


def test_a_finance_member_reviews_but_a_viewer_does_not(
    as_client_finance, as_client_viewer, make, contract
):
    report = make.delivery_report(contract, LAST_MONTH)
    url = f"/contracts/{contract.id}/reports/{report.id}"
    assert as_client_viewer.post(url + "/accept").status_code == 403
    assert 'data-testid="review"' not in as_client_viewer.get(url).get_data(as_text=True)
    assert as_client_finance.post(url + "/accept").status_code == 302


def test_the_vendor_cannot_accept_its_own_report(as_vendor_admin, make, contract):
    report = make.delivery_report(contract, LAST_MONTH)
    url = f"/contracts/{contract.id}/reports/{report.id}/accept"
    assert as_vendor_admin.post(url).status_code == 404


def test_a_dispute_without_reason_keeps_the_form(as_client_admin, make, contract):
    report = make.delivery_report(contract, LAST_MONTH)
    url = f"/contracts/{contract.id}/reports/{report.id}/dispute"
    response = as_client_admin.post(url, data={"reason": "", "items-0": "", "items-1": ""})
    assert response.status_code == 400
    assert "Say why" in response.get_data(as_text=True)
    assert _stored(report.id).status is ReportStatus.SUBMITTED


def test_dispute_then_correct_and_resubmit(as_client_admin, as_vendor_admin, make, contract):
    report = make.delivery_report(contract, LAST_MONTH)
    base = f"/contracts/{contract.id}/reports"
    response = as_client_admin.post(
        f"{base}/{report.id}/dispute",
        data={"reason": "", "items-0": "", "items-1": "Our sample shows 97 %.", "items-2": ""},
    )
    assert response.status_code == 302
    page = as_vendor_admin.get(f"{base}/{report.id}").get_data(as_text=True)
    assert "Our sample shows 97 %." in page
    assert 'data-testid="correct"' in page

    response = as_vendor_admin.post(f"{base}/{report.id}/correct")
    assert response.status_code == 302
    draft = db.session.scalars(
        across_tenants(select(DeliveryReport).where(DeliveryReport.version == 2))
    ).one()
    assert response.location.endswith(f"/reports/{draft.id}/edit")
    form = as_vendor_admin.get(f"{base}/{draft.id}/edit").get_data(as_text=True)
    assert 'data-testid="correcting"' in form
    assert "Our sample shows 97 %." in form

    response = as_vendor_admin.post(
        f"{base}/{draft.id}/edit", data={**FORM, "values-0": "97", "action": "submit"}
    )
    assert response.status_code == 302
    assert _stored(report.id).status is ReportStatus.SUPERSEDED
    page = as_client_admin.get(f"{base}/{draft.id}").get_data(as_text=True)
    assert 'data-testid="versions"' in page
    assert as_client_admin.get(f"{base}/{report.id}").status_code == 200


def test_the_report_page_says_a_missing_metric_counts_as_breached(as_vendor_admin, make, contract):
    report = make.delivery_report(contract, LAST_MONTH, values={"accuracy": None})
    page = as_vendor_admin.get(f"/contracts/{contract.id}/reports/{report.id}")
    assert "counts as breached" in page.get_data(as_text=True)


def test_the_periods_page_statements_do_not_grow_with_history(app, make):
    from tests.statements import counting_statements

    counts = []
    for months in (3, 36):
        client_org = make.organization(kind="client")
        vendor_org = make.organization(kind="vendor")
        contract = make.contract(
            client_org, vendor_org, start_date=add_months(THIS_MONTH, -months), months=months + 1
        )
        for offset in range(months):
            make.delivery_report(contract, add_months(contract.start_date, offset))
        admin = make.member(client_org, "admin")
        browser = make.log_in(app.test_client(), admin, client_org)
        for path in ("reports", f"reports/{contract.reports[-1].id}"):
            with counting_statements(app) as statements:
                assert browser.get(f"/contracts/{contract.id}/{path}").status_code == 200
            counts.append((path.split("/")[0], len(statements)))
    assert counts[0][1] == counts[2][1]
    assert counts[1][1] == counts[3][1]
