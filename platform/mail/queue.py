"""Queue an email in the caller's transaction (one function: queue_email)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..jobs import defer_in
from ..refusals import DomainError

MAIL_QUEUE = "mail"
MAX_BODY = 100_000


class MailError(DomainError):
    code = "mail"


# Headers a caller may add (RFC 2369 / RFC 8058: a list's one-click unsubscribe).
EXTRA_HEADERS = ("List-Unsubscribe", "List-Unsubscribe-Post")


def queue_email(session: Session, *, to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> int:
    """Queue one plain-text email; it is sent only if the caller's transaction commits."""
    from .tasks import send_email

    to, subject = (to or "").strip(), " ".join((subject or "").split())
    if "@" not in to or len(to) > 254 or any(c in to for c in " \r\n,;"):
        raise MailError(f"Not an email address: {to!r}.", code="mail.address_invalid")
    if not subject or len(subject) > 200 or not body or len(body) > MAX_BODY:
        raise MailError("An email needs a subject (at most 200 characters) and a body.", code="mail.message_invalid")
    headers = dict(headers or {})
    if any(name not in EXTRA_HEADERS or any(c in value for c in "\r\n") for name, value in headers.items()):
        raise MailError(f"Headers not allowed: {sorted(headers)}.", code="mail.headers_invalid")
    extra = {"headers": headers} if headers else {}
    return defer_in(session, send_email, queue=MAIL_QUEUE, to=to, subject=subject, body=body, **extra)
