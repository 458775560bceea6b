"""Outgoing e-mail over SMTP; in development and tests, printed or captured.

Messages are queued during the request and sent only after the database
commit succeeded, so a rolled-back change never e-mails anyone.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from uuid import uuid4

from flask import current_app, g, has_app_context
from sqlalchemy import event

from portal import db

log = logging.getLogger(__name__)

#: Messages "sent" while testing, for tests to read.
outbox: list[EmailMessage] = []


def build_message(to: str, subject: str, text: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    # A subject is one line: names typed by people (an organization's, a
    # member's) end up in it, and a line break there is refused by the e-mail
    # library (it would otherwise be a header injection).
    message["Subject"] = " ".join(subject.split())
    message.set_content(text)
    return message


def send_email(to: str, subject: str, text: str) -> None:
    """Queue an e-mail; it leaves after the current transaction commits."""
    message = build_message(to, subject, text)
    if has_app_context():
        g.setdefault("_relais_pending_mail", []).append(message)
    else:
        deliver(message)


def deliver(message: EmailMessage) -> None:
    config = current_app.config
    if current_app.testing:
        outbox.append(message)
        return
    if not config["MAIL_SERVER"]:
        # Development: the console is the mail server, and instance/mail/ keeps
        # a copy so a link can be opened later (the browser journeys read it).
        print(f"\n----- e-mail -----\n{message}\n------------------\n", flush=True)
        folder = Path(current_app.instance_path) / "mail"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        (folder / f"{stamp}-{uuid4().hex[:8]}.eml").write_bytes(bytes(message))
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def _flush_pending_mail(session) -> None:
    if not has_app_context() or session.in_nested_transaction():
        # A savepoint was released (``begin_nested``): the mail waits for the
        # real commit, which a later failure may still undo.
        return
    pending = g.pop("_relais_pending_mail", [])
    for message in pending:
        try:
            deliver(message)
        except (OSError, smtplib.SMTPException):
            log.exception("could not send e-mail to %s", message["To"])


def _drop_pending_mail(_session) -> None:
    if has_app_context():
        g.pop("_relais_pending_mail", None)


event.listen(db.session, "after_commit", _flush_pending_mail)


def _drop_pending_mail_on_rollback(session, transaction) -> None:
    # Only the whole transaction's rollback drops the mail: a savepoint rolled
    # back (a refused step the request goes on from) leaves the rest to send.
    if not transaction.nested:
        _drop_pending_mail(session)


event.listen(db.session, "after_soft_rollback", _drop_pending_mail_on_rollback)
