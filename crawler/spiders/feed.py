"""RSS (0.9x, 1.0/RDF, 2.0) and Atom feeds: each entry's link becomes an article
request; the entry's date and title are kept as fallbacks for the page's own."""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.http import Response

from crawler.spiders._xml import child_text, local, parse_xml
from crawler.spiders.base import Entry, SourceSpider, maybe_gunzip

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def feed_entries(body: bytes) -> list[Entry] | None:
    """Entries of an RSS or Atom document, or None when ``body`` is not a feed."""
    root = parse_xml(maybe_gunzip(body))
    if root is None or local(root) not in {"rss", "rdf", "feed", "channel"}:
        return None
    channel_lang = None
    for el in root.iter():
        if local(el) == "language" and el.text:
            channel_lang = el.text.strip()
            break
    channel_lang = channel_lang or root.get(XML_LANG)
    entries = []
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
            continue
        date = child_text(item, "pubDate", "published", "date", "issued", "created", "updated")
        entries.append(Entry(url=link, date=date, title=child_text(item, "title"),
                             lang=(item.get(XML_LANG) or channel_lang or None)))
    return entries


class FeedSpider(SourceSpider):
    """Sources of ``type = "feed"``."""

    name = "feed"
    source_type = "feed"

    def parse_source(self, response: Response) -> Iterator[scrapy.Request]:
        src = self.source_of(response)
        entries = feed_entries(response.body)
        if entries is None:
            self.state.fail(src.name, "discovery_not_a_feed")
            self.logger.warning("source %s: %s is not an RSS or Atom feed", src.name,
                                response.url)
            return
        for entry in entries:
            if entry.lang:
                entry.lang = entry.lang[:2].lower()
        yield from self.article_requests(src, entries, response.url)
