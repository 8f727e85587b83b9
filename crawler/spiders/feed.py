"""RSS (0.9x, 1.0/RDF, 2.0) and Atom feeds: each entry's link becomes an article
request; the entry's date and title are kept as fallbacks for the page's own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import scrapy
from scrapy.http import Response

from crawler.spiders._xml import Body, XmlRefused, child_text, local, parse_xml
from crawler.spiders.base import Entry, SourceSpider

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MAX_BYTES = 10 * 1024 * 1024  # decompressed, of a feed served as a .gz file
ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>")


@dataclass
class Feed:
    entries: list[Entry] = field(default_factory=list)
    without_link: int = 0  # items with no link at all
    truncated: bool = False  # decompressed past max_bytes: read up to there


def feed_entries(body: bytes) -> list[Entry] | None:
    """Entries of an RSS or Atom document, or None when ``body`` is not a feed;
    raises :class:`XmlRefused` for hostile XML (see ``crawler.spiders._xml``)."""
    feed = read_feed(body)
    return None if feed is None else feed.entries


def read_feed(body: bytes, max_bytes: int = MAX_BYTES, content_encoding: str | None = None
              ) -> Feed | None:
    """The feed in ``body`` (gunzipped when it is a .gz file, at most ``max_bytes``),
    or None when it is no feed; raises :class:`XmlRefused` for hostile XML."""
    data = Body(body, max_bytes, content_encoding, boundary=ENTRY_END)
    root = parse_xml(data.bytes())
    if root is None or local(root) not in {"rss", "rdf", "feed", "channel"}:
        return None
    feed = Feed(truncated=data.truncated)
    channel_lang = None
    for el in root.iter():
        if local(el) == "language" and el.text:
            channel_lang = el.text.strip()
            break
    channel_lang = channel_lang or root.get(XML_LANG)
    for item in root.iter():
        if local(item) not in {"item", "entry"}:
            continue
        link = child_text(item, "origLink")  # feedburner keeps the real link here
        if not link:
            for child in item:
                if local(child) != "link":
                    continue
                href = child.get("href")
                if href and child.get("rel", "alternate") == "alternate":
                    link = href.strip()
                    break
                if not href and child.text and child.text.strip():
                    link = child.text.strip()
                    break
        if not link:
            for child in item:
                if local(child) == "guid" and child.get("isPermaLink", "true") == "true":
                    link = (child.text or "").strip() or None
        if not link:
            feed.without_link += 1
            continue
        date = child_text(item, "pubDate", "published", "date", "issued", "created", "updated")
        feed.entries.append(Entry(url=link, date=date, title=child_text(item, "title"),
                                  lang=(item.get(XML_LANG) or channel_lang or None)))
    return feed


class FeedSpider(SourceSpider):
    """Sources of ``type = "feed"``."""

    name = "feed"
    source_type = "feed"

    def parse_source(self, response: Response) -> Iterator[scrapy.Request]:
        src = self.source_of(response)
        max_bytes = self.settings.getint("DOWNLOAD_MAXSIZE") or MAX_BYTES
        try:
            feed = read_feed(response.body, max_bytes)
        except XmlRefused as exc:
            self.discovery_failed(src, exc.reason, response.url, exc.detail)
            return
        if feed is None:
            self.discovery_failed(src, "not_a_feed", response.url, "not an RSS or Atom feed")
            return
        if feed.truncated:
            self.discovery_failed(src, "feed_truncated", response.url,
                                  f"read the first {max_bytes} bytes decompressed")
        if feed.without_link:
            self.state.fail(src.name, "entry_without_link", feed.without_link)
        for entry in feed.entries:
            if entry.lang:
                entry.lang = entry.lang[:2].lower()
        yield from self.article_requests(src, feed.entries, response.url, count_invalid=True)
