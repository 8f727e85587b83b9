"""State shared by the spiders, middlewares, pipelines and extension of one crawl run
(possibly several Scrapy crawlers in one process): per-source counters, the set of
article ids already requested, and the store."""

from __future__ import annotations

import asyncio
import functools
import time
from collections import defaultdict
from typing import Any

from crawler import reasons
from index.store import Store

COUNTERS = ("discovered", "skipped_known", "requested", "fetched", "new", "updated",
            "not_article")


class RunState:
    """Counters per source, for the ``crawl_runs`` table and the progress line."""

    def __init__(self, sources: list[str] | None = None) -> None:
        self.started = time.monotonic()
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
        self.failed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.requested_ids: set[str] = set()
        self.run_id: int | None = None
        self.index_warning_given = False
        self.index_disabled = False
        self.indexed = 0
        self.pool: Any = None  # worker processes for extraction/NLP (crawler.work)
        self._lock: asyncio.Lock | None = None
        for name in sources or []:
            self.counts[name]  # noqa: B018 - materialise every requested source

    @property
    def write_lock(self) -> asyncio.Lock:
        """Serialises store writes and index syncs (created inside the event loop)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def inc(self, source: str | None, key: str, n: int = 1) -> None:
        self.counts[source or "?"][key] += n

    def fail(self, source: str | None, reason: str, n: int = 1, *,
             discovery: bool = False) -> None:
        """Count ``n`` inputs of ``source`` as dropped for ``reason``, a name from
        ``crawler.reasons`` (stored as ``discovery_<reason>`` for a discovery request
        or document); ValueError for any other name."""
        self.failed[source or "?"][reasons.key(reason, discovery=discovery)] += n

    def total(self, key: str) -> int:
        return sum(c[key] for c in self.counts.values())

    def total_failed(self) -> int:
        return sum(sum(f.values()) for f in self.failed.values())

    def failed_reasons(self) -> dict[str, int]:
        """``{reason: n}`` over every source, most frequent first."""
        total: dict[str, int] = defaultdict(int)
        for errors in list(self.failed.values()):
            for reason, n in list(errors.items()):
                total[reason] += n
        return dict(sorted(total.items(), key=lambda kv: (-kv[1], kv[0])))

    def as_dict(self) -> dict[str, Any]:
        """``{source: {discovered, fetched, new, ..., failed, errors: {reason: n}}}``.

        Reads without adding keys, so the heartbeat thread may call it too."""
        out: dict[str, Any] = {}
        for name in sorted(set(self.counts) | set(self.failed)):
            counts = self.counts.get(name)
            entry: dict[str, Any] = dict(counts) if counts else dict.fromkeys(COUNTERS, 0)
            errors = dict(sorted((self.failed.get(name) or {}).items()))
            entry["failed"] = sum(errors.values())
            entry["errors"] = errors
            out[name] = entry
        return out

    def progress_line(self) -> str:
        elapsed = time.monotonic() - self.started
        return (f"[{elapsed:6.1f}s] discovered {self.total('discovered')}, "
                f"fetched {self.total('fetched')}, stored {self.total('new')} new"
                f" + {self.total('updated')} updated, indexed {self.indexed}, "
                f"failed {self.total_failed()}")


_REGISTRY: dict[str, RunState] = {}


def register(state: RunState) -> str:
    """Make ``state`` findable by crawlers through the ``TOEZICHT_RUN_STATE`` setting
    (settings are deep-copied per crawler, so they carry this key, not the object)."""
    key = f"run-{id(state)}"
    _REGISTRY[key] = state
    return key


def run_state(crawler: Any) -> RunState:
    """The run's shared state: the one registered by ``crawler.run`` and named by the
    ``TOEZICHT_RUN_STATE`` setting, else one per crawler (``scrapy crawl``)."""
    key = crawler.settings.get("TOEZICHT_RUN_STATE")
    state = _REGISTRY.get(key) if isinstance(key, str) else None
    if state is None:
        state = getattr(crawler, "_toezicht_state", None)
        if state is None:
            state = RunState()
            crawler._toezicht_state = state
    return state


@functools.cache
def get_store(url: str) -> Store:
    """One :class:`Store` per URL per process."""
    return Store(url)
