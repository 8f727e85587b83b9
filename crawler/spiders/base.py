"""What the three spiders share: reading sources, turning discovered links into
article requests (canonical, filtered, de-duplicated against the store, limited),
turning article responses into items, and counting failures per source."""

from __future__ import annotations

import gzip
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    StopDownload,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectError,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from crawler.sources import Source, load_sources, select_sources
from crawler.state import RunState, get_store, run_state
from crawler.urls import canonical_id, canonicalize, is_http, looks_non_html
from index.store import now_iso

# Discovery pages (feeds, sitemaps, listings) are revalidated against the HTTP cache on
# every run: a conditional GET that the site can answer with 304 Not Modified.
REVALIDATE = {"Cache-Control": "max-age=0"}

log = logging.getLogger(__name__)


class AlreadyStored(IgnoreRequest):
    """The article is in the store already; it is not fetched again."""


class DuplicateInRun(IgnoreRequest):
    """Another request of this run already fetches the same article."""


class NotHtml(IgnoreRequest):
    """The response is not an HTML page (PDF, image, ...)."""


@dataclass
class Entry:
    """A link found by discovery, with what the feed/sitemap said about it."""

    url: str
    date: str | None = None
    title: str | None = None
    lang: str | None = None


def maybe_gunzip(body: bytes) -> bytes:
    """Sitemaps and feeds are sometimes served as raw ``.gz`` files."""
    if body[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(body)
        except (OSError, EOFError):
            return body
    return body


def failure_reason(failure: Failure) -> str:
    """A short, countable reason for a failed request."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    if isinstance(exc, AlreadyStored):
        return "already_stored"
    if isinstance(exc, DuplicateInRun):
        return "duplicate"
    if isinstance(exc, (NotHtml, StopDownload)):
        return "not_html"
    if isinstance(exc, IgnoreRequest):
        return "robots_txt" if "robots.txt" in str(exc) else "ignored"
    if isinstance(exc, (DNSLookupError, CannotResolveHostError)):
        return "dns"
    if isinstance(exc, (TimeoutError, TCPTimedOutError, DownloadTimeoutError)):
        return "timeout"
    if isinstance(exc, (ConnectionRefusedError, ConnectError, DownloadConnectionRefusedError)):
        return "connection"
    return exc.__class__.__name__


class SourceSpider(scrapy.Spider):
    """Base for the per-type spiders. Arguments (``scrapy crawl feed -a ...``):

    - ``sources``: list of :class:`Source` (from ``crawler.run``) or comma-separated
      names from the sources file; default all enabled sources of this type;
    - ``limit``: at most this many article requests per source;
    - ``sources_file``, ``base``: the file to read names from and its ``{base}``.
    """

    source_type = ""

    def __init__(self, sources: list[Source] | str | None = None, limit: int | str | None = None,
                 sources_file: str | None = None, base: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sources_arg = sources
        self._sources_file = sources_file
        self._base = base
        self.limit = int(limit) if limit not in (None, "") else None
        self.sources: list[Source] = []
        self.per_source_requests: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.state: RunState = run_state(crawler)
        spider.store = get_store(crawler.settings["TOEZICHT_STORE_URL"])
        spider.sources = spider._resolve_sources(crawler.settings)
        return spider

    def _resolve_sources(self, settings: Any) -> list[Source]:
        arg = self._sources_arg
        if isinstance(arg, list):
            return [s for s in arg if s.type == self.source_type]
        path = self._sources_file or settings.get("TOEZICHT_SOURCES_FILE")
        variables = {"base": self._base} if self._base else None
        every = load_sources(path, variables)
        names = [n.strip() for n in arg.split(",") if n.strip()] if arg else None
        chosen = select_sources(every, names)
        return [s for s in chosen if s.type == self.source_type]

    # -- discovery ---------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        for src in self.sources:
            self.state.counts[src.name]  # noqa: B018 - list the source even if it yields nothing
            yield scrapy.Request(
                src.url, callback=self.parse_source, errback=self.source_failed,
                meta={"source": src.name, "role": "discovery", "level": 0},
                headers=REVALIDATE, dont_filter=True, priority=10,
            )

    def source_of(self, response_or_request: Any) -> Source:
        name = response_or_request.meta["source"]
        return next(s for s in self.sources if s.name == name)

    def parse_source(self, response: Response) -> Iterator[scrapy.Request]:
        raise NotImplementedError

    def source_failed(self, failure: Failure) -> None:
        request = failure.request
        reason = "discovery_" + failure_reason(failure)
        self.state.fail(request.meta.get("source"), reason)
        log.warning("source %s: %s failed: %s", request.meta.get("source"), request.url, reason)

    def article_requests(self, src: Source, entries: Iterable[Entry], base_url: str
                         ) -> Iterator[scrapy.Request]:
        """Requests for the new articles among ``entries``: canonical URL, allowed by the
        source, HTML-looking, not stored yet, not already requested, within ``limit``."""
        candidates: dict[str, tuple[str, Entry]] = {}
        for entry in entries:
            try:
                url = canonicalize(entry.url, base=base_url)
            except ValueError:
                continue
            if not is_http(url) or looks_non_html(url) or not src.accepts(url):
                continue
            aid = canonical_id(url)
            if aid not in candidates:
                candidates[aid] = (url, entry)
        self.state.inc(src.name, "discovered", len(candidates))
        known = self.store.known_ids(candidates) | self._known_by_url(
            [url for url, _ in candidates.values()])
        for aid, (url, entry) in candidates.items():
            if aid in known or url in known:
                self.state.inc(src.name, "skipped_known")
                continue
            if aid in self.state.requested_ids:
                continue  # another source of this run has it
            done = self.per_source_requests.get(src.name, 0)
            if self.limit is not None and done >= self.limit:
                continue
            self.per_source_requests[src.name] = done + 1
            self.state.requested_ids.add(aid)
            self.state.inc(src.name, "requested")
            yield scrapy.Request(
                url, callback=self.parse_article, errback=self.article_failed,
                meta={"source": src.name, "role": "article", "feed_date": entry.date,
                      "feed_title": entry.title, "lang_hint": entry.lang or src.lang,
                      "article_id": aid, "dont_cache": True},
            )

    def _known_by_url(self, urls: list[str]) -> set[str]:
        """URLs stored as an article's discovered ``url`` (e.g. a redirecting link)."""
        from crawler.middlewares import stored_urls

        return stored_urls(self.store, urls)

    # -- articles ----------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[Any]:
        from crawler.items import FetchedPage

        src = self.source_of(response)
        self.state.inc(src.name, "fetched")
        redirects = response.meta.get("redirect_urls") or []
        request_url = canonicalize(redirects[0]) if redirects else canonicalize(
            response.request.url if response.request else response.url)
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1")
                   for k, v in response.headers.items()}
        yield FetchedPage(
            source=src.name, url=response.url, request_url=request_url, body=response.body,
            status=response.status, content_type=headers.get("Content-Type"),
            headers=headers, fetched_at=now_iso(),
            feed_date=response.meta.get("feed_date"), feed_title=response.meta.get("feed_title"),
            lang_hint=response.meta.get("lang_hint"),
        )

    def article_failed(self, failure: Failure) -> None:
        request = failure.request
        source = request.meta.get("source")
        reason = failure_reason(failure)
        if reason == "already_stored":
            self.state.inc(source, "skipped_known")
        elif reason != "duplicate":
            self.state.fail(source, reason)
            log.info("article %s from %s not stored: %s", request.url, source, reason)
