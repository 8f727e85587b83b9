"""Per-source crawl statistics into the ``crawl_runs`` table, and a progress line.

Under ``crawler.run`` one run spans several crawlers, so ``run_crawl`` opens and
closes the run itself; under a bare ``scrapy crawl`` this extension does it.
Either way the stats are ``{source: {discovered, fetched, new, failed, errors}}``.

It also counts what Scrapy drops with no more than a log line (reasons from
``crawler.reasons``): a callback that raised (``parse_error``), an item pipeline
that raised (``pipeline_error``), and a redirected article request the duplicate
filter dropped because its target was requested before, but not as an article
(``redirect_seen``).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from scrapy import signals
from twisted.internet import task

from crawler.heartbeat import Heartbeat, hostname
from crawler.state import get_store, run_state

log = logging.getLogger("toezicht.crawl")


class CrawlRunRecorder:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.state = run_state(crawler)
        self.owner = not crawler.settings.get("TOEZICHT_RUN_STATE")
        self.interval = crawler.settings.getfloat("TOEZICHT_PROGRESS_INTERVAL", 10.0)
        self.loop: task.LoopingCall | None = None
        self.heartbeat: Heartbeat | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)
        crawler.signals.connect(self.item_error, signal=signals.item_error)
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)
        self.first_role: dict[bytes, str | None] = {}  # request fingerprint -> role

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlRunRecorder:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        if not self.owner:
            return
        names = [s.name for s in getattr(spider, "sources", [])]
        store = get_store(self.crawler.settings["TOEZICHT_STORE_URL"])
        self.state.run_id = store.start_run(names, pid=os.getpid(), host=hostname())
        cfg = self.crawler.settings.get("TOEZICHT_CONFIG")
        self.heartbeat = Heartbeat(store, self.state.run_id,
                                   float(getattr(cfg, "heartbeat_interval", 15.0)),
                                   stats=self.state.as_dict).start()
        if self.interval > 0:
            self.loop = task.LoopingCall(lambda: log.info("%s", self.state.progress_line()))
            self.loop.start(self.interval, now=False)

    def spider_error(self, failure: Any, response: Any, spider: Any) -> None:
        try:
            meta = response.meta
        except AttributeError:  # a response without its request
            meta = {}
        self.state.fail(meta.get("source"), "parse_error",
                        discovery=meta.get("role") != "article")

    def item_error(self, item: Any, response: Any, spider: Any, failure: Any) -> None:
        self.state.fail(getattr(item, "source", None), "pipeline_error")

    def request_scheduled(self, request: Any, spider: Any) -> None:
        if request.dont_filter:
            return  # the duplicate filter neither records nor drops it
        fingerprint = self.crawler.request_fingerprinter.fingerprint(request)
        self.first_role.setdefault(fingerprint, request.meta.get("role"))

    def request_dropped(self, request: Any, spider: Any) -> None:
        """The duplicate filter dropped ``request``: its URL was scheduled before."""
        meta = request.meta
        if meta.get("role") != "article" or not meta.get("redirect_urls"):
            return  # a listing page reached twice: read once, nothing lost
        fingerprint = self.crawler.request_fingerprinter.fingerprint(request)
        if self.first_role.get(fingerprint) == "article":
            return  # the article request that was first fetches it
        self.state.fail(meta.get("source"), "redirect_seen")
        log.info("article %s from %s not fetched: it redirects to %s, requested before "
                 "as a listing page", meta["redirect_urls"][0], meta.get("source"),
                 request.url)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if not self.owner:
            return
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.heartbeat is not None:
            self.heartbeat.stop()
        store = get_store(self.crawler.settings["TOEZICHT_STORE_URL"])
        if self.state.run_id is not None:
            status = "finished" if reason == "finished" else "failed"
            store.finish_run(self.state.run_id, self.state.as_dict(), status=status)
        log.info("%s", self.state.progress_line())
