"""Issue 16 in Chromium, on a phone: a resident whose browser speaks English posts a need in
English and, once the board's job has read it, sees a Dutch offer suggested; they react; the
offer's Dutch author gets the reaction email and unsubscribes from it in one click, without
signing in."""

import re
import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
OFFER = "Oppasoma heeft woensdag en vrijdag tijd"


def _run_board_jobs(app) -> None:
    """The worker's board queue until it is empty, in a thread (Playwright holds this one's loop)."""
    from wijknet.platform.jobs import run_worker

    engine = app.extensions["wijknet"].engine
    url = engine.url.render_as_string(hide_password=False)
    failures = []

    def work():
        try:
            run_worker(url, queues=["board"], until_empty=True, context={"engine": engine, "flask_app": app})
        except BaseException as error:
            failures.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(120)
    assert not thread.is_alive() and not failures, failures


def _offer_and_people(app):
    """(the offer's author's email, a Tarwewijk member other than that author)."""
    from wijknet.platform.identity.models import User
    from wijknet.platform.tenancy.lookups import tenant_ref
    from wijknet.platform.tenancy.models import Tenant
    from wijknet.platform.tenancy.uow import tenant_unit_of_work
    from wijknet.tenants.board.models import Post
    from wijknet.tenants.core.models import Member

    engine = app.extensions["wijknet"].engine
    with Session(engine) as session:
        tenant = tenant_ref(session.scalars(select(Tenant).where(Tenant.slug == "tarwewijk")).one(), modules=("board",))
    with tenant_unit_of_work(engine, tenant) as session:
        author_user = session.execute(
            select(Member.user_id).join(Post, Post.author_id == Member.id).where(Post.title == OFFER)
        ).scalar_one()
    with Session(engine) as session:
        author_email = session.get(User, author_user).email
    candidates = ["ricardo@tarwewijk.example", "gerda@tarwewijk.example", "anouk@tarwewijk.example"]
    return author_email, next(c for c in candidates if c != author_email)


def _reaction_mails(app, to: str) -> list[dict]:
    engine = app.extensions["wijknet"].engine
    with engine.connect() as conn:
        return [
            row[0]
            for row in conn.execute(
                text(
                    "SELECT args FROM jobs.procrastinate_jobs WHERE task_name = 'wijknet.send_email'"
                    " AND args->>'to' = :to AND args ? 'headers' ORDER BY id"
                ),
                {"to": to},
            )
        ]


@pytest.mark.timeout(180)
def test_an_english_need_meets_a_dutch_offer_and_the_author_unsubscribes_in_one_click(browser, live_demo, demo_app):
    base = live_demo.url
    author_email, resident = _offer_and_people(demo_app)
    already = len(_reaction_mails(demo_app, author_email))

    english = browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True, has_touch=True)
    page = english.new_page()
    page.goto(f"{base}/login/demo?next=/t/tarwewijk/board/")
    page.fill("input[name=sub]", resident)
    page.click("button[type=submit]:not([name])")
    page.wait_for_url(f"{base}/t/tarwewijk/board/")
    assert "Needs and offers" in page.locator("h1").inner_text()  # the browser's language, first visit
    page.get_by_role("link", name="New post").first.click()
    page.get_by_label("A need: I am looking for help").check()
    page.get_by_label("Title").fill("Babysitter needed on Wednesday afternoons")
    page.get_by_label("Description").fill(
        "I started a new job. Who can pick up my two kids (6 and 8) from school on Wednesdays and look after them until six?"
    )
    page.check("input[name=categories][value=zorg]")
    page.get_by_role("button", name="Post").click()
    page.wait_for_selector("h1:has-text('Babysitter needed')")
    post_url = page.url

    _run_board_jobs(demo_app)  # the background job reads the new post
    page.goto(post_url)
    suggestions = page.locator("section", has_text="Offers that may fit")
    assert OFFER in suggestions.inner_text(), page.locator("main").inner_text()

    page.get_by_role("link", name=OFFER).first.click()
    page.locator("textarea[name=message]").fill("Hello! Could you help on Wednesdays? My kids are 6 and 8.")
    page.get_by_role("button", name="Send reaction").click()
    page.wait_for_selector("text=Could you help on Wednesdays?")
    english.close()

    _run_board_jobs(demo_app)  # the notice's email
    mails = _reaction_mails(demo_app, author_email)
    assert len(mails) == already + 1
    mail = mails[-1]
    assert "reageerde op je bericht" in mail["subject"] and OFFER in mail["subject"]  # the author's Dutch
    assert "Could you help on Wednesdays?" in mail["body"]
    link = mail["headers"]["List-Unsubscribe"].strip("<>")
    assert link in mail["body"]

    # The author opens the link from the email on their phone, not signed in: one button.
    dutch = browser.new_context(viewport=PHONE, locale="nl-NL", is_mobile=True, has_touch=True)
    phone = dutch.new_page()
    phone.goto(base + re.sub(r"^https?://[^/]+", "", link))  # the test server's address, not the configured one
    phone.get_by_role("button", name="Afmelden").click()
    phone.wait_for_selector("text=Gelukt")
    assert "e-mails over reacties, berichten en matches" in phone.locator("main").inner_text()
    dutch.close()
