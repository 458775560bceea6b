"""``notify`` stores a notification and e-mails it, in the recipient's language,
only once the change is committed; delivery speaks SMTP as configured."""

from __future__ import annotations

from unittest import mock

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import db, mail
from portal.models import Notification
from portal.notifications import service
from portal.notifications.service import mark_all_read, notify, safe_link, unread_count
from portal.tenancy import organization_context


def stored(org_id) -> list[Notification]:
    with organization_context(org_id):
        return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def test_notification_is_stored_and_emailed_after_commit(app, make, client_org):
    recipient = make.member(client_org, "viewer", email="claire@northwind.test")
    with organization_context(client_org.id):
        notify(
            [recipient], "function.created", _l("A function was added"), _l("Look."), "/functions/"
        )
        assert mail.outbox == []  # nothing leaves before the commit
        db.session.commit()

    [notification] = stored(client_org.id)
    [message] = mail.outbox
    assert notification.user_id == recipient.id
    assert notification.link == "/functions/"
    assert message["To"] == "claire@northwind.test"
    assert message["Subject"] == notification.title == "A function was added"
    assert "http://relais.test/functions/" in message.get_content()


def test_text_is_rendered_in_the_recipients_language(app, make, client_org):
    recipient = make.member(client_org, "viewer", locale="fr")
    with (
        organization_context(client_org.id),
        mock.patch.object(service, "force_locale", wraps=force_locale) as locale_used,
    ):
        notify([recipient], "test.event", _l("A function was added"))
        db.session.commit()

    locale_used.assert_called_once_with("fr")
    [notification] = stored(client_org.id)
    [message] = mail.outbox
    # Until the French catalogue exists the text is the English one; what
    # matters is that the e-mail and the stored notification say the same.
    assert message["Subject"] == notification.title


def test_each_recipient_is_notified_once(app, make, client_org):
    recipient = make.member(client_org, "viewer")
    with organization_context(client_org.id):
        notify([recipient, recipient, None], "test.event", _l("Hello"))
        db.session.commit()

    assert len(stored(client_org.id)) == 1
    assert len(mail.outbox) == 1


def test_no_email_leaves_when_the_transaction_rolls_back(app, make, client_org):
    recipient = make.member(client_org, "viewer")
    db.session.commit()
    with organization_context(client_org.id):
        notify([recipient], "test.event", _l("Hello"))
        db.session.rollback()
        db.session.commit()

    assert stored(client_org.id) == []
    assert mail.outbox == []


def test_a_failed_request_sends_no_email_and_a_successful_one_does(app, make, client_org):
    """The request boundary commits on success, rolls back on error, and the
    pending e-mail follows the transaction (after_commit fires on the tests'
    savepoint release too)."""
    recipient = make.member(client_org, "viewer")
    db.session.commit()
    for status, title in ((500, "Lost"), (200, "Kept")):
        with app.test_request_context("/"), organization_context(client_org.id):
            notify([recipient], "test.event", title)
            app.process_response(app.response_class(status=status))

    assert [n.title for n in stored(client_org.id)] == ["Kept"]
    assert [m["Subject"] for m in mail.outbox] == ["Kept"]


def test_notify_can_skip_the_email(app, make, client_org):
    recipient = make.member(client_org, "viewer")
    with organization_context(client_org.id):
        notify([recipient], "test.event", _l("Hello"), email=False)
        db.session.commit()

    assert len(stored(client_org.id)) == 1
    assert mail.outbox == []


def test_unread_count_and_mark_all_read_stay_in_the_current_organization(
    app, make, client_org, other_client_org
):
    person = make.member(client_org, "viewer")
    make.add_membership(other_client_org, person, "viewer")
    with organization_context(client_org.id):
        notify([person], "test.event", "Here", email=False)
        # The organization is taken when the row is flushed, so flush inside.
        db.session.flush()
    with organization_context(other_client_org.id):
        notify([person], "test.event", "There", email=False)
        db.session.flush()
        assert unread_count(person.id) == 1
    with organization_context(client_org.id):
        assert mark_all_read(person.id) == 1
        assert unread_count(person.id) == 0
    with organization_context(other_client_org.id):
        assert unread_count(person.id) == 1


def test_only_relative_links_are_safe():
    assert safe_link("/functions/?page=2") == "/functions/?page=2"
    for link in (
        None,
        "",
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "functions/",
        "/ok\r\nLocation: x",
    ):
        assert safe_link(link) is None, link


def test_smtp_delivery_uses_the_configured_server_and_credentials(app):
    settings = {
        "TESTING": False,
        "MAIL_SERVER": "smtp.relais.test",
        "MAIL_PORT": 2525,
        "MAIL_USE_TLS": True,
        "MAIL_USERNAME": "relais",
        "MAIL_PASSWORD": "s3cret",
    }
    message = mail.build_message("claire@northwind.test", "Subject", "Body")
    with mock.patch.dict(app.config, settings), mock.patch("smtplib.SMTP") as smtp_class:
        mail.deliver(message)

    smtp_class.assert_called_once_with("smtp.relais.test", 2525, timeout=30)
    smtp = smtp_class.return_value.__enter__.return_value
    smtp.starttls.assert_called_once_with()
    smtp.login.assert_called_once_with("relais", "s3cret")
    smtp.send_message.assert_called_once_with(message)
    assert mail.outbox == []


def test_smtp_delivery_without_tls_or_credentials_only_sends(app):
    settings = {
        "TESTING": False,
        "MAIL_SERVER": "localhost",
        "MAIL_PORT": 25,
        "MAIL_USE_TLS": False,
        "MAIL_USERNAME": "",
    }
    message = mail.build_message("claire@northwind.test", "Subject", "Body")
    with mock.patch.dict(app.config, settings), mock.patch("smtplib.SMTP") as smtp_class:
        mail.deliver(message)

    smtp = smtp_class.return_value.__enter__.return_value
    smtp.starttls.assert_not_called()
    smtp.login.assert_not_called()
    smtp.send_message.assert_called_once_with(message)
