"""Source health: per source per crawl run — discovered, fetched, new, failed by
reason (robots, 403, 404, 5xx, timeout, ...), not-an-article — the last success,
and a flag when a source breaks.

A source is flagged when, in the latest run,

- it **fails every request**: nothing fetched and at least one request failed
  (a feed that answers 403, a site that times out), or
- its **new-article count fell below mean − 2σ** of its own previous runs (the last
  :data:`WINDOW`, at least :data:`MIN_HISTORY` of them), the way Media Cloud
  watches its sources.

:func:`assess` is pure (crawl-run rows in, :class:`SourceHealth` out); the alert
outbox (``index.alert_store.check_source_health``) and ``toezicht sources health``
both use it.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from crawler import reasons

WINDOW = 14  # previous runs the new-article count is compared with
MIN_HISTORY = 5  # fewer previous runs than this: no drop flag yet
FAILURE_BUCKETS = reasons.BUCKETS


def failure_bucket(reason: str) -> str | None:
    """``"discovery_http_403"`` → ``"403"``; None for reasons that are no failure of the
    source (duplicates, already stored). The vocabulary is ``crawler.reasons``."""
    return reasons.bucket(reason)


@dataclass
class SourceHealth:
    source: str
    run_id: int | None = None
    run_status: str | None = None
    started_at: str | None = None
    discovered: int = 0
    fetched: int = 0
    new: int = 0
    updated: int = 0
    not_article: int = 0
    failed: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # bucket -> count
    errors: dict[str, int] = field(default_factory=dict)  # raw reasons as recorded
    not_article_reasons: dict[str, int] = field(default_factory=dict)
    history: list[int] = field(default_factory=list)  # new per previous run, newest first
    mean_new: float | None = None
    sd_new: float | None = None
    last_success: str | None = None  # last run in which a page was fetched
    last_new: str | None = None  # last run that stored a new article
    flagged: bool = False
    flags: list[str] = field(default_factory=list)
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _source_stats(run: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    stats = run.get("stats") or {}
    entry = stats.get(name) if isinstance(stats, dict) else None
    return entry if isinstance(entry, dict) else None


def _when(run: Mapping[str, Any]) -> str | None:
    return run.get("finished_at") or run.get("started_at")


def assess(runs: Sequence[Mapping[str, Any]], *, window: int = WINDOW,
           min_history: int = MIN_HISTORY, sources: Iterable[str] | None = None
           ) -> list[SourceHealth]:
    """Health of every source of the latest run (or of ``sources``).

    ``runs`` are ``crawl_runs`` rows (``id, started_at, finished_at, status, sources,
    stats``), any order; runs still ``running`` are ignored. Each source is judged by
    the latest run that crawled it, against the up to ``window`` runs before that.
    """
    done = sorted((r for r in runs if r.get("status") != "running" and r.get("stats")
                   is not None), key=lambda r: r["id"], reverse=True)
    if not done:
        return []
    if sources is None:
        latest = done[0]
        names = list(dict.fromkeys([*(latest.get("sources") or []),
                                    *((latest.get("stats") or {}).keys())]))
    else:
        names = list(sources)
    out = []
    for name in sorted(names):
        mine = [r for r in done if _source_stats(r, name) is not None]
        health = SourceHealth(source=name)
        if not mine:
            out.append(health)
            continue
        run, previous = mine[0], mine[1:1 + window]
        st = _source_stats(run, name) or {}
        health.run_id, health.run_status = run["id"], run.get("status")
        health.started_at = run.get("started_at")
        for key in ("discovered", "fetched", "new", "updated", "not_article", "failed"):
            setattr(health, key, _int(st.get(key)))
        errors = {str(k): _int(v) for k, v in (st.get("errors") or {}).items()}
        health.errors = errors
        buckets: Counter[str] = Counter()
        lost: Counter[str] = Counter()  # inputs lost whole, not read in part
        for reason, n in errors.items():
            bucket = failure_bucket(reason)
            if bucket:
                buckets[bucket] += n
                if reasons.whole(reason):
                    lost[bucket] += n
        health.failures = {b: buckets[b] for b in FAILURE_BUCKETS if buckets[b]}
        if not health.failed:
            health.failed = sum(buckets.values())
        health.history = [_int((_source_stats(r, name) or {}).get("new")) for r in previous]
        for r in mine:
            s = _source_stats(r, name) or {}
            if health.last_success is None and _int(s.get("fetched")) > 0:
                health.last_success = _when(r)
            if health.last_new is None and _int(s.get("new")) > 0:
                health.last_new = _when(r)
        if health.history:
            health.mean_new = statistics.fmean(health.history)
            health.sd_new = statistics.pstdev(health.history)
        if health.fetched == 0 and sum(lost.values()) > 0:
            top = ", ".join(f"{b} {n}" for b, n in lost.most_common())
            health.flags.append("fails_every_request")
            health.reason = f"every request failed ({top})"
        if (len(health.history) >= min_history and health.mean_new is not None
                and health.sd_new is not None and health.mean_new > 0
                and health.new < health.mean_new - 2 * health.sd_new):
            health.flags.append("new_below_usual")
            drop = (f"{health.new} new articles, usually {health.mean_new:.1f} ± "
                    f"{health.sd_new:.1f} (last {len(health.history)} runs)")
            health.reason = f"{health.reason}; {drop}" if health.reason else drop
        health.flagged = bool(health.flags)
        out.append(health)
    return out


def not_article_reasons(store: Any, source: str, since: str | None, until: str | None
                        ) -> dict[str, int]:
    """Why the pages a source delivered in a run were not articles (reason codes from
    ``crawler.quality``), from the store: pages of ``source`` fetched in [since, until]."""
    from sqlalchemy import func, select

    from index.store import articles

    query = (select(articles.c.reason, func.count()).where(
        articles.c.source == source, articles.c.kind == "not_article")
        .group_by(articles.c.reason))
    if since:
        query = query.where(articles.c.fetched_at >= since)
    if until:
        query = query.where(articles.c.fetched_at <= until)
    counts: Counter[str] = Counter()
    with store.engine.connect() as conn:
        for reason, n in conn.execute(query):
            code = (reason or "unknown").split(":", 1)[0].strip() or "unknown"
            counts[code] += int(n)
    return dict(counts.most_common())


def source_health(store: Any, *, window: int = WINDOW, min_history: int = MIN_HISTORY,
                  sources: Iterable[str] | None = None) -> list[SourceHealth]:
    """:func:`assess` over the store's crawl runs, with not-an-article reasons filled in."""
    runs = store.runs(limit=max(200, (window + 1) * 8))
    found = assess(runs, window=window, min_history=min_history, sources=sources)
    by_id = {r["id"]: r for r in runs}
    for h in found:
        run = by_id.get(h.run_id)
        if run is not None and h.not_article:
            h.not_article_reasons = not_article_reasons(store, h.source, run.get("started_at"),
                                                        run.get("finished_at"))
    return found
