"""End to end in headless Chromium (Debian's /usr/bin/chromium driven by Playwright
for Python) against the app `toezicht serve` runs, on an indexed corpus in the real
Elasticsearch. Screenshots of every page go to tests/output/screenshots/."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest
from support.web_fixtures import EVIDENCE

CHROMIUM = os.environ.get("TOEZICHT_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[1] / "output" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium "
                    "chromium-driver", pytrace=False)
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser, web_url):
    context = browser.new_context(base_url=web_url, viewport={"width": 1280, "height": 900},
                                  locale="en-GB")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
    assert not errors, errors


def shot(pg, name: str, full: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def total(pg) -> int:
    return int(pg.locator("#total").get_attribute("data-total"))


def api(web_url: str, path: str, **params):
    return httpx.get(web_url + path, params=params, timeout=30).json()


def test_search_and_facet_click_narrows_exactly(page, web_url):
    page.goto("/")
    page.fill("#q", "grok")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"q=grok"))
    assert total(page) == api(web_url, "/api/search", q="grok")["total"] == 12
    assert page.locator(".snippet mark").count() > 0
    shot(page, "search")
    facet = page.locator('a.facet-link[data-facet="countries"][data-value="GB"]')
    count = int(facet.locator(".count").inner_text())
    facet.click()
    page.wait_for_url(re.compile(r"country=GB"))
    assert total(page) == count > 0
    assert page.locator("li.hit").count() == count
    assert page.locator('a.facet-link.on[data-value="GB"]').get_attribute(
        "aria-checked") == "true"
    # a second facet narrows further, exactly to its count
    facet = page.locator('a.facet-link[data-facet="lang"][data-value="nl"]')
    count = int(facet.locator(".count").inner_text())
    facet.click()
    page.wait_for_url(re.compile(r"lang=nl"))
    assert 0 < total(page) == count
    shot(page, "search-facets")


def test_timeline_click_filters_to_the_period(page, web_url):
    page.goto("/?q=grok&interval=day&by=country")
    bars = page.locator("svg.chart a.bar")
    keys = [bars.nth(i).get_attribute("data-key") for i in range(bars.count())]
    counts = [int(bars.nth(i).get_attribute("data-total")) for i in range(bars.count())]
    tl = api(web_url, "/api/timeline", q="grok", interval="day", by="country")
    assert keys == [b["key"] for b in tl["buckets"]]
    shot(page, "timeline", full=False)
    idx = max(range(len(counts)), key=lambda i: counts[i])
    bars.nth(idx).click()
    page.wait_for_url(re.compile(r"from=" + keys[idx]))
    assert f"to={keys[idx]}" in page.url
    assert total(page) == counts[idx] > 0
    assert page.locator("#from").input_value() == keys[idx]
    page.click("#clear-dates")
    page.wait_for_url(lambda url: "from=" not in url)
    assert total(page) == sum(counts)


def test_article_highlights_the_right_evidence(page):
    page.goto("/?q=arcom")
    page.click("a.hit-title >> nth=0")
    page.wait_for_url(re.compile(r"/article/"))
    assert page.locator("h1#article-title").inner_text() == \
        "French regulator Arcom investigates Clothoff"
    marks = page.locator("#article-text mark.evidence")
    assert marks.count() == 3
    for i, evidence in enumerate(EVIDENCE):
        assert marks.nth(i).inner_text().rstrip("0123456789") == evidence
    rows = page.locator("table#events tbody tr")
    assert rows.nth(1).locator("td").nth(2).inner_text() == "order"
    rows.nth(1).locator("a").click()
    page.wait_for_url(re.compile(r"#ev-2$"))
    assert page.evaluate("document.querySelector(':target').dataset.event") == "2"
    shot(page, "article")


def test_tracker_rows_link_to_sources(page):
    page.goto("/actions")
    shot(page, "actions")
    row = page.locator("tbody.action", has=page.locator("td", has_text="ofcom")).first
    assert row.locator("td.num").inner_text().replace(" ", "") == "2/3"
    row.locator("summary").click()
    links = row.locator("a.source-link")
    assert links.count() == 5
    title = links.first.inner_text()
    links.first.click()
    page.wait_for_url(re.compile(r"/article/[0-9a-f]+$"))
    assert page.locator("h1#article-title").inner_text() == title
    assert page.locator("table#events").inner_text().count("ofcom") == 1
    page.go_back()
    page.click('#country-grid a[data-country="MY"]')
    page.wait_for_url(re.compile(r"country=MY"))
    assert page.locator("#actions-count").get_attribute("data-total") == "1"
    page.click('th a.sort[data-col="actor"]')
    page.wait_for_url(re.compile(r"sort=actor"))


def test_language_switch(page):
    page.goto("/?q=grok")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("nav a").first.inner_text() == "Search"
    page.click("#lang-switch")
    page.wait_for_url(re.compile(r"ui=nl"))
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("nav a").first.inner_text() == "Zoeken"
    assert "artikelen" in page.locator("#total").inner_text()
    assert page.locator("#q").input_value() == "grok"
    shot(page, "search-nl")
    page.click("nav >> text=Maatregelen")
    assert page.locator("h1").inner_text() == "Maatregelen van toezichthouders"
    assert "januari 2026" in page.locator("#actions").inner_text()
    page.click("#lang-switch")
    assert page.locator("h1").inner_text() == "Regulatory actions"


def test_shareable_url_restores_state(browser, page, web_url):
    page.goto("/")
    page.fill("#q", "grok")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"q=grok"))
    page.click('a.facet-link[data-facet="lang"][data-value="en"]')
    page.wait_for_url(re.compile(r"lang=en"))
    page.select_option("#sort", "date")  # applies at once (JS)
    page.wait_for_url(re.compile(r"sort=date"))
    page.check("#stories")
    page.wait_for_url(re.compile(r"stories=1"))
    url = page.url
    titles = page.locator("a.hit-title").all_inner_texts()
    shown = page.locator("#total").inner_text()
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        fresh = other.new_page()
        fresh.goto(url)
        assert fresh.locator("#q").input_value() == "grok"
        assert fresh.locator("#sort").input_value() == "date"
        assert fresh.locator("#stories").is_checked()
        assert fresh.locator('a.facet-link.on').get_attribute("data-value") == "en"
        assert fresh.locator("a.hit-title").all_inner_texts() == titles
        assert fresh.locator("#total").inner_text() == shown
        data = api(web_url, "/api/search", q="grok", lang="en", stories="true")
        assert int(fresh.locator("#total").get_attribute("data-stories")) == \
            data["total_stories"] == len(titles)
    finally:
        other.close()


def test_script_in_article_text_is_shown_not_run(page):
    page.goto("/?q=deepfake-app")
    assert page.locator("a.hit-title", has_text="<script>").count() == 1
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.click("a.hit-title >> nth=0")
    page.wait_for_url(re.compile(r"/article/"))
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert "PWNED" not in page.title()
    text = page.locator("#article-text").inner_text()
    assert "<script>window.__pwned = 1; document.title = 'PWNED'</script>" in text
    assert '<img src=x onerror="window.__pwned = 2">' in text
    assert "<b>verstopt</b>" in page.locator("h1#article-title").inner_text()
    assert page.locator("#article-text script, #article-text img").count() == 0
    shot(page, "article-script")


def test_sources_and_alerts_pages(page):
    page.goto("/sources")
    assert "flagged" in page.locator('tr[data-source="brokensite"]').get_attribute("class")
    shot(page, "sources")
    page.goto("/?q=grok&country=GB")
    page.click("#subscribe")
    page.wait_for_url(re.compile(r"/alerts/new"))
    assert page.locator("#f-countries").input_value() == "GB"
    assert page.locator("#f-query").input_value() == "grok"
    page.fill("#f-name", "browser-grok")
    page.check("input[name=statuses][value=actual]")
    shot(page, "subscription-form")
    page.click("#subscription-form button[type=submit]")
    page.wait_for_url(re.compile(r"/alerts\?done=saved"))
    assert page.locator('tr[data-subscription="browser-grok"]').count() == 1
    assert "NEW actual: ofcom investigation" in page.locator("#outbox").inner_text()
    shot(page, "alerts")


def test_keyboard_and_phone_width(browser, web_url):
    context = browser.new_context(base_url=web_url, viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)
    try:
        pg = context.new_page()
        pg.goto("/?q=grok")
        pg.keyboard.press("Tab")
        assert pg.evaluate("document.activeElement.className") == "skip"
        pg.keyboard.press("Enter")
        pg.keyboard.press("Tab")
        assert pg.evaluate("document.activeElement.id") == "q"
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"page scrolls sideways at phone width ({width}px)"
        shot(pg, "search-phone")
        pg.goto("/actions")
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390
        shot(pg, "actions-phone")
    finally:
        context.close()
