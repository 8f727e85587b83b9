"""XML sitemaps, sitemap indexes and Google News sitemaps (whose
``news:publication_date`` and ``news:title`` are kept as fallbacks).

A sitemap is streamed, plain or gzipped alike (a ``.gz`` file or gzip/deflate
``Content-Encoding``): at most ``TOEZICHT_SITEMAP_MAX_URLS`` entries
(sitemaps.org's 50,000) of at most ``TOEZICHT_SITEMAP_MAX_BYTES`` decompressed
bytes (its 50 MB) are read, however large the file; the download stops there too
(``crawler.middlewares.SitemapBodyMiddleware``). A sitemap cut short counts as
``discovery_sitemap_truncated``, never as rejected whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin

import scrapy
from lxml import etree
from scrapy.http import Response

from crawler.spiders._xml import Body, XmlRefused, child_text, iter_children, local
from crawler.spiders.base import REVALIDATE, Entry, SourceSpider
from crawler.urls import is_http

MAX_LEVELS = 3  # sitemap index → sitemap → ... at most this deep
MAX_CHILD_SITEMAPS = 25  # of a large index, only the most recent ones
MAX_URLS = 50_000  # entries read per sitemap (sitemaps.org's limit)
MAX_BYTES = 50 * 1024 * 1024  # decompressed bytes read per sitemap (sitemaps.org's limit)
ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:url|sitemap)\s*>")
# request.meta keys shared with crawler.middlewares.SitemapBodyMiddleware
SITEMAP_META = "sitemap"  # True on every sitemap request
ENCODING_META = "sitemap_content_encoding"  # the Content-Encoding left for the spider
STOPPED_META = "sitemap_download_stopped"  # the download stopped at MAX_BYTES


@dataclass
class Sitemap:
    kind: str  # "urlset" or "index"
    entries: list[Entry] = field(default_factory=list)
    without_loc: int = 0  # entries without a <loc>
    capped: bool = False  # more than max_urls entries: the rest was not read
    truncated: bool = False  # more than max_bytes: the rest was not read


def _entry(node: etree._Element, kind: str) -> Entry | None:
    loc = child_text(node, "loc")
    if not loc:
        return None
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
    return Entry(url=loc, date=date if kind == "urlset" else lastmod,
                 title=title, lang=lang[:2].lower() if lang else None)


def read_sitemap(body: bytes, *, max_urls: int = MAX_URLS, max_bytes: int = MAX_BYTES,
                 content_encoding: str | None = None) -> Sitemap | None:
    """The sitemap (index) in ``body``, streamed; None when it is not a sitemap.
    Raises :class:`XmlRefused` for hostile XML (entity bombs, XXE)."""
    data = Body(body, max_bytes, content_encoding, boundary=ENTRY_END)
    nodes = iter_children(data)
    root = next(nodes, None)
    if root is None or local(root) not in {"urlset", "sitemapindex"}:
        nodes.close()
        return None
    found = Sitemap("index" if local(root) == "sitemapindex" else "urlset")
    for node in nodes:
        if local(node) not in {"url", "sitemap"}:
            continue
        if len(found.entries) >= max_urls:
            found.capped = True
            nodes.close()
            return found
        entry = _entry(node, found.kind)
        if entry is None:
            found.without_loc += 1
        else:
            found.entries.append(entry)
    found.truncated = data.truncated
    return found


def sitemap_entries(body: bytes) -> tuple[str, list[Entry]] | None:
    """``("index", child sitemaps)`` or ``("urlset", pages)``; None when not a sitemap."""
    found = read_sitemap(body)
    return None if found is None else (found.kind, found.entries)


class SitemapSpider(SourceSpider):
    """Sources of ``type = "sitemap"``."""

    name = "sitemap"
    source_type = "sitemap"

    discovery_meta = {SITEMAP_META: True}

    def parse_source(self, response: Response) -> Iterator[scrapy.Request]:
        src = self.source_of(response)
        max_urls = self.settings.getint("TOEZICHT_SITEMAP_MAX_URLS", MAX_URLS)
        max_bytes = self.settings.getint("TOEZICHT_SITEMAP_MAX_BYTES", MAX_BYTES)
        try:
            found = read_sitemap(response.body, max_urls=max_urls, max_bytes=max_bytes,
                                 content_encoding=response.meta.get(ENCODING_META))
        except XmlRefused as exc:
            self.discovery_failed(src, exc.reason, response.url, exc.detail)
            return
        if found is None:
            self.discovery_failed(src, "not_a_sitemap", response.url, "not a sitemap")
            return
        index = found.kind == "index"
        if found.without_loc:
            self.state.fail(src.name, "entry_without_link", found.without_loc, discovery=index)
        if found.capped or found.truncated or response.meta.get(STOPPED_META):
            cap = (f"{max_urls} entries" if found.capped
                   else f"{max_bytes} bytes decompressed")
            self.discovery_failed(
                src, "sitemap_truncated", response.url,
                f"read the first {len(found.entries)} entries, up to its cap of {cap}; "
                "the rest is skipped")
        if not index:
            yield from self.article_requests(src, found.entries, response.url,
                                             count_invalid=True)
            return
        level = response.meta.get("level", 0) + 1
        if level > MAX_LEVELS:
            self.discovery_failed(src, "sitemap_too_deep", response.url,
                                  f"a sitemap index at level {level - 1}: not followed")
            return
        news_first = sorted(found.entries, key=lambda e: (
            "news" not in e.url.lower(), "" if e.date is None else _neg(e.date)))
        if len(news_first) > MAX_CHILD_SITEMAPS:
            self.discovery_failed(
                src, "sitemap_index_truncated", response.url,
                f"{len(news_first)} child sitemaps, the first {MAX_CHILD_SITEMAPS} "
                "(news, most recent) followed")
        for entry in news_first[:MAX_CHILD_SITEMAPS]:
            try:
                url = urljoin(response.url, entry.url.strip())
                if not is_http(url):
                    raise ValueError(url)
                request = scrapy.Request(
                    url, callback=self.parse_source, errback=self.source_failed,
                    meta={"source": src.name, "role": "discovery", "level": level,
                          SITEMAP_META: True},
                    headers=REVALIDATE, priority=5,
                )
            except ValueError:
                self.state.fail(src.name, "invalid_url", discovery=True)
                self.logger.info("source %s: %s lists an invalid sitemap URL %r", src.name,
                                 response.url, entry.url)
                continue
            yield request


def _neg(text: str) -> str:
    """Sort key that puts later ISO dates first."""
    return "".join(chr(0x10FFFF - ord(c)) for c in text)
