"""E-mail leaves after the real commit, never when a savepoint is released."""

from __future__ import annotations

from portal import db, mail


def test_mail_waits_for_the_real_commit_not_a_savepoint(app):
    with app.app_context():
        mail.outbox.clear()
        mail.send_email("someone@example.test", "Subject", "Body")
        with db.session.begin_nested():
            pass
        assert mail.outbox == []
        db.session.commit()
        assert [message["To"] for message in mail.outbox] == ["someone@example.test"]


def test_mail_of_a_rolled_back_request_is_dropped(app):
    with app.app_context():
        mail.outbox.clear()
        mail.send_email("someone@example.test", "Subject", "Body")
        with db.session.begin_nested():
            pass
        db.session.rollback()
        db.session.commit()
        assert mail.outbox == []
