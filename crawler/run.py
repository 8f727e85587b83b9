"""Run a crawl in this process: all requested sources, one Scrapy crawler per source
type (feeds first, whose dates are the richest, then sitemaps, then listing pages),
one after the other so a domain never gets two crawlers' worth of requests.

Twisted's reactor cannot be restarted: call :func:`run_crawl` once per process
(the ``toezicht crawl`` command does exactly that).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from crawler.config import CrawlConfig, config_settings
from crawler.sources import SOURCE_TYPES, Source, SourceError, load_sources, select_sources
from crawler.state import RunState, get_store, register

ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
SPIDERS = {"feed": "crawler.spiders.feed.FeedSpider",
           "sitemap": "crawler.spiders.sitemap.SitemapSpider",
           "pages": "crawler.spiders.pages.PagesSpider"}


def plan_sources(cfg: CrawlConfig, source_names: list[str] | None = None,
                 sources_file: str | Path | None = None,
                 variables: Mapping[str, str] | None = None) -> list[Source]:
    """The sources a crawl would visit; raises :class:`SourceError` (one line)."""
    path = Path(sources_file) if sources_file else Path(cfg.sources_file)
    chosen = select_sources(load_sources(path, variables), source_names)
    if not chosen:
        raise SourceError(f"sources file {path}: no enabled sources")
    return chosen


def build_settings(cfg: CrawlConfig, state: RunState,
                   overrides: Mapping[str, Any] | None = None) -> Any:
    """Scrapy settings: ``crawler.settings`` + the user's configuration + ``overrides``."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict({
        **config_settings(cfg),
        "TOEZICHT_RUN_STATE": register(state),
        "LOG_INSTALL_ROOT_HANDLER": True,
        "TWISTED_REACTOR": ASYNCIO_REACTOR,
    }, priority="cmdline")
    if overrides:
        settings.setdict(dict(overrides), priority="cmdline")
    return settings


def _stderr_progress(state: RunState) -> None:
    print(state.progress_line(), file=sys.stderr, flush=True)


def run_crawl(
    cfg: CrawlConfig,
    source_names: list[str] | None = None,
    limit: int | None = None,
    sources_file: str | Path | None = None,
    *,
    base: str | None = None,
    workers: int | None = None,
    settings: Mapping[str, Any] | None = None,
    progress: Callable[[RunState], None] | None = _stderr_progress,
    progress_interval: float = 5.0,
) -> dict[str, Any]:
    """Crawl the requested sources (default: every enabled source) and return stats:
    ``{"run_id", "elapsed", "totals": {...}, "sources": {name: {...}}}``.

    ``limit`` caps new article requests per source; ``base`` fills ``{base}`` in
    the sources file; ``workers`` is the number of extraction/NLP processes
    (default one per core, at most 4; 0 = in this process); ``settings`` overrides
    Scrapy settings (the benchmark turns politeness off for localhost).
    Raises :class:`SourceError` for a bad sources file or an unknown source.
    """
    variables = {"base": base} if base else None
    sources = plan_sources(cfg, source_names, sources_file, variables)
    from crawler.work import SINGLE_THREAD_ENV

    for key, value in SINGLE_THREAD_ENV.items():  # before numpy loads (workers inherit it)
        os.environ.setdefault(key, value)

    from scrapy.utils.log import configure_logging
    from scrapy.utils.reactor import install_reactor

    install_reactor(ASYNCIO_REACTOR)
    from scrapy.crawler import AsyncCrawlerRunner
    from scrapy.utils.defer import deferred_from_coro
    from scrapy.utils.misc import load_object
    from twisted.internet import reactor, task

    from crawler.work import default_workers, make_pool, trim_memory, tune_malloc

    names = [s.name for s in sources]
    state = RunState(names)
    scrapy_settings = build_settings(cfg, state, settings)
    configure_logging(scrapy_settings)
    logging.getLogger("elastic_transport").setLevel(logging.CRITICAL)
    store = get_store(cfg.resolved_store_url)
    state.run_id = store.start_run(names)
    state.pool = make_pool(default_workers() if workers is None else workers)
    runner = AsyncCrawlerRunner(scrapy_settings)
    outcome: dict[str, Any] = {"status": "finished", "error": None}
    stopping = {"asked": False}

    async def crawl_all() -> None:
        for kind in SOURCE_TYPES:
            chosen = [s for s in sources if s.type == kind]
            if not chosen or stopping["asked"]:
                continue
            await runner.crawl(load_object(SPIDERS[kind]), sources=chosen, limit=limit)

    def finished(result: Any) -> None:
        if hasattr(result, "getErrorMessage"):  # a Failure
            outcome["status"] = "failed"
            outcome["error"] = result.getErrorMessage()
            logging.getLogger("toezicht.crawl").error("crawl failed: %s", outcome["error"])
        if reactor.running:
            reactor.stop()

    def interrupt(signum: int, _frame: Any) -> None:
        if stopping["asked"]:
            reactor.callFromThread(reactor.stop)
            return
        stopping["asked"] = True
        outcome["status"] = "interrupted"
        print("interrupted: finishing pages in flight and storing them (Ctrl-C again to "
              "quit now)", file=sys.stderr, flush=True)
        reactor.callFromThread(lambda: deferred_from_coro(runner.stop()))

    tune_malloc()
    trimmer = task.LoopingCall(trim_memory)
    reactor.callWhenRunning(trimmer.start, 5.0, False)
    ticker = None
    if progress is not None and progress_interval > 0:
        ticker = task.LoopingCall(progress, state)
        reactor.callWhenRunning(ticker.start, progress_interval, False)
    previous = signal.signal(signal.SIGINT, interrupt)
    started = time.monotonic()
    try:
        reactor.callWhenRunning(lambda: deferred_from_coro(crawl_all()).addBoth(finished))
        reactor.run(installSignalHandlers=False)
    finally:
        signal.signal(signal.SIGINT, previous)
        if ticker is not None and ticker.running:
            ticker.stop()
        if trimmer.running:
            trimmer.stop()
        if state.pool is not None:
            state.pool.shutdown(wait=True, cancel_futures=True)
        stats = state.as_dict()
        store.finish_run(state.run_id, stats, status=outcome["status"])
    if progress is not None:
        progress(state)
    totals = {key: state.total(key) for key in
              ("discovered", "skipped_known", "requested", "fetched", "new", "updated",
               "not_article")}
    totals["failed"] = state.total_failed()
    totals["indexed"] = state.indexed
    return {"run_id": state.run_id, "status": outcome["status"], "error": outcome["error"],
            "elapsed": round(time.monotonic() - started, 2), "totals": totals,
            "sources": stats, "index_available": not state.index_disabled}
