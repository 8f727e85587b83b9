"""``toezicht reprocess``: re-run extraction and NLP over the raw HTML kept in the
store (no network), update the articles, and bring Elasticsearch up to date when it
is reachable (otherwise they stay unsynced for ``toezicht index sync``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

from crawler.config import CrawlConfig
from crawler.pipelines import DISCOVERY_HEADER
from crawler.work import analyse_batch, extract_fields, make_pool, nlp_version
from index.store import Store

log = logging.getLogger(__name__)

BATCH = 50
# Columns reprocessing may change; identity (id, url, canonical_url, source) stays.
UPDATABLE = ("kind", "reason", "title", "text", "authors", "published", "published_precision",
             "modified", "lang", "section", "image")


def _discovery(headers: Any) -> dict[str, Any]:
    if not isinstance(headers, dict):
        return {}
    try:
        return json.loads(headers.get(DISCOVERY_HEADER) or "{}")
    except ValueError:
        return {}


def _fields(row: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    found = _discovery(raw.get("headers"))
    headers = raw.get("headers") if isinstance(raw.get("headers"), dict) else {}
    return {"body": raw["html"], "url": row["canonical_url"] or row["url"],
            "content_type": found.get("content_type") or headers.get("Content-Type"),
            "feed_date": found.get("feed_date"), "feed_title": found.get("feed_title"),
            "lang_hint": found.get("lang_hint"), "source": row.get("source"),
            "request_url": row["url"], "fetched_at": raw.get("fetched_at") or row.get("fetched_at"),
            "status": row.get("http_status")}


def _record(row: dict[str, Any], article: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {"id": row["id"], "url": row["url"],
                              "canonical_url": row["canonical_url"], "source": row["source"]}
    record.update({k: article.get(k) for k in UPDATABLE})
    if not record["published"] and row.get("published"):
        record["published"] = row["published"]  # a date from a feed no longer at hand
        record["published_precision"] = row.get("published_precision")
    if article.get("analysis") is not None:
        record["analysis"] = article["analysis"]
        record["nlp_version"] = article.get("nlp_version")
    return record


def select_rows(store: Store, only_stale: bool) -> Iterator[dict[str, Any]]:
    """Stored pages to reprocess: all, or articles whose NLP version is not current."""
    current = nlp_version()
    for row in store.iter_articles(kind=None):
        if only_stale and (row["kind"] != "article" or (
                current is not None and row.get("nlp_version") == current)):
            continue
        yield row


def reprocess_store(cfg: CrawlConfig, *, only_stale: bool = True, workers: int | None = None,
                    progress: bool = True,
                    on_batch: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Reprocess stored pages; returns counts and whether the index was updated."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from crawler.work import default_workers

    store = Store(cfg.resolved_store_url)
    keep = ("id", "url", "canonical_url", "source", "published", "published_precision")
    rows = [{k: row.get(k) for k in keep} for row in select_rows(store, only_stale)]
    counts = {"processed": 0, "articles": 0, "failed": 0, "missing_html": 0}
    n_workers = default_workers() if workers is None else workers
    pool = make_pool(n_workers) if len(rows) >= 2 * BATCH and n_workers > 0 else None
    bar = Progress("reprocessing", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   disable=not progress, transient=False)
    try:
        with bar:
            task = bar.add_task("reprocess", total=len(rows))
            for start in range(0, len(rows), BATCH):
                chunk = rows[start:start + BATCH]
                jobs: list[tuple[dict[str, Any], dict[str, Any]]] = []
                for row in chunk:
                    raw = store.raw_page(row["id"])
                    if raw is None:
                        counts["missing_html"] += 1
                        continue
                    jobs.append((row, _fields(row, raw)))
                groups = [[f for _, f in jobs[i:i + 8]] for i in range(0, len(jobs), 8)]
                done = pool.map(_safe_process, groups) if pool else map(_safe_process, groups)
                results = [article for group in done for article in group]
                records = []
                for (row, _), article in zip(jobs, results, strict=True):
                    if article is None:
                        counts["failed"] += 1
                        continue
                    records.append(_record(row, article))
                    counts["articles"] += article.get("kind") == "article"
                if records:
                    store.save_articles(records)
                counts["processed"] += len(records)
                bar.advance(task, len(chunk))
                if on_batch:
                    on_batch(counts["processed"])
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    counts.update(_sync_index(cfg, store))
    return counts


def _safe_process(group: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Extract and analyse a few pages (NLP batched); a failing page gives None."""
    articles: list[dict[str, Any] | None] = []
    for fields in group:
        try:
            articles.append(extract_fields(fields))
        except Exception as exc:  # one bad page must not stop the rest
            log.warning("reprocessing %s failed: %s: %s", fields.get("url"),
                        exc.__class__.__name__, exc)
            articles.append(None)
    ok = [a for a in articles if a is not None]
    try:
        analyses = analyse_batch(ok)
    except Exception as exc:  # keep the new extraction; analysis stays as it was
        log.warning("analysis failed for a batch: %s: %s", exc.__class__.__name__, exc)
        analyses = [(None, None, None)] * len(ok)
    for article, (analysis, lang, version) in zip(ok, analyses, strict=True):
        article["analysis"], article["nlp_version"] = analysis, version
        if lang:
            article["lang"] = lang
    return articles


def _sync_index(cfg: CrawlConfig, store: Store) -> dict[str, Any]:
    try:
        from index import es
    except Exception:  # missing or broken: the store is updated, the index later
        return {"index_available": False, "indexed": 0}
    logging.getLogger("elastic_transport").setLevel(logging.CRITICAL)
    try:
        client = es.make_client(cfg)
        result = es.sync(store, client, cfg.es_index)
    except Exception as exc:
        log.info("Elasticsearch not updated (%s); run `toezicht index sync` once it is up",
                    exc.__class__.__name__)
        return {"index_available": False, "indexed": 0}
    return {"index_available": True, "indexed": int(result.get("indexed", 0))}
