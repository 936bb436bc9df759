"""`wijknet users` and `wijknet tokens`: people, and personal access tokens for a lab's API."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import main
from .common import actor as _actor
from .common import state as _state
from .common import web_app_context


@main.group()
def users() -> None:
    """People: add them, give them a role in a living lab or make them staff."""


@users.command("add")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--tenant", "slug", default=None, help="Give a role in this living lab.")
@click.option("--role", default="member", show_default=True, type=click.Choice(("member", "moderator", "admin")))
@click.option("--staff", is_flag=True, help="Network staff.")
def users_add(email: str, name: str, slug: str | None, role: str, staff: bool) -> None:
    """Add a person; they take the account through the link printed (and emailed) here."""
    from ..identity.claims import claim_account_by_email
    from ..tenancy.operations import add_member, ensure_user, get_tenant

    with web_app_context() as app, Session(app.extensions["wijknet"].engine) as session, session.begin():
        state = app.extensions["wijknet"]  # the claim's email is a template: the app's context
        user = ensure_user(session, email, name, staff=staff)
        if slug:
            add_member(session, get_tenant(session, slug), user, role)
        user_id = user.id
        link = claim_account_by_email(session, user, public_url=state.settings.public_url, actor=_actor())
    click.echo(f"user {user_id} {email}" + (f": {role} of {slug}" if slug else "") + (" (staff)" if staff else ""))
    if link:
        click.echo(f"they take the account by signing in through this link (emailed; valid 14 days):\n  {link}")
    else:
        click.echo("they have signed in before: nothing to claim.")


@users.command("sign-out")
@click.option("--email", required=True)
def users_sign_out(email: str) -> None:
    """Sign a person out everywhere (an incident): every session cookie of theirs stops
    working; their API tokens are revoked apart (`wijknet tokens revoke`)."""
    from ..identity.operations import end_sessions

    state = _state()
    with Session(state.engine) as session, session.begin():
        user = _user_by_email(session, email)
        end_sessions(session, user.id)
        user_id = user.id
    click.echo(f"user {user_id} {email}: signed out everywhere")


@main.group()
def tokens() -> None:
    """Personal access tokens for a living lab's API."""


def _user_by_email(session: Session, email: str):
    from ..identity.operations import network_user_by_email

    user = network_user_by_email(session, email.strip())
    if user is None:
        raise click.ClickException(f"No user with email {email!r}; add one with `wijknet users add`.")
    return user


@tokens.command("create")
@click.option("--email", required=True)
@click.option("--tenant", "slug", required=True)
@click.option("--name", default="cli", show_default=True)
def tokens_create(email: str, slug: str, name: str) -> None:
    """Create a token and print it. It is shown only this once."""
    from ..identity.tokens import create_token
    from ..tenancy.operations import get_tenant

    state = _state()
    with Session(state.engine) as session, session.begin():
        tenant = get_tenant(session, slug)
        token, plaintext = create_token(session, tenant_id=tenant.id, user=_user_by_email(session, email), name=name)
        token_id = token.id
    click.echo(f"token {token_id} for {email} in {slug} (shown once, store it now):", err=True)
    click.echo(plaintext)


@tokens.command("list")
@click.option("--tenant", "slug", required=True)
def tokens_list(slug: str) -> None:
    """Tokens of a living lab (never the secret itself)."""
    from ..identity.models import ApiToken, User
    from ..tenancy.operations import get_tenant

    state = _state()
    with Session(state.engine) as session:
        tenant = get_tenant(session, slug)
        rows = session.execute(
            select(ApiToken, User.email)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.tenant_id == tenant.id)
            .order_by(ApiToken.id)
        ).all()
    if not rows:
        click.echo("No tokens.")
    for token, email in rows:
        state_text = (
            "revoked"
            if token.revoked_at
            else f"last used {token.last_used_at:%Y-%m-%d %H:%M}"
            if token.last_used_at
            else "never used"
        )
        click.echo(f"{token.id:>6}  {token.prefix}…  {email}  {token.name}  {state_text}")


@tokens.command("revoke")
@click.option("--tenant", "slug", required=True)
@click.option("--id", "token_id", required=True, type=int)
def tokens_revoke(slug: str, token_id: int) -> None:
    """Revoke a token: it stops working at once."""
    from ..identity.tokens import revoke_token
    from ..tenancy.operations import get_tenant

    state = _state()
    with Session(state.engine) as session, session.begin():
        revoke_token(session, tenant_id=get_tenant(session, slug).id, token_id=token_id)
    click.echo(f"token {token_id} revoked")
