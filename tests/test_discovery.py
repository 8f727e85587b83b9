"""Discovery documents: RSS 2.0, RSS 1.0 (RDF), Atom, sitemaps, sitemap indexes and
Google News sitemaps, plain and gzipped, plus tolerance of broken XML."""

from __future__ import annotations

import gzip

import pytest

from crawler.spiders.feed import feed_entries
from crawler.spiders.sitemap import sitemap_entries

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel>
<title>NOS</title><language>nl-NL</language>
<item><title>Ofcom onderzoekt X</title><link>https://nos.nl/artikel/1-ofcom</link>
  <pubDate>Mon, 12 Jan 2026 14:05:00 +0100</pubDate></item>
<item><title>Zonder link</title><guid isPermaLink="true">https://nos.nl/artikel/2-guid</guid>
  <dc:date>2026-01-11T10:00:00+01:00</dc:date></item>
<item><title>Feedburner</title><link>https://feeds.example/~r/x/3</link>
  <feedburner:origLink>https://nos.nl/artikel/3-echt</feedburner:origLink></item>
<item><title>Geen link</title><guid isPermaLink="false">abc</guid></item>
</channel></rss>"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://s.nl/"><title>S</title></channel>
<item rdf:about="https://s.nl/a"><title>A</title><link>https://s.nl/a</link>
<dc:date>2026-01-09</dc:date></item></rdf:RDF>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-GB"><title>Guardian</title>
<entry><title>Ofcom opens investigation</title>
  <link rel="self" href="https://g.example/api/1"/>
  <link rel="alternate" type="text/html" href="https://g.example/technology/1"/>
  <published>2026-01-12T13:10:00Z</published><updated>2026-01-13T08:00:00Z</updated></entry>
<entry><title>Updated only</title><link href="https://g.example/technology/2"/>
  <updated>2026-01-10T08:00:00Z</updated></entry>
</feed>"""


def test_rss() -> None:
    entries = feed_entries(RSS)
    assert [e.url for e in entries] == ["https://nos.nl/artikel/1-ofcom",
                                        "https://nos.nl/artikel/2-guid",
                                        "https://nos.nl/artikel/3-echt"]
    assert entries[0].date == "Mon, 12 Jan 2026 14:05:00 +0100"
    assert entries[0].title == "Ofcom onderzoekt X"
    assert entries[1].date == "2026-01-11T10:00:00+01:00"
    assert {e.lang for e in entries} == {"nl-NL"}


def test_rdf_and_atom() -> None:
    (rdf,) = feed_entries(RDF)
    assert (rdf.url, rdf.date) == ("https://s.nl/a", "2026-01-09")
    first, second = feed_entries(ATOM)
    assert first.url == "https://g.example/technology/1"
    assert first.date == "2026-01-12T13:10:00Z"  # published, not updated
    assert second.date == "2026-01-10T08:00:00Z"
    assert first.lang == "en-GB"


@pytest.mark.parametrize("body", [b"<html><body>Not a feed</body></html>", b"", b"{}",
                                  b"<urlset/>"])
def test_not_a_feed(body: bytes) -> None:
    assert feed_entries(body) is None


def test_broken_feed_is_read_as_far_as_possible() -> None:
    broken = RSS.replace(b"</channel></rss>", b"<item><title>x &nbsp; <link>")
    assert len(feed_entries(broken) or []) >= 3


NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://s.nl/nieuws/a</loc><lastmod>2026-01-20</lastmod><news:news>
  <news:publication><news:name>S</news:name><news:language>nl</news:language></news:publication>
  <news:publication_date>2026-01-12T14:05:00+01:00</news:publication_date>
  <news:title>Ofcom onderzoekt X</news:title></news:news></url>
<url><loc>https://s.nl/over-ons</loc><lastmod>2025-06-01</lastmod></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://s.nl/sitemap-2025.xml.gz</loc><lastmod>2025-12-31</lastmod></sitemap>
<sitemap><loc>https://s.nl/sitemap-news.xml</loc><lastmod>2026-01-16</lastmod></sitemap>
</sitemapindex>"""


@pytest.mark.parametrize("compress", [False, True])
def test_news_sitemap(compress: bool) -> None:
    kind, entries = sitemap_entries(gzip.compress(NEWS) if compress else NEWS)
    assert kind == "urlset"
    news, page = entries
    assert (news.url, news.date, news.title, news.lang) == (
        "https://s.nl/nieuws/a", "2026-01-12T14:05:00+01:00", "Ofcom onderzoekt X", "nl")
    assert page.date is None  # lastmod is not a publication date


def test_sitemap_index() -> None:
    kind, entries = sitemap_entries(INDEX)
    assert kind == "index"
    assert [e.url for e in entries] == ["https://s.nl/sitemap-2025.xml.gz",
                                        "https://s.nl/sitemap-news.xml"]


def test_not_a_sitemap() -> None:
    assert sitemap_entries(RSS) is None
    assert sitemap_entries(b"<html></html>") is None
