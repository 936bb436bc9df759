"""Incident response (docs/operations.md): `wijknet users sign-out` ends every session of a
person at once; another person's session is untouched."""

import pytest
from sqlalchemy.orm import Session

from wijknet.platform.identity.models import User

pytestmark = pytest.mark.tenancy


def test_staff_sign_a_person_out_everywhere(app, engine, make_tenant, make_member, login_as, run_cli):
    lab = make_tenant()
    taken, other = make_member(lab), make_member(lab)
    first, second, bystander = (login_as(app.test_client(), who) for who in (taken, taken, other))
    members = f"/t/{lab.slug}/members"
    assert {c.get(members).status_code for c in (first, second, bystander)} == {200}
    with Session(engine) as session:
        email = session.get(User, taken).email
    done = run_cli("users", "sign-out", "--email", email)
    assert done.returncode == 0 and "signed out everywhere" in done.stdout
    for client in (first, second):
        answer = client.get(members)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert bystander.get(members).status_code == 200
    assert run_cli("users", "sign-out", "--email", "niemand@example.org").returncode == 1
