"""The worker's side of email: the send_email task and when to try again."""

from __future__ import annotations

import smtplib

from procrastinate import JobContext, RetryDecision
from procrastinate.retry import BaseRetryStrategy

from ..jobs import app
from .transports import build_message

MAX_WAIT_SECONDS = 3600
MAX_ATTEMPTS = 100  # at an hour apart when the server stays down: about four days


def is_permanent(exc: BaseException) -> bool:
    """The receiving side refused this message for good (5xx on recipients or content).

    Everything else (a server that is down, a timeout, a 4xx, a login that fails until
    the configuration is fixed) is tried again."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code >= 500
    return False


class MailRetry(BaseRetryStrategy):
    """Back off exponentially from `base_seconds` (WIJKNET_MAIL_RETRY_SECONDS) up to an hour."""

    base_seconds = 30

    def get_retry_decision(self, *, exception: BaseException, job) -> RetryDecision | None:
        if is_permanent(exception) or job.attempts + 1 >= MAX_ATTEMPTS:
            return None
        return RetryDecision(retry_in={"seconds": min(self.base_seconds * 2**job.attempts, MAX_WAIT_SECONDS)})


retry = MailRetry()


@app.task(name="wijknet.send_email", queue="mail", pass_context=True, retry=retry)
def send_email(context: JobContext, *, to: str, subject: str, body: str, headers: dict | None = None) -> None:
    mailer = context.additional_context["mailer"]
    mailer.transport.send(build_message(mailer.sender, to, subject, body, headers))
