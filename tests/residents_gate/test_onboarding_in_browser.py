"""Issue 12, in Chromium: network staff onboard a new living lab in one wizard (the address
checked while typed, modules from a starter kit); the first admin's invitation arrives at a
real SMTP server by way of the worker; the new admin follows the link, signs in, accepts,
and sees the lab with the modules that were chosen."""

import os
import re
import secrets
import subprocess
import sys

import httpx
import pytest

from tests.conftest import clean_env
from tests.support.live_server import LiveServer
from tests.support.smtp import SmtpServers
from wijknet.platform.app import create_app

from .test_board_in_browser import PHONE

pytestmark = pytest.mark.browser


def _sign_in(context, base: str, email: str, next_path: str):
    page = context.new_page()
    page.goto(f"{base}/login/demo?next={next_path}")
    page.fill("input[name=sub]", email)
    page.click("button[type=submit]:not([name])")
    page.wait_for_url(f"{base}{next_path}")
    return page


@pytest.mark.timeout(180)
def test_staff_onboard_a_lab_and_its_first_admin_gets_in(browser, demo_app, demo_provider):
    smtp = SmtpServers()
    inbox = smtp.start()
    settings = demo_app.extensions["wijknet"].settings
    environ = {
        "WIJKNET_ENV": "test",
        "DATABASE_URL": settings.database_url,
        "WIJKNET_OIDC_PROVIDERS": _providers_json(demo_provider),
        "WIJKNET_MAIL_URL": f"smtp://127.0.0.1:{inbox.port}",
    }
    app = create_app(environ, engine=demo_app.extensions["wijknet"].engine)
    slug, admin_email = f"lab-{secrets.token_hex(3)}", f"beheer-{secrets.token_hex(3)}@nieuwewijk.example"
    try:
        with LiveServer(app) as server:
            base = server.url
            staff = browser.new_context(viewport=PHONE, locale="nl-NL", is_mobile=True, has_touch=True)
            page = _sign_in(staff, base, "staf@wijknet.example", "/staff/new")
            page.get_by_label("Naam", exact=True).fill("Nieuwe Wijk Noord")
            page.get_by_label("Adres (wijknet.nl/t/…)").fill("tarwewijk")
            page.locator("#slug-check").filter(has_text="heeft dit adres al").wait_for()  # live check: taken
            page.get_by_label("Adres (wijknet.nl/t/…)").fill(slug)
            page.locator("#slug-check").filter(has_text="Beschikbaar").wait_for()
            page.get_by_label("Regio of wijk").fill("Groningen Noord")
            page.get_by_label("Netwerk: alles, zonder grenzen").check()
            page.get_by_label("Startpakket: modules, instellingen en categorieën overgenomen van").select_option("tarwewijk")
            assert page.get_by_label("Wijkbedrijf-contracten").is_checked()  # the kit ticked the model's modules
            page.get_by_label("Gedeelde huizen, auto's en gereedschap").uncheck()
            page.get_by_label("E-mailadres (krijgt de uitnodiging)").fill(admin_email)
            page.get_by_role("button", name="Living lab aanmaken en uitnodiging versturen").click()
            page.get_by_role("heading", name="Nieuwe Wijk Noord is live").wait_for()
            assert admin_email in page.locator("main").inner_text()
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            staff.close()

            worker = subprocess.run(
                [os.path.join(os.path.dirname(sys.executable), "wijknet"), "worker", "--until-empty"],
                env=clean_env(environ),
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert worker.returncode == 0, worker.stderr
            (mail,) = inbox.to(admin_email)
            link = re.search(r"(http://\S+/invitation/\S+)", mail.replace("=\n", "")).group(1)
            path = "/" + link.split("://", 1)[1].split("/", 1)[1]

            httpx.put(
                f"{demo_provider}/users/{admin_email}",
                json={"email": admin_email, "email_verified": True, "name": "Nieuwe Beheerder"},
            )
            admin = browser.new_context(viewport=PHONE, locale="nl-NL", is_mobile=True, has_touch=True)
            page = admin.new_page()
            page.goto(f"{base}{path}")
            page.get_by_role("link", name="Log in om te accepteren").click()
            page.get_by_role("link", name=re.compile("Demo-ID")).click()  # the sign-in page lists the providers
            page.fill("input[name=sub]", admin_email)
            page.click("button[type=submit]:not([name])")
            page.wait_for_url(f"{base}{path}")
            page.get_by_role("button", name="Uitnodiging accepteren").click()
            page.wait_for_url(re.compile(f"{base}/t/{slug}/.*"))
            page.goto(f"{base}/t/{slug}/admin/modules")
            cards = page.locator(".card")
            on = {
                cards.nth(i).locator("h2").inner_text() for i in range(cards.count()) if "Uitzetten" in cards.nth(i).inner_text()
            }
            assert on == {"Businessbakkerij: vraag en aanbod", "Wijkbedrijf-contracten", "Wijkboekhouding"}, on
            nav = page.get_by_role("navigation", name="Dit living lab")
            assert nav.get_by_role("link", name="Prikbord").count() == 1
            admin.close()
    finally:
        smtp.stop_all()


def _providers_json(issuer: str) -> str:
    import json

    return json.dumps(
        [
            {
                "name": "demo",
                "label": "Demo-ID",
                "issuer": issuer,
                "client_id": "gate",
                "client_secret": "gate",
                "link_verified_email": True,
            }
        ]
    )
