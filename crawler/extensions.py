"""Per-source crawl statistics into the ``crawl_runs`` table, and a progress line.

Under ``crawler.run`` one run spans several crawlers, so ``run_crawl`` opens and
closes the run itself; under a bare ``scrapy crawl`` this extension does it.
Either way the stats are ``{source: {discovered, fetched, new, failed, errors}}``.
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
