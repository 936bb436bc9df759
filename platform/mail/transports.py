"""How an email leaves: over SMTP, or (development) into the log and the outbox table."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .models import DevOutboxMessage

log = logging.getLogger("wijknet.mail")
SMTP_TIMEOUT = 10


def build_message(sender: str, to: str, subject: str, body: str, headers: dict | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    for name, value in (headers or {}).items():
        message[name] = value
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">"))
    message.set_content(body)
    return message


@dataclass(frozen=True)
class SmtpTransport:
    url: str

    def send(self, message: EmailMessage) -> None:
        parts = urlsplit(self.url)
        scheme = parts.scheme
        port = parts.port or {"smtp": 25, "smtp+starttls": 587, "smtps": 465}[scheme]
        if scheme == "smtps":
            client = smtplib.SMTP_SSL(parts.hostname, port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(parts.hostname, port, timeout=SMTP_TIMEOUT)
        with client:
            if scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)


@dataclass(frozen=True)
class LogTransport:
    engine: Engine

    def send(self, message: EmailMessage) -> None:
        body = message.get_content()
        log.info("email to %s: %s\n%s", message["To"], message["Subject"], body)
        with Session(self.engine) as session, session.begin():
            session.add(DevOutboxMessage(recipient=str(message["To"]), subject=str(message["Subject"]), body=body))


def make_transport(mail_url: str, engine: Engine):
    return LogTransport(engine) if mail_url == "log" else SmtpTransport(mail_url)


@dataclass(frozen=True)
class Mailer:
    """What the worker's send_email task needs: a transport and the From address."""

    transport: SmtpTransport | LogTransport
    sender: str
