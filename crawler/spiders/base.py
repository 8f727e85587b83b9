"""What the three spiders share: reading sources, turning discovered links into
article requests (canonical, filtered, de-duplicated against the store, limited),
turning article responses into items, and counting failures per source."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
    StopDownload,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectError,
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from crawler import reasons
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


class RedirectCycle(IgnoreRequest):
    """A redirect back to a URL this request already visited (A → B → A)."""


class RedirectLimit(IgnoreRequest):
    """More redirects than ``REDIRECT_MAX_TIMES``."""


@dataclass
class Entry:
    """A link found by discovery, with what the feed/sitemap said about it."""

    url: str
    date: str | None = None
    title: str | None = None
    lang: str | None = None


def failure_reason(failure: Failure) -> str:
    """The ``crawler.reasons`` name of a failed request (``already_stored`` and
    ``duplicate`` for what is no failure)."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return reasons.http(exc.response.status)
    if isinstance(exc, AlreadyStored):
        return "already_stored"
    if isinstance(exc, DuplicateInRun):
        return "duplicate"
    if isinstance(exc, (NotHtml, StopDownload)):
        return "not_html"
    if isinstance(exc, RedirectCycle):
        return "redirect_cycle"
    if isinstance(exc, RedirectLimit):
        return "redirect_limit"
    if isinstance(exc, DownloadCancelledError):  # over DOWNLOAD_MAXSIZE
        return "too_large"
    if isinstance(exc, IgnoreRequest):
        if "robots.txt" in str(exc):
            return "robots_txt"
        if "DOWNLOAD_MAXSIZE" in str(exc):  # HttpCompressionMiddleware: decompressed
            return "too_large"
        return "ignored"
    if isinstance(exc, (DNSLookupError, CannotResolveHostError)):
        return "dns"
    if isinstance(exc, (TimeoutError, TCPTimedOutError, DownloadTimeoutError)):
        return "timeout"
    if isinstance(exc, (ConnectionRefusedError, ConnectError, DownloadConnectionRefusedError,
                        ConnectionLost, ResponseNeverReceived, ResponseFailed,
                        ResponseDataLossError, DownloadFailedError)):
        return "connection"
    log.warning("%s failed: %s: %s", getattr(failure.request, "url", "a request"),
                exc.__class__.__name__, exc)
    return "download_error"


class SourceSpider(scrapy.Spider):
    """Base for the per-type spiders. Arguments (``scrapy crawl feed -a ...``):

    - ``sources``: list of :class:`Source` (from ``crawler.run``) or comma-separated
      names from the sources file; default all enabled sources of this type;
    - ``limit``: at most this many article requests per source;
    - ``sources_file``, ``base``: the file to read names from and its ``{base}``.
    """

    source_type = ""
    discovery_meta: dict[str, Any] = {}  # more request.meta for this type's discovery

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
                meta={"source": src.name, "role": "discovery", "level": 0,
                      **self.discovery_meta},
                headers=REVALIDATE, dont_filter=True, priority=10,
            )

    def source_of(self, response_or_request: Any) -> Source:
        name = response_or_request.meta["source"]
        return next(s for s in self.sources if s.name == name)

    def parse_source(self, response: Response) -> Iterator[scrapy.Request]:
        raise NotImplementedError

    def source_failed(self, failure: Failure) -> None:
        request = failure.request
        reason = failure_reason(failure)
        if reason in reasons.NOT_FAILURES:
            return
        self.state.fail(request.meta.get("source"), reason, discovery=True)
        log.warning("source %s: %s failed: %s", request.meta.get("source"), request.url,
                    reasons.key(reason, discovery=True))

    def discovery_failed(self, src: Source, reason: str, url: str, detail: str) -> None:
        """Count a discovery document refused or read in part (``reason`` from
        ``crawler.reasons``) and say why in the log."""
        self.state.fail(src.name, reason, discovery=True)
        log.warning("source %s: %s: %s (%s)", src.name, url, detail,
                    reasons.key(reason, discovery=True))

    def article_requests(self, src: Source, entries: Iterable[Entry], base_url: str, *,
                         count_invalid: bool = False) -> Iterator[scrapy.Request]:
        """Requests for the new articles among ``entries``: canonical URL, allowed by the
        source, HTML-looking, not stored yet, not already requested, within ``limit``.
        With ``count_invalid`` (links from a feed or sitemap, not a page's every
        anchor) a link that is no valid http(s) URL counts as failed."""
        candidates: dict[str, tuple[str, Entry]] = {}
        invalid = 0
        for entry in entries:
            try:
                url = canonicalize(entry.url, base=base_url)
            except ValueError:
                invalid += 1
                continue
            if not is_http(url):
                invalid += 1
                continue
            if looks_non_html(url) or not src.accepts(url):
                continue
            aid = canonical_id(url)
            if aid not in candidates:
                candidates[aid] = (url, entry)
        if invalid and count_invalid:
            self.state.fail(src.name, "invalid_url", invalid)
            log.info("source %s: %d links in %s are not valid http(s) URLs", src.name,
                     invalid, base_url)
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
        elif reason not in reasons.NOT_FAILURES:
            self.state.fail(source, reason)
            log.info("article %s from %s not stored: %s", request.url, source, reason)
