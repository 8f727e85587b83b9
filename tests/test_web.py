"""The web interface over real HTTP (uvicorn in a thread, Elasticsearch backend, an
indexed corpus): pages agree with the JSON API they share the service with, the URL
holds the whole state, output is escaped, forms are CSRF-protected and writes follow
the bound-address rules. The browser tests are in tests/e2e/test_browser.py."""

from __future__ import annotations

import tomllib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import lxml.html
import pytest
from support.web_fixtures import EVIDENCE, serve_web


@pytest.fixture(scope="module")
def web(web_url):
    with httpx.Client(base_url=web_url, timeout=30) as client:
        yield client


def page(client: httpx.Client, url: str, status: int = 200, **kw):
    r = client.get(url, **kw)
    assert r.status_code == status, (url, r.status_code, r.text[:500])
    return lxml.html.fromstring(r.text), r


def total(doc) -> int:
    return int(doc.get_element_by_id("total").get("data-total"))


def test_search_page_matches_the_api(web):
    doc, r = page(web, "/?q=grok&country=GB")
    api = web.get("/api/search", params={"q": "grok", "country": "GB"}).json()
    assert total(doc) == api["total"] == 5
    titles = [a.text_content() for a in doc.cssselect("a.hit-title")]
    assert titles == [h["title"].replace("«", "").replace("»", "") for h in api["hits"]]
    assert doc.cssselect(".snippet mark") and "«" not in r.text
    facets = {(a.get("data-facet"), a.get("data-value")): int(a.cssselect(".count")[0].text)
              for a in doc.cssselect("a.facet-link")}
    for name, buckets in api["facets"].items():
        for b in buckets:
            assert facets[(name, b["key"])] == b["count"]
    assert r.headers["content-security-policy"].startswith("default-src 'self'")


def test_facet_link_narrows_to_its_count(web):
    doc, _ = page(web, "/?q=grok")
    link = next(a for a in doc.cssselect("a.facet-link")
                if (a.get("data-facet"), a.get("data-value")) == ("lang", "nl"))
    count = int(link.cssselect(".count")[0].text)
    narrowed, _ = page(web, link.get("href"))
    assert total(narrowed) == count
    on = narrowed.cssselect("a.facet-link.on")
    assert [(a.get("data-value"), a.get("aria-checked")) for a in on] == [("nl", "true")]
    # clicking it again removes the filter
    back, _ = page(web, on[0].get("href"))
    assert total(back) == total(doc)


def test_state_lives_in_the_url(web):
    url = "/?q=grok&lang=en&stories=1&sort=date&interval=day&by=country&page=1"
    doc, _ = page(web, url)
    assert doc.get_element_by_id("q").get("value") == "grok"
    assert doc.get_element_by_id("stories").get("checked") is not None
    assert doc.cssselect("#sort option[selected]")[0].get("value") == "date"
    api = web.get("/api/search", params={"q": "grok", "lang": "en", "stories": "true"}).json()
    assert total(doc) == api["total"]
    assert doc.get_element_by_id("total").get("data-stories") == str(api["total_stories"])
    # links keep every part of the state
    facet = parse_qs(urlsplit(doc.cssselect("a.facet-link")[0].get("href")).query)
    assert facet["q"] == ["grok"] and facet["stories"] == ["1"] and facet["sort"] == ["date"]
    assert facet["interval"] == ["day"] and facet["by"] == ["country"]
    # hidden inputs carry the filters through a new query
    hidden = {(i.get("name"), i.get("value")) for i in doc.cssselect("form#search-form "
                                                                     "input[type=hidden]")}
    assert {("lang", "en"), ("interval", "day"), ("by", "country")} <= hidden


def test_export_links_export_exactly_this_query(web):
    doc, _ = page(web, "/?q=ofcom&lang=en&sort=date")
    csv_href = doc.get_element_by_id("export-csv").get("href")
    assert csv_href.startswith("/api/export?")
    assert parse_qs(urlsplit(csv_href).query) == {"q": ["ofcom"], "lang": ["en"],
                                                  "format": ["csv"]}
    lines = web.get(doc.get_element_by_id("export-jsonl").get("href")).text.splitlines()
    assert len(lines) == total(doc) == 3


def test_pagination(web):
    doc, _ = page(web, "/")
    assert total(doc) == 20
    assert len(doc.cssselect("li.hit")) == 20 and not doc.cssselect(".pager")
    doc, _ = page(web, "/?all=1")
    assert total(doc) == 23
    nxt = doc.cssselect(".pager a[rel=next]")[0].get("href")
    second, _ = page(web, nxt)
    assert len(second.cssselect("li.hit")) == 3
    assert second.cssselect(".pager a[rel=prev]")


def test_timeline_bars_filter_to_their_period(web):
    doc, _ = page(web, "/?q=grok&by=lang")
    tl = web.get("/api/timeline", params={"q": "grok", "by": "lang", "interval": "week"}).json()
    bars = doc.cssselect("svg.chart a.bar")
    assert [(b.get("data-key"), int(b.get("data-total"))) for b in bars] == [
        (x["key"], x["total"]) for x in tl["buckets"]]
    bar = max(bars, key=lambda b: int(b.get("data-total")))
    href = bar.get("href")
    query = parse_qs(urlsplit(href).query)
    assert query["from"] == [bar.get("data-key")] and query["q"] == ["grok"]
    narrowed, _ = page(web, href)
    assert total(narrowed) == int(bar.get("data-total"))
    legend = [li.text_content() for li in doc.cssselect(".legend li")]
    assert legend == ["English", "Dutch"]
    month, _ = page(web, "/?interval=month&by=country")
    assert len(month.cssselect("svg.chart a.bar")) == 6  # Aug 2025 .. Jan 2026


def test_search_errors_are_one_line_on_the_page(web):
    doc, _ = page(web, "/?q=(grok", status=400)
    assert "unbalanced '('" in doc.get_element_by_id("search-error").text_content()
    doc, _ = page(web, "/?q=grok&from=gisteren", status=400)
    assert "not a date" in doc.get_element_by_id("search-error").text_content()
    page(web, "/article/nothere", status=404)
    page(web, "/article/0123abcd", status=404)


def test_search_page_shows_warnings_and_did_you_mean(web):
    doc, _ = page(web, "/?q=grok+or+clothoff&country=GB")
    notes = doc.get_element_by_id("search-warnings").text_content()
    assert "'or' is searched as a word; use OR for either term" in notes
    doc, _ = page(web, "/?q=Ofcomm&country=GB")
    assert total(doc) == 0
    link = doc.get_element_by_id("suggestion-link")
    assert link.text_content() == "ofcom"
    fixed, _ = page(web, link.get("href"))
    assert total(fixed) == 5  # the suggestion keeps the filters
    assert fixed.get_element_by_id("q").get("value") == "ofcom"
    assert not fixed.cssselect("#did-you-mean, #search-warnings")
    doc, _ = page(web, "/?q=foo:bar", status=400)
    assert "unknown field 'foo'" in doc.get_element_by_id("search-error").text_content()


def test_article_page_marks_each_evidence(web, web_store):
    from index.ids import article_id

    aid = article_id("https://lemonde-en.example/arcom-clothoff")
    doc, _ = page(web, f"/article/{aid}")
    marks = doc.cssselect("#article-text mark.evidence")
    assert [m.get("data-event") for m in marks] == ["1", "2", "3"]
    for mark, evidence in zip(marks, EVIDENCE, strict=True):
        assert mark.text_content().rstrip("0123456789") == evidence
    rows = doc.cssselect("table#events tbody tr")
    assert [[td.text_content().strip() for td in r.cssselect("td")][1:6] for r in rows] == [
        ["arcom", "investigation", "Clothoff", "FR", "actual"],
        ["arcom", "order", "Clothoff", "FR", "actual"],
        ["arcom", "block", "Clothoff", "FR", "potential"]]
    assert rows[0].cssselect("a")[0].get("href") == "#ev-1"
    assert doc.get_element_by_id("original-link").get("href") == \
        "https://lemonde-en.example/arcom-clothoff"
    assert len(doc.cssselect("#article-text p")) == 3


def test_article_page_lists_the_same_story(web):
    from index.ids import article_id

    aid = article_id("https://wire-uk.example/ofcom-en")
    doc, _ = page(web, f"/article/{aid}")
    others = {a.text_content() for a in doc.cssselect("#same-story a")}
    assert others == {"UK regulator probes X after Grok deepfake images",
                      "Ofcom investigates X over sexualised Grok pictures"}


def test_untrusted_text_is_escaped(web):
    from index.ids import article_id

    aid = article_id("https://nieuwsdienst.example/script-in-tekst")
    r = web.get(f"/article/{aid}")
    assert "<script>window" not in r.text and "<img src=x" not in r.text
    assert "&lt;script&gt;window.__pwned = 1" in r.text
    doc = lxml.html.fromstring(r.text)
    assert [s.get("src") for s in doc.cssselect("script")] == ["/static/app.js"]
    assert "<b>verstopt</b>" in doc.get_element_by_id("article-title").text_content()
    r = web.get("/", params={"q": "pwned"})
    assert "<script>window" not in r.text and "&lt;script&gt;" in r.text


def test_actions_tracker(web):
    doc, _ = page(web, "/actions")
    api = web.get("/api/actions").json()
    assert int(doc.get_element_by_id("actions-count").get("data-total")) == api["total"]
    bodies = doc.cssselect("tbody.action")
    assert [b.get("data-action") for b in bodies] == [a["action_id"] for a in api["actions"]]
    for body, action in zip(bodies, api["actions"], strict=True):
        links = [a.get("href") for a in body.cssselect("a.source-link")]
        assert links == [f"/article/{s['id']}" for s in action["sources"]]
    ofcom = next(b for b in bodies if b.cssselect("td")[0].text_content() == "Ofcom")
    assert ofcom.cssselect("td.num")[0].text_content().split() == ["2", "/", "3"]
    assert ofcom.cssselect("td.actor")[0].get("data-actor") == "ofcom"
    assert ofcom.cssselect("td.jurisdiction")[0].text_content() == "United Kingdom"
    grid = {a.get("data-country"): a for a in doc.cssselect("#country-grid a")}
    assert {"GB", "MY", "ID", "EU", "US", "AU", "NL", "FR"} <= set(grid)
    assert "status-actual" in grid["GB"].get("class")
    narrowed, _ = page(web, grid["GB"].get("href"))
    assert {b.cssselect("td.jurisdiction")[0].get("data-jurisdiction")
            for b in narrowed.cssselect("tbody.action")} == {"GB"}
    by_actor, _ = page(web, "/actions?sort=actor&dir=asc")
    actors = [b.cssselect("td")[0].text_content().lower() for b in
              by_actor.cssselect("tbody.action")]
    assert actors == sorted(actors)
    filtered, _ = page(web, "/actions?measure=block&status=actual")
    assert {(b.cssselect("td")[1].text_content(), b.cssselect("td")[4].text_content())
            for b in filtered.cssselect("tbody.action")} == {("block", "actual")}
    page(web, "/actions?measure=ban", status=400)


def test_actions_tracker_names_evidence_time_and_csv(web):
    import csv
    import io

    doc, _ = page(web, "/actions?country=FR&ui=en")
    bodies = doc.cssselect("tbody.action")
    assert len(bodies) == 3  # Arcom: investigation, order, block
    first = {b.cssselect("td")[1].text_content(): b for b in bodies}["investigation"]
    assert first.cssselect("td.actor")[0].text_content() == "Arcom"
    assert first.cssselect("td.jurisdiction")[0].text_content() == "France"
    quote = first.cssselect("blockquote.evidence-quote")[0].text_content()
    assert quote == f"“{EVIDENCE[0]}”"
    when = first.cssselect("td.first-seen time")[0]
    assert when.get("datetime") == "2026-01-16T11:00:00+01:00"
    assert " ".join(when.text_content().split()) == "16 January 2026 11:00 UTC+01:00"
    src = first.cssselect("ul.action-sources li")
    assert len(src) == 1 and src[0].cssselect("a.source-url")[0].get("href") == \
        "https://lemonde-en.example/arcom-clothoff"
    # the CSV links carry exactly the page's filters
    link = doc.get_element_by_id("actions-csv").get("href")
    assert parse_qs(urlsplit(link).query) == {"country": ["FR"]}
    r = web.get(link)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert sorted(x["action_id"] for x in rows) == sorted(b.get("data-action") for b in bodies)
    assert {x["actor_name"] for x in rows} == {"Arcom"} and {x["actor"] for x in rows} == {
        "arcom"}
    per = web.get(doc.get_element_by_id("sources-csv").get("href"))
    assert len(list(csv.DictReader(io.StringIO(per.text)))) == 3
    every, _ = page(web, "/actions?measure=investigation")
    per_all = list(csv.DictReader(io.StringIO(
        web.get(every.get_element_by_id("sources-csv").get("href")).text)))
    assert len(per_all) == sum(len(b.cssselect("ul.action-sources li"))
                               for b in every.cssselect("tbody.action"))
    assert web.get("/actions.csv", params={"measure": "ban"}).status_code == 400
    # the Dutch interface: Dutch country names, and so does its CSV
    nl, _ = page(web, "/actions?country=GB&ui=nl")
    assert {td.text_content() for td in nl.cssselect("td.jurisdiction")} == {
        "Verenigd Koninkrijk"}
    nl_rows = list(csv.DictReader(io.StringIO(
        web.get(nl.get_element_by_id("actions-csv").get("href")).text)))
    assert {x["jurisdiction_name"] for x in nl_rows} == {"Verenigd Koninkrijk"}
    page(web, "/actions?ui=en")  # the cookie back to English for the tests after this


def test_sources_page_and_json(web):
    doc, _ = page(web, "/sources")
    rows = {tr.get("data-source"): tr for tr in doc.cssselect("table#health tbody tr")}
    assert set(rows) == {"brokensite", "dagblad"}
    assert "flagged" in rows["brokensite"].get("class")
    assert "403: 2" in rows["brokensite"].text_content()
    assert "404: 1" in rows["dagblad"].text_content()
    assert len(doc.cssselect("table#runs tbody tr")) == 3
    data = web.get("/api/sources/health").json()
    assert {s["source"]: s["flagged"] for s in data["sources"]} == {
        "brokensite": True, "dagblad": False}
    assert [r["new"] for r in data["runs"]] == [3, 6, 5]


def _form(client: httpx.Client, url: str) -> tuple[dict[str, str], lxml.html.HtmlElement]:
    doc, _ = page(client, url)
    form = doc.get_element_by_id("subscription-form")
    values = {i.get("name"): i.get("value") or "" for i in form.cssselect("input")
              if i.get("type") != "checkbox" and i.get("name")}
    return values, doc


def test_subscription_from_search_with_csrf(web, web_cfg, web_store):
    from toezicht.alerts.subscriptions import load_alert_settings

    values, doc = _form(web, "/alerts/new?q=grok+measure:block&country=GB&lang=nl")
    assert values["query"] == "grok" and values["countries"] == "GB"
    assert values["langs"] == "nl"
    assert [i.get("value") for i in doc.cssselect("input[name=measures][checked]")] == [
        "block"]
    values["name"] = "web-grok"
    r = web.post("/alerts/save", data={**values, "measures": "block"})
    assert r.status_code == 303 and r.headers["location"] == "/alerts?done=saved"
    doc, _ = page(web, "/alerts?done=saved")
    assert {tr.get("data-subscription") for tr in doc.cssselect("#subscriptions tbody tr")} \
        == {"config-grok", "web-grok"}
    assert doc.get_element_by_id("flash") is not None
    assert "NEW actual: ofcom investigation" in doc.get_element_by_id("outbox").text_content()
    subs = web.get("/api/subscriptions").json()["subscriptions"]
    web_sub = next(s for s in subs if s["name"] == "web-grok")
    assert web_sub["filters"] == {"countries": ["gb"], "langs": ["nl"], "measures": ["block"],
                                  "query": ["grok"]}
    assert web_sub["channels"] == ["atom"]
    # alert delivery sees it like a configured subscription
    settings = load_alert_settings(web_cfg)
    assert {s.name for s in settings.subscriptions} == {"config-grok", "web-grok"}
    assert settings.get("web-grok").channels["atom"]["path"] == "feeds/web-grok.xml"
    # no CSRF token, a wrong one, or another origin: refused, nothing changes
    for data, headers in [({k: v for k, v in values.items() if k != "csrf"}, {}),
                          ({**values, "csrf": "0" * 64}, {}),
                          (values, {"Origin": "https://evil.example"})]:
        r = web.post("/alerts/save", data={**data, "name": "evil"}, headers=headers)
        assert r.status_code == 403
    assert "evil" not in {s["name"] for s in web.get("/api/subscriptions").json()[
        "subscriptions"]}
    with httpx.Client(base_url=str(web.base_url)) as fresh:  # no cookie of its own
        assert fresh.post("/alerts/save", data=values).status_code == 403


@pytest.mark.parametrize("change,message", [
    ({"name": "bad name!"}, "name must be"),
    ({"name": "config-grok"}, "already used"),
    ({"measures": "ban"}, "unknown measure 'ban'"),
    ({"min_confidence": "veel"}, "min_confidence"),
    ({"atom_path": "../../etc/x.xml"}, "atom feed path"),
    ({"email_to": "analyst@example.org", "email_from": "t@example.org"}, "[smtp]"),
])
def test_invalid_subscriptions_are_refused(web, change, message):
    values, _ = _form(web, "/alerts/new")
    r = web.post("/alerts/save", data={**values, "name": "ok-name", **change})
    assert r.status_code == 422
    error = lxml.html.fromstring(r.text).get_element_by_id("form-error").text_content()
    assert message in error


def test_edit_and_delete_subscription(web):
    values, _ = _form(web, "/alerts/new?country=NL")
    assert web.post("/alerts/save", data={**values, "name": "tmp-nl"}).status_code == 303
    values, _ = _form(web, "/alerts/edit/tmp-nl")
    assert values["original"] == "tmp-nl" and values["countries"] == "NL"
    r = web.post("/alerts/save", data={**values, "name": "tmp-nl2", "countries": "NL, BE"})
    assert r.status_code == 303
    subs = {s["name"]: s for s in web.get("/api/subscriptions").json()["subscriptions"]}
    assert "tmp-nl" not in subs and subs["tmp-nl2"]["filters"]["countries"] == ["be", "nl"]
    r = web.post("/alerts/delete", data={"name": "tmp-nl2", "csrf": values["csrf"]})
    assert r.status_code == 303
    assert "tmp-nl2" not in {s["name"] for s in web.get("/api/subscriptions").json()[
        "subscriptions"]}


def test_public_address_needs_the_web_token(web_es, web_store, web_cfg):
    from dataclasses import replace

    served = serve_web(web_es, web_store, web_cfg, host="0.0.0.0")
    try:
        with httpx.Client(base_url=served.url) as client:
            doc, _ = page(client, "/alerts")
            assert "read-only" in doc.text_content()
            assert not doc.cssselect("#new-subscription")
            values, _ = _form(client, "/alerts/new")
            r = client.post("/alerts/save", data={**values, "name": "public"})
            assert r.status_code == 403
            assert client.get("/api/subscriptions").json()["writable"] is False
    finally:
        served.stop()
    served = serve_web(web_es, web_store, replace(web_cfg, web_token="s3cret"), host="0.0.0.0")
    try:
        with httpx.Client(base_url=served.url) as client:
            values, doc = _form(client, "/alerts/new")
            assert doc.get_element_by_id("f-token") is not None
            r = client.post("/alerts/save", data={**values, "name": "public", "token": "nope"})
            assert r.status_code == 403 and "Wrong access token" in r.text
            r = client.post("/alerts/save", data={**values, "name": "public",
                                                  "token": "s3cret"})
            assert r.status_code == 303
    finally:
        served.stop()


def test_interface_language(web):
    doc, r = page(web, "/?q=grok&ui=nl")
    assert doc.get("lang") == "nl" and "artikelen" in doc.get_element_by_id("total").text
    assert r.cookies.get("toezicht_ui") == "nl"
    switch = doc.get_element_by_id("lang-switch").get("href")
    assert parse_qs(urlsplit(switch).query) == {"q": ["grok"], "ui": ["en"]}
    doc, _ = page(web, "/actions")  # the cookie keeps the language
    assert doc.get("lang") == "nl" and doc.cssselect("h1")[0].text == \
        "Maatregelen van toezichthouders"
    assert "januari 2026" in doc.text_content()
    doc, _ = page(web, "/actions?ui=en")
    assert doc.get("lang") == "en" and "January 2026" in doc.text_content()
    with httpx.Client(base_url=str(web.base_url)) as fresh:
        doc, _ = page(fresh, "/", headers={"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.5"})
        assert doc.get("lang") == "nl"
    here = Path(__file__).resolve().parents[1] / "toezicht" / "web" / "i18n"
    nl = tomllib.loads((here / "nl.toml").read_text(encoding="utf-8"))
    en = tomllib.loads((here / "en.toml").read_text(encoding="utf-8"))
    assert set(nl) == set(en)


def test_every_asset_is_local(web):
    for url in ("/", "/?q=grok", "/actions", "/sources", "/alerts", "/alerts/new"):
        doc, _ = page(web, url)
        refs = [e.get("src") for e in doc.cssselect("script[src], img[src]")] + \
               [e.get("href") for e in doc.cssselect("link[href]")]
        assert refs and all(ref.startswith("/static/") for ref in refs), refs
        for ref in refs:
            assert web.get(ref).status_code == 200
        assert not doc.cssselect("script:not([src])")  # nothing inline (CSP script-src self)


# -- the JSON endpoints the web adds, and `toezicht serve` itself (no Elasticsearch) --------
@pytest.fixture(scope="module")
def lite(tmp_path_factory):
    """The app `toezicht serve --backend sqlite` runs, over a store with three alerts."""
    from index import alert_store
    from index.search.sqlite_backend import SqliteBackend
    from index.store import Store

    store = Store(f"sqlite:///{tmp_path_factory.mktemp('lite') / 'toezicht.db'}")
    alert_store.enqueue(store.engine, [alert_store.outbox_row(
        "grok", "atom", f"a{i}", "new", "actual", {"kind": "new"}) for i in range(3)])
    backend = SqliteBackend(store)
    served = serve_web(backend, store, None)
    with httpx.Client(base_url=served.url, timeout=30) as client:
        yield client
    served.stop()
    backend.close()


@pytest.mark.parametrize("limit,message", [
    ("-1", "limit: Input should be greater than or equal to 1"),
    ("0", "limit: Input should be greater than or equal to 1"),
    ("1001", "limit: Input should be less than or equal to 1000"),
    ("ten", "limit: Input should be a valid integer"),
    ("", "limit: Input should be a valid integer"),
])
def test_api_alerts_limit_out_of_range_is_a_422(lite, limit, message):
    r = lite.get("/api/alerts", params={"limit": limit})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error.startswith(message) and "\n" not in error


def test_api_alerts_limit_in_range(lite):
    assert len(lite.get("/api/alerts").json()["alerts"]) == 3
    for limit, count in (("1", 1), ("2", 2), ("1000", 3)):
        r = lite.get("/api/alerts", params={"limit": limit})
        assert r.status_code == 200 and len(r.json()["alerts"]) == count


def test_openapi_documents_the_web_json_endpoints(lite):
    doc = lite.get("/openapi.json").json()
    get = doc["paths"]["/api/alerts"]["get"]
    (limit,) = [p for p in get["parameters"] if p["name"] == "limit"]
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 1000)
    assert set(get["responses"]) == {"200", "422"}
    assert get["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApiError"}  # {"error": ...}, what the API really sends
    assert {"/api/sources/health", "/api/subscriptions"} <= set(doc["paths"])


def test_serve_refuses_a_busy_port_in_one_line(tmp_path):
    import socket
    import subprocess
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "toezicht", "--data-dir", str(tmp_path),
                              "serve", "--port", str(port)],
                             capture_output=True, text=True, timeout=60)
    assert out.returncode == 1, out.stderr
    assert out.stdout == ""
    assert out.stderr.splitlines() == [f"Error: port {port} on 127.0.0.1 is in use"]


def test_page_errors_name_the_url_parameter(lite):
    doc, _ = page(lite, "/?q=grok&from=gisteren", status=400)
    error = doc.get_element_by_id("search-error").text_content()
    assert "from 'gisteren' is not a date" in error and "--" not in error
