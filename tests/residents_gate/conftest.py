"""The residents' experience gate (WCAG 2.1 AA, phone first, Dutch and English).

`gate_check(base_url, path, role, width, lang)` opens one page in headless Chromium and
returns its problems, each naming page, role, width, language and rule. The pages come
from the app's URL map (`gate_pages`), so a new page is checked without anyone listing it.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field

import pytest
from babel.messages.pofile import read_po

from tests.support.live_server import LiveServer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.path.join(REPO, "test-artifacts")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}
LANGUAGES = ("nl", "en")
# Who the crawler is: an anonymous visitor, or a demo person signed in through the demo
# OpenID provider (the real login path). The tenant roles are held in DEMO_VALUES["slug"].
ROLE_PEOPLE = {
    "anonymous": None,
    "member": "gerda@tarwewijk.example",
    "moderator": "ricardo@tarwewijk.example",
    "admin": "anouk@tarwewijk.example",
    "staff": "staf@wijknet.example",
}
ROLES = tuple(ROLE_PEOPLE)
MAX_PAGE_BYTES = 150 * 1024
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Values for URL arguments: the demo network's ids. A rule with an argument not listed
# here is reported as a page that cannot be reached.
DEMO_VALUES = {
    "slug": "tarwewijk",
    "post_id": 1,
    "name": "board",
    "asset_id": 1,
    "booking_id": 1,
    "contract_id": 1,
    "organisation_id": 1,
}
# Endpoints that are not residents' HTML pages, with the reason.
NOT_PAGES = {
    "static": "static files",
    "api_docs_assets": "files of the API docs",
    "health.healthz": "JSON for load balancers",
    "health.readyz": "JSON for load balancers",
    "i18n.switch_language": "a redirect that sets the language cookie",
    "api-docs.openapi_json": "the OpenAPI document (JSON)",
    "api-docs.openapi_swagger_ui": "developer tool for the API (Swagger UI, over 1 MB of script), not a residents' page",
    "identity.login_start": "a redirect to the OpenID provider",
    "identity.login_callback": "the provider's redirect back; it ends in a redirect or the login page",
    "staff.slug_check": "JSON for the onboarding wizard's live check",
    "media.media": "uploaded images (a lab's logo)",
    "assets.feed": "an iCalendar feed behind a secret address, for calendar apps",
    "ledger.export": "a CSV download of the journal",
}
# Pages whose screenshots go into the guides and README (phone width); later modules add theirs.
KEY_PAGES = {
    "network": "/",
    "tenant-home": "/t/tarwewijk/",
    "login": "/login",
    "board": "/t/tarwewijk/board/",
    "post": "/t/tarwewijk/board/1",
}


@dataclass
class GateReport:
    views: int = 0
    pages: set = field(default_factory=set)
    problems: list = field(default_factory=list)
    status: dict = field(default_factory=dict)  # (path, role) -> HTTP status


REPORT = GateReport()


def gate_pages(app) -> tuple[list[tuple[str, str]], list[str]]:
    """([(endpoint, path)] to check, problems) for every GET rule of the app."""
    paths, problems = [], []
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
                continue
            if rule.endpoint.startswith(("api-docs.", "directory.")) or rule.rule.startswith("/api/") or "/api/" in rule.rule:
                continue  # JSON API, checked by its own tests
            missing = [arg for arg in rule.arguments if arg not in DEMO_VALUES]
            if missing:
                problems.append(
                    f"page={rule.rule} rule=unreachable: no demo value for {', '.join(missing)} (add it to DEMO_VALUES)"
                )
                continue
            from flask import url_for

            paths.append((rule.endpoint, url_for(rule.endpoint, **{a: DEMO_VALUES[a] for a in rule.arguments})))
    return paths, problems


# What each role must get on each page of the demo (Tarwewijk: Gerda member, Ricardo
# moderator, Anouk admin and author of post 1; Sanne staff, a member of no lab). "login"
# means sent to the sign-in page. A page without an entry here fails the gate: a new page
# declares who may see it.
EVERYONE = {role: 200 for role in ROLE_PEOPLE}
MEMBERS = {"anonymous": "login", "member": 200, "moderator": 200, "admin": 200, "staff": 404}
ADMINS = {"anonymous": "login", "member": 404, "moderator": 404, "admin": 200, "staff": 404}
STAFF = {"anonymous": "login", "member": 403, "moderator": 403, "admin": 403, "staff": 200}
EXPECTED = {
    "network.index": EVERYONE,
    "identity.login_page": EVERYONE,
    "identity.claim_page": EVERYONE,
    "dev_outbox.outbox": {"anonymous": "login", "member": 404, "moderator": 404, "admin": 404, "staff": 200},
    "tenant_core.home": EVERYONE,
    "tenant_core.members": MEMBERS,
    "joining.join_page": EVERYONE,
    "joining.invitation_page": EVERYONE,
    "joining.admin_invitations": ADMINS,
    "joining.admin_login_providers": ADMINS,
    "board.index": EVERYONE,  # Tarwewijk's board is open
    "board.show": EVERYONE,
    "board.new_post": MEMBERS,
    "board.edit_post": {"anonymous": "login", "member": 404, "moderator": 404, "admin": 200, "staff": 404},  # the author only
    "board.mine": MEMBERS,
    "board.for_you": MEMBERS,
    "board.notifications": MEMBERS,
    "board.notices": MEMBERS,
    "board.unsubscribe_page": EVERYONE,  # the signed key is the pass (an email's one-click link)
    "admin.home": ADMINS,
    "admin.modules": ADMINS,
    "admin.module_settings": ADMINS,
    "admin.general": ADMINS,
    "admin.members": ADMINS,
    "admin.billing": ADMINS,
    "admin.export": ADMINS,
    "admin.audit": ADMINS,
    "tokens.index": MEMBERS,
    "assets.index": MEMBERS,
    "assets.show": MEMBERS,
    "assets.my_bookings": MEMBERS,
    "assets.booking": {"anonymous": "login", "member": 200, "moderator": 404, "admin": 200, "staff": 404},  # Gerda's booking
    "assets.earnings": MEMBERS,
    "assets.feeds": MEMBERS,
    "assets.manage": ADMINS,
    "assets.new": ADMINS,
    "assets.edit": ADMINS,
    "assets.shares": ADMINS,
    "assets.maintenance": ADMINS,
    "ledger.index": MEMBERS,
    "ledger.journal_page": MEMBERS,
    "ledger.public": EVERYONE,  # Tarwewijk shows its money
    "contracts.index": MEMBERS,
    "contracts.show": MEMBERS,
    "contracts.new": ADMINS,
    "contracts.edit": ADMINS,
    "contracts.organisations": MEMBERS,
    "contracts.organisation": MEMBERS,
    "staff.index": STAFF,
    "staff.new": STAFF,
    "staff.lab": STAFF,
    "staff.lab_delete": STAFF,
    "staff.audit": STAFF,
    "staff.tokens": STAFF,
}


def expected_status(endpoint: str, role: str):
    return EXPECTED.get(endpoint, {}).get(role)


def full_crawl() -> bool:
    """`make gate` (WIJKNET_GATE_FULL=1): every page x role x width x language. `make test`
    visits every page once per role, at a width and in a language that rotate, so every
    page is still seen at both widths and in both languages."""
    return os.environ.get("WIJKNET_GATE_FULL") == "1"


def views_for(page_index: int) -> list[tuple[str, str, str]]:
    """(role, width, language) visits of the page with this index."""
    if full_crawl():
        return [(role, width, lang) for role in ROLES for width in WIDTHS for lang in LANGUAGES]
    widths, langs = list(WIDTHS), list(LANGUAGES)
    return [(role, widths[(page_index + i) % 2], langs[(page_index + i // 2) % 2]) for i, role in enumerate(ROLES)]


def english_phrases() -> list[str]:
    """English source texts that must not appear on a Dutch page."""
    with open(os.path.join(REPO, "platform/translations/nl/LC_MESSAGES/messages.po"), "rb") as fh:
        catalog = read_po(fh, locale="nl")
    phrases = []
    for message in catalog:
        if not message.id or isinstance(message.id, tuple):
            continue
        if message.string and message.string != message.id and len(message.id) >= 12 and "%(" not in message.id:
            phrases.append(message.id)
    return phrases


PAGE_CHECKS_JS = """
() => {
  const doc = document.documentElement;
  const problems = [];
  if (doc.scrollWidth > window.innerWidth + 1) problems.push(["horizontal-scroll", `content is ${doc.scrollWidth}px wide in a ${window.innerWidth}px window`]);
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type)) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title');
    if (!named) problems.push(["unlabelled-field", el.outerHTML.slice(0, 120)]);
  }
  return {lang: doc.getAttribute('lang') || '', problems, text: document.body ? document.body.innerText : ''};
}
"""

FOCUS_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  return {tag: el.tagName.toLowerCase(), visible: outline || s.boxShadow !== 'none'};
}
"""


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is needed for the residents' gate: apt-get install chromium (.ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def demo_provider():
    """The demo people at a real OpenID provider on loopback, as `make run` has it."""
    from oidc_provider_mock import User, run_server_in_thread

    from wijknet.platform.demo.seed import PEOPLE

    people = [User(sub=email, claims={"email": email, "email_verified": True, "name": name}) for email, name, _r, _s in PEOPLE]
    with run_server_in_thread(port=0, user_claims=people) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="session")
def demo_app(server_url, demo_provider):
    """The seeded demo network in a database of its own, as `make run` shows it."""
    import json

    from sqlalchemy.engine import make_url

    from tests.conftest import fresh_database
    from wijknet.platform.app import create_app
    from wijknet.platform.db import make_engine
    from wijknet.platform.demo.seed import seed_demo
    from wijknet.platform.tenancy.migrate import upgrade_platform
    from wijknet.platform.tenancy.names import role_prefix

    migrations = os.path.join(REPO, "migrations")
    with fresh_database(server_url) as url:
        engine = make_engine(url)
        upgrade_platform(engine, migrations)
        list(seed_demo(engine, role_prefix=role_prefix(make_url(url).database), migrations_dir=migrations))
        DEMO_VALUES["token"] = _demo_invitation(engine)
        DEMO_VALUES["claim_token"] = _demo_claim(engine)
        provider = [
            {
                "name": "demo",
                "label": "Demo-ID",
                "issuer": demo_provider,
                "client_id": "gate",
                "client_secret": "gate",
                "link_verified_email": True,
            }
        ]
        app = create_app(
            {"WIJKNET_ENV": "test", "DATABASE_URL": url, "WIJKNET_OIDC_PROVIDERS": json.dumps(provider)}, engine=engine
        )
        app.config["WIJKNET_LOGIN_LIMIT"] = "200 per minute"  # every browser test signs people in from 127.0.0.1
        DEMO_VALUES["key"] = _demo_unsubscribe_key(app, engine)
        yield app
        engine.dispose()


def _demo_invitation(engine) -> str:
    """An open invitation of the demo lab, so the invitation page can be checked."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from wijknet.platform.identity.joining import create_invitation
    from wijknet.platform.identity.models import User
    from wijknet.platform.tenancy.models import Tenant

    with Session(engine) as session, session.begin():
        tenant = session.scalars(select(Tenant).where(Tenant.slug == DEMO_VALUES["slug"])).one()
        admin = session.scalars(select(User).where(User.email == ROLE_PEOPLE["admin"])).one()
        _, token = create_invitation(session, tenant, admin, email="gast@example.org", role="member")
    return token


def _demo_unsubscribe_key(app, engine) -> str:
    """The key of a board email's unsubscribe link for Gerda (its page only shows a button)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from wijknet.platform.identity.models import User
    from wijknet.platform.tenancy.lookups import tenant_ref
    from wijknet.platform.tenancy.models import Tenant
    from wijknet.platform.tenancy.uow import tenant_unit_of_work
    from wijknet.tenants.board.notifications import unsubscribe_token
    from wijknet.tenants.core.models import Member

    with Session(engine) as session:
        tenant = session.scalars(select(Tenant).where(Tenant.slug == DEMO_VALUES["slug"])).one()
        user_id = session.scalars(select(User.id).where(User.email == ROLE_PEOPLE["member"])).one()
        ref = tenant_ref(tenant, modules=("board",))
    with tenant_unit_of_work(engine, ref) as session:
        member_id = session.scalars(select(Member.id).where(Member.user_id == user_id)).one()
    with app.test_request_context():
        return unsubscribe_token(ref.id, member_id, "activity")


def _demo_claim(engine) -> str:
    """An account made in advance, so the page that takes it can be checked."""
    from sqlalchemy.orm import Session

    from wijknet.platform.identity.operations import create_claim
    from wijknet.platform.tenancy.operations import ensure_user

    with Session(engine) as session, session.begin():
        return create_claim(session, ensure_user(session, "nieuw@wijknet.example", "Nieuwe Collega"), actor="gate")


@pytest.fixture(scope="session")
def live_demo(demo_app):
    with LiveServer(demo_app) as server:
        yield server


@pytest.fixture(scope="session")
def gate_check(browser):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    english = english_phrases()
    signed_in: dict = {}

    def storage_for(base_url: str, role: str):
        """Sign in once per role through the provider's own page; reuse the cookies."""
        person = ROLE_PEOPLE[role]
        if person is None:
            return None
        if (base_url, role) not in signed_in:
            context = browser.new_context()
            page = context.new_page()
            page.goto(f"{base_url}/login/demo?next=/")
            page.fill("input[name=sub]", person)
            page.click("button[type=submit]:not([name])")
            page.wait_for_url(f"{base_url}/")
            if person.split("@")[0].lower() not in page.content().lower():
                raise AssertionError(f"signing in as {role} ({person}) did not work")
            signed_in[(base_url, role)] = context.storage_state()
            context.close()
        return signed_in[(base_url, role)]

    def check(
        base_url: str,
        path: str,
        role: str,
        width: str,
        lang: str,
        screenshot: str | None = None,
        record: bool = True,
        expect=200,
        inspect: bool | None = None,
    ) -> list[str]:
        """Open the page; its outcome (HTTP status, or "login" when sent to the sign-in page)
        must be `expect`. Pages shown (200) are checked in full, others only with `inspect`."""
        where = f"page={path} role={role} width={width} lang={lang}"
        context = browser.new_context(
            viewport=dict(zip(("width", "height"), WIDTHS[width], strict=True)),
            locale="nl-NL" if lang == "nl" else "en-GB",
            storage_state=storage_for(base_url, role),
        )
        context.add_cookies([{"name": "lang", "value": lang, "url": base_url}])
        problems: list[str] = []
        foreign: list[str] = []
        weight = {"bytes": 0}

        def route(route_):
            if route_.request.url.startswith(base_url):
                route_.continue_()
            else:
                foreign.append(route_.request.url)
                route_.abort()

        context.route("**/*", route)
        page = context.new_page()
        console: list[str] = []  # kept only for pages that are inspected
        page.on("console", lambda msg: msg.type == "error" and console.append(f"{where} rule=console-error: {msg.text[:200]}"))
        page.on("pageerror", lambda exc: problems.append(f"{where} rule=page-error: {str(exc)[:200]}"))

        def count(response):
            if response.request.resource_type in ("document", "stylesheet", "script"):
                try:
                    weight["bytes"] += len(response.body())
                except Exception:  # noqa: BLE001 - a redirect has no body
                    pass

        page.on("response", count)
        try:
            response = page.goto(base_url + path, wait_until="load")
            status = response.status if response else 0
            outcome = (
                "login"
                if status == 200 and page.url.split("?")[0].endswith("/login") and not path.startswith("/login")
                else status
            )
            if record:
                REPORT.status[(path, role)] = outcome
            if outcome != expect:
                problems.append(f"{where} rule=expected-status: got {outcome}, expected {expect}")
            if not (inspect if inspect is not None else outcome == 200):
                if record:
                    REPORT.views += 1
                    REPORT.pages.add(path)
                    REPORT.problems.extend(problems)
                return problems  # not this role's page: only its answer is checked (the context closes below)
            results = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
            for violation in results.response["violations"]:
                targets = ", ".join(str(n["target"]) for n in violation["nodes"][:3])
                problems.append(f"{where} rule=axe:{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
            state = page.evaluate(PAGE_CHECKS_JS)
            for rule, detail in state["problems"]:
                problems.append(f"{where} rule={rule}: {detail}")
            if state["lang"] != lang:
                problems.append(f"{where} rule=page-language: html lang is {state['lang']!r}")
            if re.search(r"%\(\w+\)[sd]|\bmsgid\b", state["text"]):
                problems.append(f"{where} rule=untranslated-message: a message id or placeholder is shown")
            if lang == "nl":
                for phrase in english:
                    if phrase in state["text"]:
                        problems.append(f"{where} rule=english-on-dutch-page: {phrase!r}")
            for _ in range(3):
                page.keyboard.press("Tab")
                focus = page.evaluate(FOCUS_JS)
                if focus is not None and not focus["visible"]:
                    problems.append(f"{where} rule=focus-visible: focused <{focus['tag']}> has no visible outline")
            if weight["bytes"] > MAX_PAGE_BYTES:
                problems.append(
                    f"{where} rule=page-weight: {weight['bytes'] // 1024} kB of HTML, CSS and JS (limit {MAX_PAGE_BYTES // 1024} kB)"
                )
            for url in foreign:
                problems.append(f"{where} rule=third-party-request: {url}")
            problems.extend(console)
            if screenshot:
                page.keyboard.press("Escape")
                page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
                page.screenshot(path=screenshot, full_page=True)
        finally:
            context.close()
        if record:
            REPORT.views += 1
            REPORT.pages.add(path)
            REPORT.problems.extend(problems)
        return problems

    return check


def pytest_terminal_summary(terminalreporter):
    if REPORT.views:
        shown = sum(1 for outcome in REPORT.status.values() if outcome == 200)
        mode = "every width and language" if full_crawl() else "width and language rotating (make gate: all)"
        terminalreporter.write_line(
            f"residents' gate: {len(REPORT.pages)} pages x {len(ROLES)} roles, {mode}: {REPORT.views} page views, "
            f"{shown} shown and checked in full, the others answered as expected for the role; {len(REPORT.problems)} problems"
        )
