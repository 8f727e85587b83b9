"""URL canonicalisation: one spelling, one id per article."""

from __future__ import annotations

import pytest

from crawler.urls import canonical_id, canonicalize, looks_non_html, pick_canonical


@pytest.mark.parametrize(("raw", "expected"), [
    ("HTTPS://WWW.NOS.nl/artikel/2550000-grok.html", "https://www.nos.nl/artikel/2550000-grok.html"),
    ("https://nos.nl:443/artikel/1", "https://nos.nl/artikel/1"),
    ("http://nos.nl:80/artikel/1", "http://nos.nl/artikel/1"),
    ("http://127.0.0.1:8765/nieuws/a.html", "http://127.0.0.1:8765/nieuws/a.html"),
    ("https://nu.nl/tech/1/x.html#reacties", "https://nu.nl/tech/1/x.html"),
    ("https://nu.nl/a?utm_source=rss&utm_medium=feed&utm_campaign=x", "https://nu.nl/a"),
    ("https://www.bbc.co.uk/news/technology-1?at_medium=RSS&at_campaign=rss",
     "https://www.bbc.co.uk/news/technology-1"),
    ("https://x.com/a?fbclid=abc&gclid=def&id=7", "https://x.com/a?id=7"),
    ("https://x.com/a?b=2&a=1", "https://x.com/a?a=1&b=2"),
    ("https://x.com/a?", "https://x.com/a"),
    ("https://x.com", "https://x.com/"),
    ("https://x.com//dubbel//pad", "https://x.com/dubbel/pad"),
    ("https://x.com/caf%C3%A9", "https://x.com/caf%C3%A9"),
    ("https://x.com/café", "https://x.com/caf%C3%A9"),
    ("https://x.com/Hoofd/Letters", "https://x.com/Hoofd/Letters"),
])
def test_canonicalize(raw: str, expected: str) -> None:
    assert canonicalize(raw) == expected


def test_relative_links_resolve_against_base() -> None:
    assert canonicalize("../b.html?utm_term=x", base="https://s.nl/nieuws/a/") == (
        "https://s.nl/nieuws/b.html")


def test_tracking_variants_share_one_id() -> None:
    plain = "https://www.nu.nl/tech/6380000/grok.html"
    assert canonical_id(plain) == canonical_id(plain + "?utm_source=twitter#comments")
    assert canonical_id(plain) == canonical_id("HTTPS://WWW.NU.NL:443/tech/6380000/grok.html")
    assert canonical_id(plain) != canonical_id("https://www.nu.nl/tech/6380001/grok.html")


@pytest.mark.parametrize(("declared", "expected"), [
    (None, "https://s.nl/a?id=1"),
    ("https://s.nl/artikel/echte-url", "https://s.nl/artikel/echte-url"),
    ("/artikel/relatief", "https://s.nl/artikel/relatief"),
    ("https://s.nl/", "https://s.nl/a?id=1"),  # a home page is not this article's identity
    ("javascript:void(0)", "https://s.nl/a?id=1"),
    ("https://amp.s.nl/a?utm_source=amp", "https://amp.s.nl/a"),
])
def test_pick_canonical(declared: str | None, expected: str) -> None:
    assert pick_canonical("https://s.nl/a?id=1&utm_medium=x", declared) == expected


@pytest.mark.parametrize(("url", "non_html"), [
    ("https://s.nl/docs/rapport.pdf", True),
    ("https://s.nl/img/foto.JPG", True),
    ("https://s.nl/media/video.mp4?x=1", True),
    ("https://s.nl/nieuws/artikel.html", False),
    ("https://s.nl/nieuws/artikel", False),
    ("https://s.nl/nieuws/2026/01/12/pdf-uitleg", False),
])
def test_looks_non_html(url: str, non_html: bool) -> None:
    assert looks_non_html(url) is non_html
