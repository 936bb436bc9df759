"""Email: queued in the database with the change that causes it, sent by `wijknet worker`.

`queue_email(session, ...)` is all a business rule calls; the worker's `send_email` task
delivers it over SMTP (WIJKNET_MAIL_URL) with retries, or, in development, writes it to
the log and the development outbox page (/dev/outbox)."""
