"""Listing pages (a section front, an archive): links allowed by the source are
article requests; links matching ``follow`` are further listing pages, followed at
most ``depth`` levels. Nothing is followed from article pages."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from crawler.spiders.base import REVALIDATE, Entry, SourceSpider
from crawler.urls import canonicalize, is_http


def _site(host: str | None) -> str:
    host = (host or "").lower()
    return host[4:] if host.startswith("www.") else host


class PagesSpider(SourceSpider):
    """Sources of ``type = "pages"``."""

    name = "pages"
    source_type = "pages"

    def parse_source(self, response: Response) -> Iterator[scrapy.Request]:
        src = self.source_of(response)
        if not hasattr(response, "css"):
            self.state.fail(src.name, "not_html", discovery=True)
            return
        level = response.meta.get("level", 0)
        site = _site(urlsplit(response.url).hostname)
        here = canonicalize(response.url)
        articles: list[Entry] = []
        listings: list[str] = []
        for a in response.css("a[href]"):
            href = a.attrib.get("href", "")
            if href.startswith(("#", "javascript:", "mailto:", "tel:")):
                continue
            try:
                url = canonicalize(href, base=response.url)
            except ValueError:
                continue
            split = urlsplit(url)
            if not is_http(url) or _site(split.hostname) != site or url == here:
                continue
            if src.follows(url):
                listings.append(url)
            elif split.path not in {"", "/"} and src.accepts(url):
                title = " ".join(" ".join(a.css("::text").getall()).split()) or None
                articles.append(Entry(url=url, title=title, lang=src.lang))
        yield from self.article_requests(src, articles, response.url)
        if level < src.depth:
            for url in dict.fromkeys(listings):
                yield scrapy.Request(
                    url, callback=self.parse_source, errback=self.source_failed,
                    meta={"source": src.name, "role": "discovery", "level": level + 1},
                    headers=REVALIDATE, priority=5,
                )
