"""Email: queued in the transaction that causes it, delivered by `wijknet worker` to a real
SMTP server (aiosmtpd); a server that is down loses nothing."""

import secrets
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from wijknet.platform.jobs import JobsOutsideTransaction
from wijknet.platform.mail.models import DevOutboxMessage
from wijknet.platform.mail.queue import MailError, queue_email
from wijknet.platform.mail.tasks import send_email
from wijknet.platform.tenancy.operations import ensure_user
from wijknet.platform.tenancy.uow import tenant_unit_of_work

from ...support.smtp import SmtpServers, free_port

pytestmark = pytest.mark.tenancy


def _address() -> str:
    return f"bewoner-{secrets.token_hex(4)}@example.org"


def _jobs_for(engine, to: str) -> list:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT id, status, attempts, scheduled_at FROM jobs.procrastinate_jobs WHERE args->>'to' = :to ORDER BY id"),
            {"to": to},
        ).all()


@pytest.fixture
def smtp_server():
    servers = SmtpServers()
    yield servers.start
    servers.stop_all()


def _worker(run_cli, port: int):
    result = run_cli(
        "worker", "--until-empty", extra_env={"WIJKNET_MAIL_URL": f"smtp://127.0.0.1:{port}", "WIJKNET_MAIL_RETRY_SECONDS": "1"}
    )
    assert result.returncode == 0, result.stderr
    return result


def test_an_email_exists_only_if_the_change_that_caused_it_commits(engine):
    kept, dropped = _address(), _address()
    with Session(engine) as session:
        queue_email(session, to=dropped, subject="Rolled back", body="Never sent.")
        session.rollback()
    with Session(engine) as session, session.begin():
        queue_email(session, to=kept, subject="Committed", body="Sent.")
    assert _jobs_for(engine, dropped) == []
    assert [job.status for job in _jobs_for(engine, kept)] == ["todo"]


def test_a_tenant_transaction_queues_email_and_keeps_its_role(engine, make_tenant):
    tenant = make_tenant()
    to = _address()
    with tenant_unit_of_work(engine, tenant) as session:
        queue_email(session, to=to, subject="Van de wijk", body="Hallo")
        role, path = session.execute(text("SELECT current_user, current_setting('search_path')")).one()
        assert role == tenant.role_name and tenant.schema_name in path
        with pytest.raises(ProgrammingError, match="permission denied"), session.begin_nested():
            session.execute(text("SELECT count(*) FROM jobs.procrastinate_jobs"))
    assert len(_jobs_for(engine, to)) == 1


def test_a_rolled_back_savepoint_takes_the_email_and_leaves_the_tenant_role(engine, make_tenant):
    tenant = make_tenant()
    to = _address()
    with tenant_unit_of_work(engine, tenant) as session:
        savepoint = session.begin_nested()
        queue_email(session, to=to, subject="Weg", body="Weg")
        savepoint.rollback()
        assert session.scalar(text("SELECT current_user")) == tenant.role_name
    assert _jobs_for(engine, to) == []


def test_a_job_without_a_transaction_is_refused(engine):
    with pytest.raises(JobsOutsideTransaction):
        send_email.defer(to=_address(), subject="x", body="y")


@pytest.mark.parametrize(
    "to,subject,body",
    [
        ("geen-adres", "Onderwerp", "Tekst"),
        ("a@b.nl, c@d.nl", "Onderwerp", "Tekst"),
        ("a@b.nl", "", "Tekst"),
        ("a@b.nl", "Onderwerp", ""),
        ("a@b.nl", "Onderwerp", "x" * 100_001),
    ],
)
def test_bad_email_is_refused_and_queues_nothing(engine, to, subject, body):
    with Session(engine) as session:
        with pytest.raises(MailError):
            queue_email(session, to=to, subject=subject, body=body)
        session.commit()
    assert _jobs_for(engine, to) == []


def test_worker_delivers_to_the_smtp_server(engine, run_cli, smtp_server):
    inbox = smtp_server()
    to = _address()
    with Session(engine) as session, session.begin():
        queue_email(session, to=to, subject="Welkom in de wijk", body="Fijn dat je er bent.\nGroet, de wijk")
    _worker(run_cli, inbox.port)
    [content] = inbox.to(to)
    assert "Subject: Welkom in de wijk" in content and "Fijn dat je er bent." in content
    assert "From: wijknet <noreply@localhost>" in content
    assert [job.status for job in _jobs_for(engine, to)] == ["succeeded"]


def test_smtp_server_down_keeps_the_email_queued_until_it_is_back(engine, run_cli, smtp_server):
    port = free_port()  # nothing listens here yet
    to = _address()
    with Session(engine) as session, session.begin():
        queue_email(session, to=to, subject="Herinnering", body="Morgen is de buurtborrel.")
    _worker(run_cli, port)
    [job] = _jobs_for(engine, to)
    assert job.status == "todo" and job.attempts == 1, job  # failed once, waiting to be tried again

    inbox = smtp_server(port=port)
    deadline = time.monotonic() + 20
    while not inbox.to(to) and time.monotonic() < deadline:
        time.sleep(0.5)
        _worker(run_cli, port)
    [content] = inbox.to(to)
    assert "Morgen is de buurtborrel." in content
    assert [job.status for job in _jobs_for(engine, to)] == ["succeeded"]


def test_a_recipient_refused_for_good_is_not_retried(engine, run_cli, smtp_server):
    to = _address()
    inbox = smtp_server(refuse=to)
    with Session(engine) as session, session.begin():
        queue_email(session, to=to, subject="Bestaat niet", body="x")
    _worker(run_cli, inbox.port)
    assert [(job.status, job.attempts) for job in _jobs_for(engine, to)] == [("failed", 1)]


def test_log_mailer_fills_the_development_outbox_page_for_staff_only(engine, run_cli, client, login_as):
    to = _address()
    with Session(engine) as session, session.begin():
        queue_email(session, to=to, subject="Uitnodiging <buurt>", body="Klik op de link")
    result = run_cli("worker", "--until-empty", extra_env={"WIJKNET_MAIL_URL": "log"})
    assert result.returncode == 0, result.stderr
    assert f"email to {to}" in result.stderr
    with Session(engine) as session:
        assert (
            session.scalars(select(DevOutboxMessage.subject).where(DevOutboxMessage.recipient == to)).one()
            == "Uitnodiging <buurt>"
        )
    # It shows every invitation link: anonymous visitors are sent to sign in, others get 404.
    anonymous = client.get("/dev/outbox")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    with Session(engine) as session, session.begin():
        resident = ensure_user(session, _address(), "Bewoner").id
        staff = ensure_user(session, _address(), "Staf", staff=True).id
    assert login_as(client.application.test_client(), resident).get("/dev/outbox").status_code == 404
    page = login_as(client, staff).get("/dev/outbox").get_data(as_text=True)
    assert to in page and "Uitnodiging &lt;buurt&gt;" in page


def test_no_outbox_page_with_a_real_mail_server(environ, engine):
    from wijknet.platform.app import create_app

    app = create_app(dict(environ, WIJKNET_MAIL_URL="smtp://127.0.0.1:2525"), engine=engine)
    assert app.test_client().get("/dev/outbox").status_code == 404


def _csrf(client, path):
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_an_invitation_is_emailed_and_its_link_works(engine, run_cli, smtp_server, client, make_tenant, make_member, login_as):
    import re

    inbox = smtp_server()
    tenant = make_tenant(name="Lab Post")
    login_as(client, make_member(tenant, "admin", name="Ayse Admin"))
    page = f"/t/{tenant.slug}/admin/invitations"
    to = _address()
    made = client.post(page, data={"csrf_token": _csrf(client, page), "email": to, "role": "member"})
    assert made.status_code == 200 and f"Uitnodiging gemaild naar {to}" in made.get_data(as_text=True)
    bad = client.post(page, data={"csrf_token": _csrf(client, page), "email": "geen adres", "role": "member"})
    assert bad.status_code == 400

    _worker(run_cli, inbox.port)
    [content] = inbox.to(to)
    assert "Subject: Uitnodiging voor Lab Post" in content
    assert "Ayse Admin nodigt je uit" in content
    link = re.search(r"http://localhost(/t/\S+/invitation/\S+)", content).group(1)
    invitee = client.application.test_client()
    assert invitee.get(link).status_code == 200
    assert inbox.to("geen adres") == [] and _jobs_for(engine, "geen adres") == []


def test_an_approved_join_request_gets_a_welcome_email(engine, run_cli, smtp_server, client, make_tenant, make_member, login_as):
    from wijknet.platform.identity.joining import join, set_join_policy
    from wijknet.platform.tenancy.models import Tenant
    from wijknet.platform.tenancy.operations import ensure_user

    inbox = smtp_server()
    tenant = make_tenant(name="Lab Welkom")
    to = _address()
    with Session(engine) as session, session.begin():
        row = session.get(Tenant, tenant.id)
        set_join_policy(session, row, "approval", actor="test")
        request_id = join(session, row, ensure_user(session, to, "Nieuwe Buur")).id
    login_as(client, make_member(tenant, "admin"))
    page = f"/t/{tenant.slug}/admin/invitations"
    decided = client.post(
        f"/t/{tenant.slug}/admin/join-requests/{request_id}", data={"csrf_token": _csrf(client, page), "decision": "approve"}
    )
    assert decided.status_code == 302
    _worker(run_cli, inbox.port)
    [content] = inbox.to(to)
    assert "Subject: Welkom bij Lab Welkom" in content and f"/t/{tenant.slug}/" in content


def test_a_mail_server_in_the_shell_never_reaches_a_test(run_cli, monkeypatch):
    """Issue 19: test subprocesses get a clean environment."""
    monkeypatch.setenv("WIJKNET_MAIL_URL", "smtp://mail.example.org:25")
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@192.0.2.1/elsewhere")
    result = run_cli("worker", "--until-empty")
    assert result.returncode == 0, result.stderr
    assert "mail via the log and /dev/outbox" in result.stderr
