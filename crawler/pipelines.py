"""Item pipelines, one job each:

1. :class:`ExtractPipeline` - page bytes → article (trafilatura, dates, canonical URL);
2. :class:`AnalysePipeline` - article text → analysis (``nlp.analyze``);
3. :class:`StorePipeline` - batches of articles + raw HTML → the store of record;
4. :class:`IndexPipeline` - stored batches → Elasticsearch. When Elasticsearch is
   down it logs one warning and carries on: the articles stay unsynced in the store
   for ``toezicht index sync``.

CPU-bound steps run in the run's worker processes when there are any
(``crawler.work``); store and index writes run in a thread, one at a time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from scrapy.exceptions import DropItem

from crawler.items import FetchedPage
from crawler.state import get_store, run_state
from crawler.work import Batcher, analyse_in_worker, extract_in_worker, run_in

log = logging.getLogger(__name__)

# Custom signal: a batch of articles was written to the store (kwargs: ids, crawler,
# final - the last batch of this crawler, sent even when empty).
items_stored = object()

DISCOVERY_HEADER = "X-Toezicht-Discovery"


class _Stage:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.state = run_state(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> _Stage:
        return cls(crawler)


class ExtractPipeline(_Stage):
    """Raw page → article dict (``crawler.extract``)."""

    async def process_item(self, item: FetchedPage) -> FetchedPage:
        fields = {"body": item.body, "url": item.url, "content_type": item.content_type,
                  "feed_date": item.feed_date, "feed_title": item.feed_title,
                  "lang_hint": item.lang_hint, "source": item.source,
                  "request_url": item.request_url, "fetched_at": item.fetched_at,
                  "status": item.status}
        try:
            item.article = await run_in(self.state.pool, extract_in_worker, fields)
        except Exception as exc:  # never lose the crawl over one page
            self.state.fail(item.source, "extract_error")
            log.warning("extraction failed for %s: %s: %s", item.url,
                        exc.__class__.__name__, exc)
            raise DropItem(f"extraction failed: {exc}") from None
        if item.article["kind"] != "article":
            self.state.inc(item.source, "not_article")
        return item


class AnalysePipeline(_Stage):
    """Article → analysis (``nlp.analyze_many``, in small batches), for articles."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.batcher = Batcher(self.state.pool, analyse_in_worker,
                               size=crawler.settings.getint("TOEZICHT_NLP_BATCH", 8))

    async def process_item(self, item: FetchedPage) -> FetchedPage:
        article = item.article or {}
        if article.get("kind") != "article":
            return item
        try:
            analysis, lang, version = await self.batcher.submit(article)
        except Exception as exc:  # keep the article; `reprocess` can analyse it later
            self.state.fail(item.source, "nlp_error")
            log.warning("analysis failed for %s: %s: %s", item.url, exc.__class__.__name__, exc)
            return item
        item.analysis, item.nlp_version = analysis, version
        if lang:
            article["lang"] = lang
        return item


def store_record(item: FetchedPage) -> dict[str, Any]:
    """The ``Store.save_articles`` row for an extracted (and analysed) page."""
    article = dict(item.article or {})
    headers = dict(item.headers)
    headers[DISCOVERY_HEADER] = json.dumps(item.discovery(), ensure_ascii=False)
    record = {k: v for k, v in article.items() if k not in {"published_source"}}
    record.update(
        source=item.source, http_status=item.status, fetched_at=item.fetched_at,
        raw_html=item.body, encoding=article.get("encoding"), headers=headers,
    )
    if item.analysis is not None:
        record["analysis"] = item.analysis
        record["nlp_version"] = item.nlp_version
    return record


class StorePipeline(_Stage):
    """Write articles to the store in batches (``TOEZICHT_STORE_BATCH``, and at close)."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.store = get_store(crawler.settings["TOEZICHT_STORE_URL"])
        self.batch_size = crawler.settings.getint("TOEZICHT_STORE_BATCH", 50)
        self.pending: list[tuple[str, dict[str, Any]]] = []

    async def process_item(self, item: FetchedPage) -> FetchedPage:
        self.pending.append((item.source, store_record(item)))
        if len(self.pending) >= self.batch_size:
            await self.flush()
        return item

    async def close_spider(self) -> None:
        await self.flush(final=True)

    async def flush(self, final: bool = False) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            if final:
                await self.crawler.signals.send_catch_log_async(
                    signal=items_stored, ids=[], crawler=self.crawler, final=True)
            return
        async with self.state.write_lock:
            records = [r for _, r in batch]
            ids = [r["id"] for r in records]
            try:
                known = await asyncio.to_thread(self.store.known_ids, ids)
                for record in records:
                    if record["id"] in known:
                        record.pop("url", None)  # keep the link it was first found by
                await asyncio.to_thread(self.store.save_articles, _dedupe(records))
            except Exception as exc:
                for source, _ in batch:
                    self.state.fail(source, "store_error")
                log.error("could not store %d articles: %s: %s", len(batch),
                          exc.__class__.__name__, exc)
                return
            seen: set[str] = set()
            for source, record in batch:
                key = "updated" if record["id"] in known or record["id"] in seen else "new"
                seen.add(record["id"])
                self.state.inc(source, key)
        await self.crawler.signals.send_catch_log_async(
            signal=items_stored, ids=ids, crawler=self.crawler, final=final)


def _dedupe(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the last record per id (two links to one canonical page in a batch)."""
    by_id: dict[str, dict[str, Any]] = {}
    for record in records:
        by_id[record["id"]] = record
    return list(by_id.values())


class IndexPipeline(_Stage):
    """After stored batches, push what the index misses (``index.es.sync``), at most
    every ``TOEZICHT_INDEX_INTERVAL`` seconds and once more after the last batch."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.enabled = crawler.settings.getbool("TOEZICHT_INDEX_ENABLED", True)
        self.interval = crawler.settings.getfloat("TOEZICHT_INDEX_INTERVAL", 5.0)
        self.store = get_store(crawler.settings["TOEZICHT_STORE_URL"])
        self.client: Any = None
        self.es: Any = None
        self.last_sync = 0.0
        self.sync_lock = asyncio.Lock()
        crawler.signals.connect(self.on_stored, signal=items_stored)

    def process_item(self, item: FetchedPage) -> FetchedPage:
        return item

    def _connect(self) -> bool:
        if self.client is not None:
            return True
        try:
            from index import es
        except Exception as exc:  # missing or broken: crawling and storing go on
            self._disable(f"the Elasticsearch module (index.es) is not available "
                          f"({exc.__class__.__name__}: {exc})")
            return False
        cfg = self.crawler.settings.get("TOEZICHT_CONFIG")
        if cfg is None:
            self._disable("the crawler settings carry no configuration (TOEZICHT_CONFIG)")
            return False
        logging.getLogger("elastic_transport").setLevel(logging.CRITICAL)
        try:
            self.client = es.make_client(cfg)
            es.ensure_index(self.client, cfg.es_index)
        except Exception as exc:
            self.client = None
            self._disable(f"Elasticsearch at {cfg.resolved_es_url} is not reachable "
                          f"({exc.__class__.__name__})")
            return False
        self.es, self.alias = es, cfg.es_index
        return True

    def _disable(self, why: str) -> None:
        self.enabled = False
        if not self.state.index_warning_given:
            self.state.index_warning_given = True
            log.warning("%s; articles are stored and stay unsynced: run `toezicht index sync` "
                        "once it is up", why)

    async def on_stored(self, ids: list[str], crawler: Any, final: bool = False) -> None:
        if crawler is not self.crawler or not self.enabled or self.state.index_disabled:
            return
        now = time.monotonic()
        if not final and (now - self.last_sync < self.interval or self.sync_lock.locked()):
            return  # the next sync (at the latest the final one) takes these along
        self.last_sync = now
        if not ids and not await asyncio.to_thread(self.store.count_articles,
                                                   only_unsynced=True):
            return  # nothing for the index: spare the client import and connection
        # Not under the store's write lock: es.sync only marks rows synced that did not
        # change while it ran, so storing goes on while Elasticsearch indexes.
        async with self.sync_lock:
            if not await asyncio.to_thread(self._connect):
                self.state.index_disabled = True
                return
            try:
                result = await asyncio.to_thread(
                    lambda: self.es.sync(self.store, self.client, self.alias, chunk_size=100))
            except Exception as exc:
                self.state.index_disabled = True
                self._disable(f"indexing into Elasticsearch failed ({exc.__class__.__name__}: "
                              f"{exc})")
                return
        count = result.get("indexed", 0) if isinstance(result, dict) else (
            result if isinstance(result, int) else len(ids))
        self.state.indexed += int(count or 0)
