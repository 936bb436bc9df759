"""Issue 11, in Chromium: the lab's admin switches the board off (its pages and API answer
404, it leaves the navigation) and on again (everything is back, posts included)."""

import httpx
import pytest

from .test_board_in_browser import _signed_in

pytestmark = pytest.mark.browser


def _switch(page, base, label):
    page.goto(f"{base}/t/tarwewijk/admin/modules")
    card = page.locator(".card", has_text="Businessbakkerij")
    card.get_by_role("button", name=label).click()
    page.wait_for_url(f"{base}/t/tarwewijk/admin/modules")


@pytest.mark.timeout(120)
def test_the_admin_switches_the_board_off_and_on_again(browser, live_demo):
    base = live_demo.url
    context, anouk = _signed_in(browser, base, "anouk@tarwewijk.example")
    api = f"{base}/t/tarwewijk/api/v1/board/posts"  # Tarwewijk's board is open: readable without a token
    before = httpx.get(api, params={"page_size": 100}).json()
    assert len(before) > 20
    try:
        _switch(anouk, base, "Uitzetten")
        assert anouk.goto(f"{base}/t/tarwewijk/board/").status == 404
        assert httpx.get(api).status_code == 404
        anouk.goto(f"{base}/t/tarwewijk/")
        assert anouk.get_by_role("navigation", name="Dit living lab").get_by_role("link", name="Prikbord").count() == 0
    finally:
        _switch(anouk, base, "Aanzetten")
    assert anouk.goto(f"{base}/t/tarwewijk/board/").status == 200
    anouk.get_by_role("navigation", name="Dit living lab").get_by_role("link", name="Prikbord").click()
    anouk.wait_for_url(f"{base}/t/tarwewijk/board/")
    after = httpx.get(api, params={"page_size": 100}).json()
    assert [p["id"] for p in after] == [p["id"] for p in before]  # the data is back, all of it
    context.close()
