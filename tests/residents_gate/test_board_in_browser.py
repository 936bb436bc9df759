"""In Chromium, on a phone-sized screen: a resident posts a need, a second resident
responds, the author marks the match and the responder confirms it."""

import pytest

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _signed_in(browser, base_url: str, email: str):
    context = browser.new_context(viewport=PHONE, locale="nl-NL", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{base_url}/login/demo?next=/t/tarwewijk/board/")
    page.fill("input[name=sub]", email)
    page.click("button[type=submit]:not([name])")
    page.wait_for_url(f"{base_url}/t/tarwewijk/board/")
    return context, page


@pytest.mark.timeout(120)
def test_post_respond_and_match_on_a_phone(browser, live_demo):
    base = live_demo.url
    gerda_ctx, gerda = _signed_in(browser, base, "gerda@tarwewijk.example")
    gerda.get_by_role("link", name="Nieuw bericht").first.click()
    gerda.get_by_label("Een vraag: ik zoek hulp").check()
    gerda.get_by_label("Titel").fill("Wie repareert mijn waslijn?")
    gerda.get_by_label("Beschrijving").fill("De waslijn op mijn balkon is geknapt. Wie helpt hem opnieuw te spannen?")
    gerda.get_by_label("klussen").check()
    gerda.get_by_label("Postcode of buurt (mag leeg)").fill("3072 AB")
    gerda.get_by_role("button", name="Plaatsen").click()
    assert "Wie repareert mijn waslijn?" in gerda.locator("h1").inner_text(), gerda.locator("main").inner_text()
    post_url = gerda.url
    assert gerda.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    ricardo_ctx, ricardo = _signed_in(browser, base, "ricardo@tarwewijk.example")
    ricardo.get_by_label("Zoeken").fill("waslijn")
    ricardo.get_by_role("button", name="Filteren").click()
    ricardo.get_by_role("link", name="Wie repareert mijn waslijn?").click()
    ricardo.get_by_label("Bericht aan Gerda de Vries").fill("Ik heb nieuwe lijn en kom zaterdag langs.")
    ricardo.get_by_role("button", name="Reactie versturen").click()
    ricardo.wait_for_selector("text=Ik heb nieuwe lijn en kom zaterdag langs.")

    gerda.goto(post_url)
    assert "Ricardo Martina" in gerda.content()
    gerda.get_by_role("button", name="Dit is de match").click()
    gerda.wait_for_selector("text=wacht op bevestiging van de ander")

    ricardo.goto(post_url)
    ricardo.get_by_role("button", name="Match bevestigen").click()
    ricardo.wait_for_selector("text=door beiden bevestigd")
    gerda_ctx.close()
    ricardo_ctx.close()
