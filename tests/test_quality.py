"""Not-an-article detection (crawler.quality) without false alarms on real articles,
relative and year-less dates, byline author cleaning, per-site overrides."""

from __future__ import annotations

import pytest

from crawler.extract import clean_author, extract_article, relative_date, yearless_date
from crawler.quality import reason_code
from crawler.sites import SitesError, load_sites, parse_sites, site_for

BODY = ("<p>De Autoriteit Persoonsgegevens heeft een onderzoek geopend naar een app die "
        "met kunstmatige intelligentie naaktbeelden maakt van echte mensen.</p>"
        "<p>Volgens de toezichthouder worden de beelden zonder toestemming gemaakt en "
        "verspreid, vaak van minderjarigen. Het onderzoek kan leiden tot een boete.</p>"
        "<p>De maker van de app was niet bereikbaar voor commentaar. Eerder kondigden "
        "ook toezichthouders in andere landen stappen aan tegen vergelijkbare apps.</p>") * 2


def article(title: str, extra: str = "", head: str = "") -> str:
    return (f"<html lang='nl'><head><title>{title}</title>{head}</head><body><article>"
            f"<h1>{title}</h1>{BODY}{extra}</article></body></html>")


@pytest.mark.parametrize(("title", "extra"), [
    # error-ish words in a real headline
    ("Vermiste jongen nog steeds niet gevonden", ""),
    ("Fout in app maakt 500 mensen slachtoffer", ""),
    # a subscription pitch under a full free article
    ("AP onderzoekt uitkleedapp", "<aside><p>Word abonnee en steun onafhankelijke "
                                  "journalistiek.</p></aside>"),
    # a cookie notice next to a full article
    ("AP onderzoekt uitkleedapp", "<div class='cookie'><p>Accepteer cookies voor de beste "
                                  "ervaring.</p></div>"),
    # a few related links under the article
    ("AP onderzoekt uitkleedapp", "<ul>" + "".join(
        f"<li><a href='/nieuws/{i}'>Ander nieuws over deepfakes en toezicht nummer {i}</a></li>"
        for i in range(6)) + "</ul>"),
])
def test_real_articles_stay_articles(title: str, extra: str) -> None:
    art = extract_article(article(title, extra).encode(), "https://krant.example/nieuws/a")
    assert (art["kind"], art["reason"]) == ("article", None)


@pytest.mark.parametrize(("url", "html", "code"), [
    ("https://myprivacy.krant.example/consent?redirect=x", article("Privacy"), "consent_wall"),
    ("https://krant.example/a", "<html><head><title>Oops! Something went wrong</title></head>"
     "<body><h1>Oops</h1><p>Try again later.</p></body></html>", "soft_404"),
    ("https://krant.example/a", "<html><head><title>Error 404</title></head><body><p>The page "
     "you requested does not exist.</p></body></html>", "soft_404"),
    ("https://krant.example/a", article("Teaser", head='<script type="application/ld+json">'
     '{"@type": "NewsArticle", "isAccessibleForFree": false}</script>').replace(
         BODY, BODY[:300]), "paywall"),
    ("https://krant.example/zoeken?q=deepfake", "<html><body><h1>Zoekresultaten</h1><ul>"
     + "".join(f"<li><a href='/n/{i}'>Resultaat nummer {i} over deepfakes en toezicht</a></li>"
               for i in range(12)) + "</ul></body></html>", "listing_page"),
    ("https://krant.example/overzicht", '<html><head><script type="application/ld+json">'
     '{"@type": "CollectionPage"}</script></head><body><ul>' + "".join(
         f"<li><a href='/n/{i}'>Artikel nummer {i} over deepfakes en toezichthouders</a></li>"
         for i in range(12)) + "</ul></body></html>", "listing_page"),
    ("https://krant.example/a", b"%PDF-1.4\n\x00\x01", "empty_page"),
    ("https://krant.example/a", "", "empty_page"),
])
def test_not_articles(url: str, html: str | bytes, code: str) -> None:
    data = html if isinstance(html, bytes) else html.encode()
    art = extract_article(data, url)
    assert art["kind"] == "not_article"
    assert reason_code(art["reason"]) == code, art["reason"]


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("gisteren, 14:05", "nl", "2026-01-12"),
    ("eergisteren", "nl", "2026-01-11"),
    ("Vandaag 08:00", "nl", "2026-01-13"),
    ("Yesterday at 9:30", "en", "2026-01-12"),
    ("3 uur geleden", "nl", "2026-01-13"),
    ("15 hours ago", "en", "2026-01-12"),
    ("2 dagen geleden", "nl", "2026-01-11"),
    ("a day ago", "en", "2026-01-12"),
    ("geen datum", "nl", None),
])
def test_relative_dates(text: str, lang: str, expected: str | None) -> None:
    found = relative_date(text, "2026-01-13T10:00:00+00:00", lang)
    assert (found[0] if found else None) == expected


def test_relative_dates_use_the_local_day() -> None:
    # 23:30 UTC on the 13th is already the 14th in Amsterdam
    assert relative_date("gisteren", "2026-01-13T23:30:00+00:00", "nl") == ("2026-01-13", "day")
    assert relative_date("yesterday", "2026-01-13T23:30:00+00:00", "en") == ("2026-01-12", "day")


@pytest.mark.parametrize(("text", "expected"), [
    ("13 januari, 14:05", "2026-01-13"),
    ("Jan 9", "2026-01-09"),
    ("28 dec.", "2025-12-28"),  # in the future this year: last year
    ("13 januari 2025", None),  # has a year: not this function's business
])
def test_yearless_dates(text: str, expected: str | None) -> None:
    found = yearless_date(text, "2026-01-13T10:00:00+00:00", "nl")
    assert (found[0] if found else None) == expected


@pytest.mark.parametrize(("raw", "name"), [
    ("Door Mark Visser · 13 januari 2026", "Mark Visser"),
    ("By Sam Carter | Updated", "Sam Carter"),
    ("Jan Jansen", "Jan Jansen"),
    ("Gepubliceerd: 09-01-2026", None),
    ("https://krant.example/auteur/x", None),
])
def test_clean_author(raw: str, name: str | None) -> None:
    assert clean_author(raw) == name


def test_site_specs_load_and_match() -> None:
    specs = load_sites()
    names = {s.name for s in specs}
    assert {"nos", "nu", "tweakers", "security-nl", "bbc", "guardian", "the-verge",
            "techcrunch"} <= names
    assert site_for("https://www.bbc.co.uk/news/articles/x").name == "bbc"
    assert site_for("https://feeds.nos.nl/x").name == "nos"
    assert site_for("https://notbbc.com/x") is None


def test_site_override_body_title_date() -> None:
    spec = parse_sites('''[[site]]
name = "krant"
domains = ["krant.example"]
body = [".tekst > p"]
drop = [".advertentie"]
title = ["h1.kop"]
date = [".datum"]
author = [".auteur"]
''')
    html = ("<html><body><h1 class='kop'>De echte kop</h1><span class='datum'>gisteren</span>"
            "<span class='auteur'>Door Anne de Vries</span><div class='tekst'>"
            + "".join(f"<p>Alinea {i} van het artikel over toezicht op deepfake-apps, met "
                      f"genoeg tekst om te tellen.</p>" for i in range(4))
            + "<p class='advertentie'>Advertentie: koop nu</p></div>"
            "<div class='zijbalk'><p>Meest gelezen: iets anders</p></div></body></html>")
    from crawler import sites

    saved = sites.load_sites
    sites.load_sites = lambda path=None: tuple(spec)
    try:
        art = extract_article(html.encode(), "https://krant.example/a",
                              fetched_at="2026-01-13T10:00:00+00:00")
    finally:
        sites.load_sites = saved
    assert art["extraction"] == "site"
    assert art["text"].splitlines()[0].startswith("Alinea 0")
    assert "Advertentie" not in art["text"] and "Meest gelezen" not in art["text"]
    assert art["title"] == "De echte kop"
    assert art["authors"] == ["Anne de Vries"]
    assert (art["published"], art["published_source"]) == ("2026-01-12", "site")


@pytest.mark.parametrize(("toml", "message"), [
    ('[[site]]\ndomains = ["x.nl"]\n', "'name' is required"),
    ('[[site]]\nname = "x"\n', "'domains' must be"),
    ('[[site]]\nname = "x"\ndomains = ["x.nl"]\nbody = ["p:::"]\n', "bad body selector"),
    ('[[site]]\nname = "x"\ndomains = ["x.nl"]\nbodies = ["p"]\n', "unknown key(s) bodies"),
])
def test_bad_site_specs(toml: str, message: str) -> None:
    with pytest.raises(SitesError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_sites(toml)
