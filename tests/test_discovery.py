"""Discovery documents: RSS 2.0, RSS 1.0 (RDF), Atom, sitemaps, sitemap indexes and
Google News sitemaps, plain and gzipped, plus tolerance of broken XML; hostile XML
(entity bombs, XXE) refused with a reason; large sitemaps streamed up to their caps,
plain or compressed alike; the one vocabulary of failure reasons."""

from __future__ import annotations

import gzip
import zlib

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


# -- hostile XML: refused, never expanded, with a reason -----------------------------
BOMB = (b"<?xml version='1.0'?><!DOCTYPE rss [<!ENTITY a 'lol'>"
        + b"".join(b"<!ENTITY %c '%s'>" % (98 + i, b"&%c;" % (97 + i) * 10) for i in range(8))
        + b"]><rss version='2.0'><channel><title>&i;</title><item><link>https://s.nl/a"
          b"</link></item></channel></rss>")
QUADRATIC = (b"<?xml version='1.0'?><!DOCTYPE rss [<!ENTITY x '" + b"x" * 100_000 + b"'>]>"
             b"<rss><channel><title>" + b"&x;" * 20_000 + b"</title></channel></rss>")
XXE = (b"<?xml version='1.0'?><!DOCTYPE urlset [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
       b"<urlset><url><loc>https://s.nl/&x;</loc></url></urlset>")
PARAMETER_XXE = (b"<?xml version='1.0'?><!DOCTYPE urlset [<!ENTITY % p SYSTEM "
                 b"'http://127.0.0.1:9/evil.dtd'> %p;]><urlset><url><loc>https://s.nl/a</loc>"
                 b"</url></urlset>")


@pytest.mark.parametrize(("body", "reason"), [
    (BOMB, "xml_entity_bomb"), (QUADRATIC, "xml_entity_bomb"),
    (XXE.replace(b"urlset", b"rss"), "xml_external_entity"),
    (b"<rss>" + b"<a>" * 300 + b"</a>" * 300 + b"</rss>", "xml_resource_limit"),
], ids=["nested", "amplified", "xxe", "deep"])
def test_hostile_feeds_are_refused(body: bytes, reason: str) -> None:
    from crawler.spiders._xml import XmlRefused

    for data in (body, gzip.compress(body)):
        with pytest.raises(XmlRefused) as refused:
            feed_entries(data)
        assert refused.value.reason == reason


@pytest.mark.parametrize(("body", "reason"), [
    (XXE, "xml_external_entity"), (PARAMETER_XXE, "xml_external_entity"),
    (BOMB.replace(b"rss", b"urlset"), "xml_entity_bomb"),
    (QUADRATIC.replace(b"rss", b"urlset"), "xml_entity_bomb"),
], ids=["xxe", "parameter-xxe", "nested", "amplified"])
def test_hostile_sitemaps_are_refused(body: bytes, reason: str) -> None:
    from crawler.spiders._xml import XmlRefused

    with pytest.raises(XmlRefused) as refused:
        sitemap_entries(body)
    assert refused.value.reason == reason


def test_a_dtd_without_entities_or_with_plain_ones_is_fine() -> None:
    rss091 = (b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD '
              b'RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">'
              b"<rss version='0.91'><channel><item><link>https://s.nl/a</link></item>"
              b"</channel></rss>")
    assert [e.url for e in feed_entries(rss091)] == ["https://s.nl/a"]
    plain = rss091.replace(b"<!DOCTYPE rss PUBLIC", b"<!DOCTYPE rss [<!ENTITY c '&#169;'>]>"
                           b"<!-- ").replace(b'.dtd">', b'.dtd -->')
    assert [e.url for e in feed_entries(plain)] == ["https://s.nl/a"]


def test_feed_items_without_a_link_are_counted() -> None:
    from crawler.spiders.feed import read_feed

    feed = read_feed(RSS)
    assert (len(feed.entries), feed.without_link, feed.truncated) == (3, 1, False)


# -- large sitemaps: streamed to a cap, plain or compressed alike -------------------
def big_sitemap(n: int) -> bytes:
    urls = b"".join(b"<url><loc>https://s.nl/n/%d</loc></url>\n" % i for i in range(n))
    return (b"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/"
            b"0.9'>\n" + urls + b"</urlset>")


def deflate(body: bytes) -> bytes:
    return zlib.compress(body)


@pytest.mark.parametrize(("encode", "encoding"), [
    (lambda b: b, None), (gzip.compress, None), (gzip.compress, "gzip"),
    (deflate, "deflate"), (lambda b: gzip.compress(gzip.compress(b)), "gzip"),
], ids=["plain", "gz-file", "gzip-encoded", "deflate-encoded", "gz-file-gzip-encoded"])
def test_sitemap_caps_are_the_same_plain_or_compressed(encode, encoding) -> None:
    from crawler.spiders.sitemap import read_sitemap

    body = big_sitemap(5000)
    found = read_sitemap(encode(body), max_urls=1000, content_encoding=encoding)
    assert (len(found.entries), found.capped, found.truncated) == (1000, True, False)
    assert found.entries[-1].url == "https://s.nl/n/999"
    cut = read_sitemap(encode(body), max_bytes=50_000, content_encoding=encoding)
    assert not cut.capped and cut.truncated
    complete = body[:50_000].count(b"</url>")
    # no entry cut in half: a link cut short would be requested as it is
    assert [e.url for e in cut.entries] == [f"https://s.nl/n/{i}" for i in range(complete)]
    whole = read_sitemap(encode(body), content_encoding=encoding)
    assert (len(whole.entries), whole.capped, whole.truncated) == (5000, False, False)


def test_a_gzip_bomb_is_read_no_further_than_the_cap() -> None:
    from crawler.spiders._xml import Body

    bomb = gzip.compress(b"<urlset>" + b" " * (200 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 1024 * 1024
    body = Body(bomb, 1024 * 1024)
    sizes = [len(chunk) for chunk in body]
    assert sum(sizes) == 1024 * 1024 and max(sizes) <= 2 * 64 * 1024 and body.truncated


def test_sitemap_entries_without_loc_are_counted() -> None:
    from crawler.spiders.sitemap import read_sitemap

    found = read_sitemap(NEWS.replace(b"<loc>https://s.nl/over-ons</loc>", b""))
    assert (len(found.entries), found.without_loc) == (1, 1)


# -- the vocabulary of failure reasons ----------------------------------------------
def test_failure_reasons_are_one_vocabulary() -> None:
    from crawler import reasons
    from crawler.health import failure_bucket
    from crawler.state import RunState

    state = RunState(["s"])
    state.fail("s", "xml_entity_bomb", discovery=True)
    state.fail("s", "redirect_cycle")
    state.fail("s", reasons.http(404), 2)
    assert state.as_dict()["s"]["errors"] == {"discovery_xml_entity_bomb": 1, "http_404": 2,
                                              "redirect_cycle": 1}
    assert state.failed_reasons() == {"http_404": 2, "discovery_xml_entity_bomb": 1,
                                      "redirect_cycle": 1}
    for bad in ("xml_bomb", "discovery_http_404"):
        with pytest.raises(ValueError):
            state.fail("s", bad)
    with pytest.raises(ValueError):  # an article-only reason
        state.fail("s", "extract_error", discovery=True)
    assert set(reasons.BUCKETS) >= {r.bucket for r in reasons.REASONS.values()}
    assert failure_bucket("discovery_redirect_cycle") == "redirect"
    assert failure_bucket("duplicate") is None
    assert failure_bucket("SomeOldExceptionName") == "other"


def test_a_sitemap_read_in_part_does_not_flag_a_source() -> None:
    from crawler.health import assess

    def run(i: int, errors: dict[str, int]) -> dict:
        return {"id": i, "status": "finished", "started_at": f"2026-01-0{i}",
                "sources": ["big"], "stats": {"big": {"discovered": 50000, "fetched": 0,
                                                      "new": 0, "failed": sum(errors.values()),
                                                      "errors": errors}}}

    (partial,) = assess([run(1, {"discovery_sitemap_truncated": 1})])
    assert not partial.flagged and partial.failures == {"partial": 1}
    (broken,) = assess([run(2, {"discovery_xml_entity_bomb": 1})])
    assert broken.flags == ["fails_every_request"] and broken.failures == {"refused": 1}


def test_a_feed_decompressing_past_its_cap_is_read_up_to_there() -> None:
    from crawler.spiders.feed import read_feed

    items = b"".join(b"<item><title>T %d</title><link>https://s.nl/%d</link></item>" % (i, i)
                     for i in range(2000))
    feed = read_feed(gzip.compress(b"<rss><channel>" + items + b"</channel></rss>"),
                     max_bytes=20_000)
    complete = (b"<rss><channel>" + items)[:20_000].count(b"</item>")
    assert feed.truncated and [e.url for e in feed.entries] == [
        f"https://s.nl/{i}" for i in range(complete)]
