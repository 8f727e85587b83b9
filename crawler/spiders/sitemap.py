"""XML sitemaps, sitemap indexes and Google News sitemaps (whose
``news:publication_date`` and ``news:title`` are kept as fallbacks)."""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.http import Response

from crawler.spiders._xml import child_text, local, parse_xml
from crawler.spiders.base import REVALIDATE, Entry, SourceSpider, maybe_gunzip

MAX_LEVELS = 3  # sitemap index → sitemap → ... at most this deep
MAX_CHILD_SITEMAPS = 25  # of a large index, only the most recent ones


def sitemap_entries(body: bytes) -> tuple[str, list[Entry]] | None:
    """``("index", child sitemaps)`` or ``("urlset", pages)``; None when not a sitemap."""
    root = parse_xml(maybe_gunzip(body))
    if root is None or local(root) not in {"urlset", "sitemapindex"}:
        return None
    kind = "index" if local(root) == "sitemapindex" else "urlset"
    entries = []
    for node in root:
        if local(node) not in {"url", "sitemap"}:
            continue
        loc = child_text(node, "loc")
        if not loc:
            continue
        date = title = lang = None
        lastmod = child_text(node, "lastmod")
        for child in node:
            if local(child) == "news":
                date = child_text(child, "publication_date")
                title = child_text(child, "title")
                for pub in child:
                    if local(pub) == "publication":
                        lang = child_text(pub, "language")
        # lastmod says when a page changed, not when it was published; it only
        # orders the children of a sitemap index.
        entries.append(Entry(url=loc, date=date if kind == "urlset" else lastmod,
                             title=title, lang=lang[:2].lower() if lang else None))
    return kind, entries


class SitemapSpider(SourceSpider):
    """Sources of ``type = "sitemap"``."""

    name = "sitemap"
    source_type = "sitemap"

    def parse_source(self, response: Response) -> Iterator[scrapy.Request]:
        src = self.source_of(response)
        parsed = sitemap_entries(response.body)
        if parsed is None:
            self.state.fail(src.name, "discovery_not_a_sitemap")
            self.logger.warning("source %s: %s is not a sitemap", src.name, response.url)
            return
        kind, entries = parsed
        if kind == "urlset":
            yield from self.article_requests(src, entries, response.url)
            return
        level = response.meta.get("level", 0) + 1
        if level > MAX_LEVELS:
            return
        news_first = sorted(entries, key=lambda e: ("news" not in e.url.lower(),
                                                    "" if e.date is None else _neg(e.date)))
        for entry in news_first[:MAX_CHILD_SITEMAPS]:
            yield response.follow(
                entry.url, callback=self.parse_source, errback=self.source_failed,
                meta={"source": src.name, "role": "discovery", "level": level},
                headers=REVALIDATE, priority=5,
            )


def _neg(text: str) -> str:
    """Sort key that puts later ISO dates first."""
    return "".join(chr(0x10FFFF - ord(c)) for c in text)
