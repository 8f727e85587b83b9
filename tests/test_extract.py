"""HTML → article: main text without boilerplate, dates with precision (JSON-LD/meta,
then feed, then URL, then text), encodings, canonical URLs; plus real pages from the
Article Extraction Benchmark."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from crawler.extract import extract_article, find_text_date, parse_date, url_date
from index.ids import article_id

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "article-extraction-benchmark"

PARAGRAPHS = {
    "nl": [
        "De Britse toezichthouder Ofcom is een onderzoek gestart naar het platform X. "
        "Aanleiding zijn beelden die met de chatbot Grok zijn gemaakt van echte vrouwen.",
        "Volgens de toezichthouder moet worden vastgesteld of het bedrijf zich aan de wet "
        "houdt. Een boete kan oplopen tot tien procent van de wereldwijde omzet.",
        "Ook in andere landen groeit de druk op het bedrijf om maatregelen te nemen tegen "
        "het maken van seksueel getinte beelden zonder toestemming.",
    ],
    "en": [
        "Britain's communications regulator Ofcom has opened an investigation into X after "
        "its chatbot Grok was used to create sexualised images of real women.",
        "The regulator will examine whether the company met its legal duties. Fines can "
        "reach ten percent of worldwide revenue under the Online Safety Act.",
        "Pressure is growing in other countries too, where regulators are weighing "
        "measures against the creation of intimate images without consent.",
    ],
}
BOILERPLATE = {
    "nl": ("Deze website gebruikt cookies voor een betere ervaring", "Binnenland Buitenland "
           "Sport Cultuur", "Reactie van Henk: schandalig dat dit kan", "Alle rechten "
           "voorbehouden"),
    "en": ("We use cookies to improve your experience", "World Politics Business Sport "
           "Culture", "Comment by Dave: this is outrageous", "All rights reserved"),
}


def page(lang: str, *, head: str = "", byline: str = "", title: str = "Kop van het artikel"
         ) -> str:
    cookie, nav, comment, footer = BOILERPLATE[lang]
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[lang])
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">
<title>{title}</title>{head}</head><body>
<div id="cookie-banner" class="cookie-consent"><p>{cookie}</p><button>OK</button></div>
<header><nav class="main-nav"><ul>{"".join(f"<li><a href='/{w}'>{w}</a></li>"
                                             for w in nav.split())}</ul></nav></header>
<main><article><h1>{title}</h1><p class="byline">{byline}</p>{body}</article>
<section class="comments" id="comments"><h2>Comments</h2><ol><li class="comment">
<p>{comment}</p></li></ol></section></main>
<footer><p>© 2026 Courant. {footer}.</p></footer></body></html>"""


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_main_text_without_boilerplate(lang: str) -> None:
    art = extract_article(page(lang).encode(), "https://s.example/nieuws/a.html")
    assert art["kind"] == "article"
    for paragraph in PARAGRAPHS[lang]:
        assert paragraph in art["text"]
    for junk in BOILERPLATE[lang]:
        assert junk not in art["text"]
    assert art["lang"] == lang
    assert art["id"] == article_id("https://s.example/nieuws/a.html")


# -- dates -------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "expected"), [
    ("2026-01-12", ("2026-01-12", "day")),
    ("2026-01-12T14:05:00+01:00", ("2026-01-12T14:05:00+01:00", "day")),
    ("2026-01-12T13:05:00Z", ("2026-01-12T13:05:00+00:00", "day")),
    ("2026-01-12T13:05:00.123+0100", ("2026-01-12T13:05:00+01:00", "day")),
    ("2026-01-12 13:05", ("2026-01-12T13:05:00", "day")),
    ("2026-01", ("2026-01", "month")),
    ("2026", ("2026", "year")),
    ("Mon, 12 Jan 2026 13:05:00 +0100", ("2026-01-12T13:05:00+01:00", "day")),
    ("Mon, 12 Jan 2026 13:05:00 GMT", ("2026-01-12T13:05:00+00:00", "day")),
    ("12 januari 2026", ("2026-01-12", "day")),
    ("maandag 12 jan. 2026 om 14:05", ("2026-01-12", "day")),
    ("January 12, 2026", ("2026-01-12", "day")),
    ("12th January 2026", ("2026-01-12", "day")),
    ("Jan 12 2026", ("2026-01-12", "day")),
    ("12 mrt 2026", ("2026-03-12", "day")),
    ("1 oktober 2025", ("2025-10-01", "day")),
    ("januari 2026", ("2026-01", "month")),
    ("March 2025", ("2025-03", "month")),
    ("2026-02-30", None),
    ("32 januari 2026", None),
    ("2999-01-01", None),
    ("geen datum", None),
    ("", None),
])
def test_parse_date(value: str, expected: tuple[str, str] | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("nl", "Door Anne · vrijdag 9 januari 2026, 14:00", ("2026-01-09", "day")),
    ("nl", "Gepubliceerd: 09-01-2026", ("2026-01-09", "day")),
    ("en", "By Sam Carter | Published January 13, 2026", ("2026-01-13", "day")),
    ("en", "Updated 13 January 2026", ("2026-01-13", "day")),
    ("en", "Posted 01/02/2026", None),  # day/month order unknown in English
    ("en", "Posted 13/01/2026", ("2026-01-13", "day")),
    ("nl", "In december 2025 meldde de AP", ("2025-12", "month")),
])
def test_text_dates(lang: str, text: str, expected: tuple[str, str] | None) -> None:
    assert find_text_date(text, lang) == expected


@pytest.mark.parametrize(("url", "expected"), [
    ("https://s.nl/nieuws/2026/01/14/politie.html", ("2026-01-14", "day")),
    ("https://s.nl/2026-01-14-politie", ("2026-01-14", "day")),
    ("https://s.nl/artikel/20260114_politie", ("2026-01-14", "day")),
    ("https://www.theguardian.com/technology/2026/1/9/grok", ("2026-01-09", "day")),
    ("https://s.nl/nieuws/2026/01/politie", ("2026-01", "month")),
    ("https://s.nl/artikel/2550123-politie", None),
])
def test_url_dates(url: str, expected: tuple[str, str] | None) -> None:
    assert url_date(url) == expected


JSONLD = ('<script type="application/ld+json">{"@context": "https://schema.org", "@graph": '
          '[{"@type": "WebPage"}, {"@type": "NewsArticle", "datePublished": '
          '"2026-01-12T14:05:00+01:00", "dateModified": "2026-01-13T08:00:00+01:00", '
          '"author": [{"@type": "Person", "name": "Anne de Vries"}], "articleSection": "Tech", '
          '"image": {"url": "/img/a.jpg"}}]}</script>')
META = '<meta property="article:published_time" content="2026-01-11T18:30:00+01:00">'


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize(("head", "byline", "url_path", "feed_date", "expected"), [
    # JSON-LD beats the feed and the URL
    (JSONLD, "", "/2025/05/05/a", "Tue, 13 Jan 2026 09:00:00 +0100",
     ("2026-01-12T14:05:00+01:00", "day", "jsonld")),
    (META, "", "/a", "Tue, 13 Jan 2026 09:00:00 +0100",
     ("2026-01-11T18:30:00+01:00", "day", "meta")),
    # no date in the page: the feed's date
    ("", "", "/2025/05/05/a", "Tue, 13 Jan 2026 09:00:00 +0100",
     ("2026-01-13T09:00:00+01:00", "day", "feed")),
    # then the URL
    ("", "", "/nieuws/2026/01/14/a", None, ("2026-01-14", "day", "url")),
    ("", "", "/nieuws/2026/01/a", None, ("2026-01", "month", "url")),
])
def test_date_precedence(lang: str, head: str, byline: str, url_path: str, feed_date: str | None,
                         expected: tuple[str, str, str]) -> None:
    art = extract_article(page(lang, head=head, byline=byline).encode(),
                          "https://s.example" + url_path, feed_date=feed_date)
    assert (art["published"], art["published_precision"], art["published_source"]) == expected


@pytest.mark.parametrize(("lang", "byline", "expected"), [
    ("nl", "Door Mark Visser · vrijdag 9 januari 2026", "2026-01-09"),
    ("en", "By Priya Nair | January 13, 2026", "2026-01-13"),
])
def test_text_date_from_byline(lang: str, byline: str, expected: str) -> None:
    art = extract_article(page(lang, byline=byline).encode(), "https://s.example/a")
    assert (art["published"], art["published_precision"], art["published_source"]) == (
        expected, "day", "text")


def test_markup_metadata() -> None:
    art = extract_article(page("nl", head=JSONLD + '<link rel="canonical" href="/artikel/echt">'
                               ).encode(), "https://s.example/a?utm_source=x")
    assert art["authors"] == ["Anne de Vries"]
    assert art["section"] == "Tech"
    assert art["image"] == "https://s.example/img/a.jpg"
    assert art["modified"] == "2026-01-13T08:00:00+01:00"
    assert art["canonical_url"] == "https://s.example/artikel/echt"
    assert art["id"] == article_id("https://s.example/artikel/echt")


# -- encodings ------------------------------------------------------------------------------
CP1252_TEXT = ("Eén slachtoffer kreeg € 2.500; de officier had een celstraf geëist. "
               "Zij durft niet meer naar het café. ") * 4


@pytest.mark.parametrize("declared", ["header", "meta", "latin-1-header"])
def test_windows_1252(declared: str) -> None:
    meta = '<meta charset="windows-1252">' if declared == "meta" else ""
    html = (f"<html lang='nl'><head>{meta}<title>Rechter</title></head><body><article>"
            f"<h1>Rechter</h1><p>{CP1252_TEXT}</p><p>{CP1252_TEXT}</p></article></body></html>")
    ctype = {"header": "text/html; charset=windows-1252", "meta": "text/html",
             "latin-1-header": "text/html; charset=ISO-8859-1"}[declared]
    art = extract_article(html.encode("cp1252"), "https://s.example/r", content_type=ctype)
    for word in ("Eén", "€ 2.500", "geëist", "café"):
        assert word in art["text"]
    assert art["encoding"] == "cp1252"


def test_unusable_pages_are_not_articles() -> None:
    short = extract_article(b"<html><body><p>Even geduld...</p></body></html>", "https://s.nl/x")
    assert short["kind"] == "not_article" and short["reason"]
    empty = extract_article(b"", "https://s.nl/y")
    assert empty["kind"] == "not_article"
    binary = extract_article(b"%PDF-1.4\n\x00\x01\x02", "https://s.nl/z")
    assert binary["kind"] == "not_article"


# -- real pages ------------------------------------------------------------------------------
def _shingles(text: str) -> Counter:
    tokens = re.findall(r"\w+", text or "")
    return Counter(tuple(tokens[i:i + 4]) for i in range(max(0, len(tokens) - 3)))


def _f1(truth: str, pred: str) -> float:
    t, p = _shingles(truth), _shingles(pred)
    tp = sum((t & p).values())
    if not tp:
        return 0.0
    precision, recall = tp / sum(p.values()), tp / sum(t.values())
    return 2 * precision * recall / (precision + recall)


@pytest.fixture(scope="module")
def benchmark_pages() -> list[tuple[str, bytes, str, str]]:
    if not (SHARED / "ground-truth.json").exists():
        pytest.skip(f"benchmark pages not found at {SHARED}")
    truth = json.loads((SHARED / "ground-truth.json").read_text(encoding="utf-8"))
    keys = sorted(truth)[::15]  # a spread of 13 sites
    return [(k, gzip.decompress((SHARED / "html" / f"{k}.html.gz").read_bytes()),
             truth[k].get("url") or "https://example.org/", truth[k]["articleBody"])
            for k in keys]


def test_real_pages_extract_as_well_as_trafilatura(benchmark_pages: list) -> None:
    import trafilatura

    ours, plain = [], []
    for _key, html, url, truth in benchmark_pages:
        art = extract_article(html, url)
        ours.append(_f1(truth, art["text"] or ""))
        plain.append(_f1(truth, trafilatura.extract(html, url=url) or ""))
        assert art["title"], url
    mean_ours, mean_plain = sum(ours) / len(ours), sum(plain) / len(plain)
    assert mean_ours >= 0.85
    assert mean_ours >= mean_plain - 0.02, (mean_ours, mean_plain)


def test_real_pages_metadata(benchmark_pages: list) -> None:
    arts = [extract_article(html, url) for _k, html, url, _t in benchmark_pages]
    assert sum(a["kind"] == "article" for a in arts) >= len(arts) - 1
    dated = [a for a in arts if a["published"]]
    assert len(dated) >= len(arts) * 0.6
    for a in dated:
        assert a["published_precision"] in {"day", "month", "year"}
        assert parse_date(a["published"][:10]) is not None or a["published_precision"] != "day"
