"""In Chromium, on a phone-sized screen (issue 14): the wijkbedrijf proposes the
municipality's green-maintenance contract of € 50,000, two other board members approve,
members vote, it is signed, and its first expense shows on the public ledger."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _signed_in(browser, base_url: str, email: str, path: str):
    context = browser.new_context(viewport=PHONE, locale="nl-NL", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{base_url}/login/demo?next={path}")
    page.fill("input[name=sub]", email)
    page.click("button[type=submit]:not([name])")
    page.wait_for_url(f"{base_url}{path}")
    return context, page


@pytest.mark.timeout(240)
def test_propose_approve_vote_sign_and_spend_on_a_phone(browser, demo_app, live_demo):
    base = live_demo.url
    anouk_ctx, anouk = _signed_in(browser, base, "anouk@tarwewijk.example", "/t/tarwewijk/contracts/new")
    anouk.fill("#f-title", "Groenonderhoud Tarwewijk-Zuid")
    anouk.fill("#f-purpose", "Plantsoenen en boomspiegels, met werk voor bewoners.")
    anouk.select_option("#f-counterparty", label="Gemeente Rotterdam")
    anouk.fill("#f-value", "50.000")
    anouk.fill("#f-line-1", "Loonkosten bewoners")
    anouk.fill("#f-amount-1", "40.000")
    anouk.fill("#f-line-2", "Materiaal")
    anouk.fill("#f-amount-2", "10.000")
    for i, (title, weight) in enumerate((("Voorjaarssnoei", "50"), ("Bladruimen", "50")), start=1):
        anouk.fill(f"#f-m-title-{i}", title)
        anouk.fill(f"#f-m-weight-{i}", weight)
    anouk.get_by_role("button", name="Opslaan").click()
    anouk.wait_for_selector("h1:has-text('Groenonderhoud Tarwewijk-Zuid')")
    contract_path = anouk.url.removeprefix(base)
    assert anouk.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    anouk.select_option("#f-to", "proposed")
    anouk.get_by_role("button", name="Deze stap zetten").click()
    anouk.wait_for_selector("text=De ledenstemming")

    contexts = [anouk_ctx]
    for email in ("bas@tarwewijk.example", "samira@tarwewijk.example"):
        context, page = _signed_in(browser, base, email, contract_path)
        page.get_by_role("button", name="Goedkeuren").click()
        page.wait_for_selector("text=Goedgekeurd door")
        contexts.append(context)
    for email in ("gerda@tarwewijk.example", "ricardo@tarwewijk.example"):
        context, page = _signed_in(browser, base, email, contract_path)
        page.get_by_label("voor", exact=True).check()
        page.get_by_role("button", name="Stemmen").click()
        page.wait_for_selector("text=Je stemde: voor")
        assert "Aangenomen" not in page.content()  # no results while the vote is open
        contexts.append(context)

    contract_id = int(contract_path.rsplit("/", 1)[1])
    with demo_app.extensions["wijknet"].engine.begin() as conn:  # the week of the vote passes
        schema = conn.execute(text("SELECT schema_name FROM platform.tenants WHERE slug = 'tarwewijk'")).scalar_one()
        conn.execute(
            text(f'UPDATE "{schema}".contracts SET vote_closes_at = :moment WHERE id = :id'),
            {"moment": datetime.now(timezone.utc) - timedelta(minutes=1), "id": contract_id},
        )
    anouk.goto(f"{base}{contract_path}")
    anouk.get_by_role("button", name="De stemming tellen").click()
    anouk.wait_for_selector("text=Aangenomen.")
    assert "goedgekeurd" in anouk.locator(".badge").first.inner_text()
    anouk.select_option("#f-to", "signed")
    anouk.fill("#f-reason", "Getekend met de wethouder")
    anouk.get_by_role("button", name="Deze stap zetten").click()
    anouk.wait_for_selector("text=Getekend met de wethouder")
    anouk.select_option("#f-line", label="Materiaal")
    anouk.fill("#f-amount", "1.250,00")
    anouk.fill("#f-what", "Snoeischaren en handschoenen")
    anouk.get_by_role("button", name="De uitgave boeken").click()
    anouk.wait_for_selector("text=€ 1.250,00")

    visitor = browser.new_context(viewport=PHONE, locale="nl-NL", is_mobile=True, has_touch=True)
    public = visitor.new_page()
    public.goto(f"{base}/t/tarwewijk/ledger/public")
    body = public.locator("main").inner_text()
    assert "Uitgaven: Groenonderhoud Tarwewijk-Zuid: € 1.250,00" in body, body
    assert "Gerda" not in body and "Ricardo" not in body
    for context in (*contexts, visitor):
        context.close()
