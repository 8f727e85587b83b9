"""Downloader middlewares:

- :class:`StoredArticleMiddleware` drops an article request whose canonical id (or
  discovered URL) is already in the store, or that another crawler of this run
  already fetches, so a re-crawl fetches no stored article;
- :class:`HtmlOnlyMiddleware` drops article responses that are not HTML (PDF,
  images, ...), aborting the download as soon as the headers say so;
- :class:`BackoffRetryMiddleware` is Scrapy's retry with exponential backoff
  (and ``Retry-After``) instead of an immediate retry.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterable
from typing import Any

from scrapy import Request, signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import StopDownload
from scrapy.http import Response
from sqlalchemy import select

from crawler.spiders.base import AlreadyStored, DuplicateInRun, NotHtml
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
