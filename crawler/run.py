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
    ``{"run_id", "elapsed", "totals": {...}, "failed_reasons": {reason: n},
    "sources": {name: {...}}}`` (reasons: ``crawler.reasons``).

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

    from crawler.heartbeat import Heartbeat, describe, hostname, reap_abandoned, stale_after
    from crawler.work import default_workers, make_pool, trim_memory, tune_malloc

    names = [s.name for s in sources]
    state = RunState(names)
    scrapy_settings = build_settings(cfg, state, settings)
    configure_logging(scrapy_settings)
    logging.getLogger("elastic_transport").setLevel(logging.CRITICAL)
    store = get_store(cfg.resolved_store_url)
    interval = float(getattr(cfg, "heartbeat_interval", 15.0))
    for old in reap_abandoned(store, stale_after(interval,
                                                 getattr(cfg, "heartbeat_timeout", 90.0))):
        logging.getLogger("toezicht.crawl").warning("%s", describe(old))
    outcome: dict[str, Any] = {"status": "finished", "error": None, "signal": None}
    stopping = {"asked": False, "now": False, "closing": False}
    runner: Any = None

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

    def stop_crawlers() -> None:
        if runner is not None:
            deferred_from_coro(runner.stop())

    def interrupt(signum: int, _frame: Any) -> None:
        """SIGINT and SIGTERM: stop scheduling requests, finish (extract, analyse,
        store) the pages in flight, record the run as interrupted. A second signal
        quits now: the reactor stops and the workers are killed."""
        name = signal.Signals(signum).name
        if stopping["asked"] or stopping["closing"]:
            stopping["now"] = True
            if reactor.running:
                reactor.callFromThread(reactor.stop)
            elif state.pool is not None:  # already closing: stop waiting for the workers
                state.pool.kill()
            return
        stopping["asked"] = True
        outcome["status"] = "interrupted"
        outcome["signal"] = name
        again = "Ctrl-C" if signum == signal.SIGINT else name
        print(f"interrupted ({name}): finishing pages in flight and storing them "
              f"({again} again to quit now)", file=sys.stderr, flush=True)
        reactor.callFromThread(stop_crawlers)

    # From the moment the run is recorded, every way out records how it ended; a
    # process killed outright stops beating and is marked abandoned later.
    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    state.run_id = store.start_run(names, pid=os.getpid(), host=hostname())
    heartbeat = Heartbeat(store, state.run_id, interval, stats=state.as_dict).start()
    started = time.monotonic()
    ticker = trimmer = None
    try:
        state.pool = make_pool(default_workers() if workers is None else workers)
        runner = AsyncCrawlerRunner(scrapy_settings)
        tune_malloc()
        trimmer = task.LoopingCall(trim_memory)
        reactor.callWhenRunning(trimmer.start, 5.0, False)
        if progress is not None and progress_interval > 0:
            ticker = task.LoopingCall(progress, state)
            reactor.callWhenRunning(ticker.start, progress_interval, False)
        reactor.callWhenRunning(lambda: deferred_from_coro(crawl_all()).addBoth(finished))
        if not stopping["asked"]:
            reactor.run(installSignalHandlers=False)
    except BaseException as exc:
        outcome["status"] = "failed"
        outcome["error"] = f"{exc.__class__.__name__}: {exc}"
        raise
    finally:
        stopping["closing"] = True  # a signal now only hurries the pool's shutdown
        for loop in (ticker, trimmer):
            if loop is not None and loop.running:
                loop.stop()
        if state.pool is not None:
            if stopping["now"]:
                state.pool.kill()
            state.pool.shutdown(wait=True, cancel_futures=True)
        heartbeat.stop()
        stats = state.as_dict()
        store.finish_run(state.run_id, stats, status=outcome["status"])
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if progress is not None:
        progress(state)
    totals = {key: state.total(key) for key in
              ("discovered", "skipped_known", "requested", "fetched", "new", "updated",
               "not_article")}
    totals["failed"] = state.total_failed()
    totals["indexed"] = state.indexed
    return {"run_id": state.run_id, "status": outcome["status"], "error": outcome["error"],
            "signal": outcome["signal"], "stopped_now": stopping["now"],
            "elapsed": round(time.monotonic() - started, 2), "totals": totals,
            "failed_reasons": state.failed_reasons(),
            "sources": stats, "index_available": not state.index_disabled}
