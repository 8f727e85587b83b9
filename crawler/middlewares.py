"""Downloader middlewares:

- :class:`StoredArticleMiddleware` drops an article request whose canonical id (or
  discovered URL) is already in the store, or that another crawler of this run
  already fetches, so a re-crawl fetches no stored article;
- :class:`HtmlOnlyMiddleware` drops article responses that are not HTML (PDF,
  images, ...), aborting the download as soon as the headers say so;
- :class:`BackoffRetryMiddleware` is Scrapy's retry with exponential backoff
  (and ``Retry-After``) instead of an immediate retry;
- :class:`CountedRedirectMiddleware` is Scrapy's redirects, with what it would drop
  (a cycle, too many redirects) failing the request with a reason;
- :class:`SitemapBodyMiddleware` reads sitemaps as far as their byte cap, plain or
  compressed alike, instead of rejecting a large one whole.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterable
from typing import Any

from scrapy import Request, signals
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Response
from sqlalchemy import select
from w3lib.url import canonicalize_url

from crawler.spiders.base import (
    AlreadyStored,
    DuplicateInRun,
    NotHtml,
    RedirectCycle,
    RedirectLimit,
)
from crawler.spiders.sitemap import ENCODING_META, MAX_BYTES, SITEMAP_META, STOPPED_META
from crawler.state import get_store, run_state
from crawler.urls import canonical_id, canonicalize
from index.store import Store, articles

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")


def stored_urls(store: Store, urls: Iterable[str]) -> set[str]:
    """Which of ``urls`` are stored as an article's discovered ``url``."""
    urls = list(urls)
    found: set[str] = set()
    with store.engine.connect() as conn:
        for start in range(0, len(urls), 500):
            chunk = urls[start:start + 500]
            found.update(conn.scalars(select(articles.c.url).where(articles.c.url.in_(chunk))))
    return found


class StoredArticleMiddleware:
    """Never fetch an article twice: not across runs, not across crawlers of one run."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.store = get_store(crawler.settings["TOEZICHT_STORE_URL"])
        self.state = run_state(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> StoredArticleMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if request.meta.get("role") != "article":
            return None
        url = canonicalize(request.url)
        aid = canonical_id(url)
        # The spider checked its links in one query when it found them; look again only
        # for links that came from elsewhere (redirects, other spiders).
        checked = request.meta.get("article_id") == aid and not request.meta.get(
            "redirect_urls")
        if not checked and (self.store.known_ids([aid]) or stored_urls(self.store, [url])):
            raise AlreadyStored(f"already stored: {url}")
        first = request.meta.get("article_id")
        if aid != first and aid in self.state.requested_ids and not request.meta.get(
                "retry_times"):
            # a redirect to an article that another request of this run fetches
            raise DuplicateInRun(f"already requested in this run: {url}")
        self.state.requested_ids.add(aid)
        return None


def _is_html_type(content_type: str | None) -> bool | None:
    """True/False from a Content-Type header; None when it does not say."""
    if not content_type:
        return None
    mime = content_type.split(";", 1)[0].strip().lower()
    if not mime or mime in {"application/octet-stream", "binary/octet-stream"}:
        return None
    return mime in HTML_TYPES


def _sniff_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    if head.startswith(b"%pdf") or head.startswith(b"pk\x03\x04"):
        return False
    return b"<html" in head or b"<!doctype html" in head or b"<head" in head or b"<body" in head


class HtmlOnlyMiddleware:
    """Drop article responses that are not HTML, as early as possible."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.headers_received, signal=signals.headers_received)

    @classmethod
    def from_crawler(cls, crawler: Any) -> HtmlOnlyMiddleware:
        return cls(crawler)

    def headers_received(self, headers: Any, body_length: int, request: Request,
                         spider: Any) -> None:
        if request.meta.get("role") != "article":
            return
        value = headers.get(b"Content-Type")
        content_type = value.decode("latin-1") if value else None
        if _is_html_type(content_type) is False:
            raise StopDownload(fail=True)

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("role") != "article" or response.status != 200:
            return response
        value = response.headers.get(b"Content-Type")
        verdict = _is_html_type(value.decode("latin-1") if value else None)
        if verdict is False or (verdict is None and not _sniff_html(response.body)):
            raise NotHtml(f"not an HTML page ({value!r}): {response.url}")
        return response


class BackoffRetryMiddleware(RetryMiddleware):
    """Retry transient failures (5xx, 429, timeouts, connection errors) after an
    exponentially growing, jittered delay; honours ``Retry-After`` up to the cap."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    def _delay(self, request: Request, response: Response | None = None) -> float:
        attempt = request.meta.get("retry_times", 0)
        delay = self.base * (2 ** attempt)
        if response is not None:
            after = response.headers.get(b"Retry-After")
            if after and after.strip().isdigit():
                delay = max(delay, float(after.strip()))
        return min(self.cap, delay * (0.8 + 0.4 * random.random()))

    async def process_response(self, request: Request, response: Response
                               ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        await asyncio.sleep(self._delay(request, response))
        return retry

    async def process_exception(self, request: Request, exception: Exception
                                ) -> Request | Response | None:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get(
                "dont_retry", False):
            return None
        retry = self._retry(request, exception)
        if retry is None:
            return None
        await asyncio.sleep(self._delay(request))
        return retry


class CountedRedirectMiddleware(RedirectMiddleware):
    """Scrapy's redirects, except that a redirect back to a URL the request already
    visited (A → B → A, A → A) fails the request at once with :class:`RedirectCycle`
    — Scrapy would follow it until ``REDIRECT_MAX_TIMES``, or its duplicate filter
    would drop the repeated URL with no more than a debug line — and one redirect too
    many fails it with :class:`RedirectLimit` instead of a bare IgnoreRequest. Both
    reach the request's errback, which counts them (``redirect_cycle``,
    ``redirect_limit``)."""

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        chain = [*request.meta.get("redirect_urls", []), request.url]
        target = canonicalize_url(redirected.url)
        if target in {canonicalize_url(url) for url in chain}:
            raise RedirectCycle(f"redirect cycle: {' -> '.join([*chain, redirected.url])}")
        try:
            return super()._redirect(redirected, request, reason)
        except RedirectCycle:
            raise
        except IgnoreRequest:
            raise RedirectLimit(f"more than {self.max_redirect_times} redirects: "
                                f"{' -> '.join([*chain, redirected.url])}") from None


_RECEIVED = "sitemap_bytes_received"


class SitemapBodyMiddleware:
    """A sitemap is read as far as ``TOEZICHT_SITEMAP_MAX_BYTES``, plain or compressed
    alike, never rejected whole for its size (``DOWNLOAD_MAXSIZE`` would reject a
    plain sitemap over 10 MB while the same one gzipped passed):

    - its request has no ``DOWNLOAD_MAXSIZE`` and asks for ``gzip, deflate`` only
      (what the spider decompresses streaming, within the cap);
    - its download stops after ``max_bytes`` (``bytes_received``); the response goes
      on as far as it came, marked (``STOPPED_META``) and not cached;
    - a gzip or deflate ``Content-Encoding`` is left to the spider (``ENCODING_META``);
      any other is decoded by Scrapy's HttpCompressionMiddleware within ``max_bytes``
      (past it: ``too_large``).

    At 595: its process_request runs after HttpCompressionMiddleware's (590) sets
    Accept-Encoding, its process_response before that one decodes.
    """

    def __init__(self, crawler: Any) -> None:
        self.max_bytes = crawler.settings.getint("TOEZICHT_SITEMAP_MAX_BYTES", MAX_BYTES)
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SitemapBodyMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not request.meta.get(SITEMAP_META):
            return None
        request.meta.update({"download_maxsize": 0, "download_warnsize": 0, _RECEIVED: 0})
        request.meta.pop(STOPPED_META, None)
        request.meta.pop(ENCODING_META, None)
        request.headers[b"Accept-Encoding"] = b"gzip, deflate"
        return None

    def bytes_received(self, data: bytes, request: Request, spider: Any) -> None:
        if not request.meta.get(SITEMAP_META):
            return
        received = request.meta.get(_RECEIVED, 0) + len(data)
        request.meta[_RECEIVED] = received
        if received > self.max_bytes:
            request.meta[STOPPED_META] = True
            request.meta["dont_cache"] = True  # a cut copy must not answer a later 304
            raise StopDownload(fail=False)

    def process_response(self, request: Request, response: Response) -> Response:
        if not request.meta.get(SITEMAP_META):
            return response
        request.meta["download_maxsize"] = self.max_bytes  # for HttpCompressionMiddleware
        encodings = [part.strip().lower() for value in response.headers.getlist(
            b"Content-Encoding") for part in value.decode("latin-1").split(",")
            if part.strip()]
        if len(encodings) == 1 and encodings[0] in {"gzip", "x-gzip", "deflate"}:
            headers = response.headers.copy()
            del headers[b"Content-Encoding"]
            request.meta[ENCODING_META] = encodings[0]
            return response.replace(headers=headers)
        return response
