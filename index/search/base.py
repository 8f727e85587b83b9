"""The search service interface every backend implements, and shared helpers."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from index.search.query import SearchParams, check_timeline

Progress = Callable[[int, int], None]

HIT_FIELDS = ("id", "score", "url", "title", "source", "lang", "published", "indexed_at",
              "relevant", "relevance_score", "countries", "regulators", "platforms",
              "measures", "statuses", "story_id", "story_size", "action_ids", "snippet")
EXPORT_FIELDS = ("id", "url", "title", "source", "lang", "published", "indexed_at",
                 "relevant", "relevance_score", "countries", "regulators", "platforms",
                 "measures", "statuses", "action_ids", "story_id", "text")


def unmarked(text: str | None) -> str:
    """``text`` without the search highlight marks (« »)."""
    return (text or "").replace("«", "").replace("»", "")


@dataclass
class SearchResults:
    query: str
    total: int
    page: int
    size: int
    hits: list[dict[str, Any]] = field(default_factory=list)
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    stories: bool = False
    total_stories: int | None = None
    took_ms: int | None = None
    backend: str = ""
    warnings: list[str] = field(default_factory=list)  # e.g. a lower-case 'or' searched as a word
    suggestion: str | None = None  # "did you mean": the query with misspelt words corrected

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Timeline:
    interval: str
    by: str
    series: list[str]
    buckets: list[dict[str, Any]]  # {"key": "2026-01-05", "total": n, "by": {series: n}}
    backend: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class SearchBackend(abc.ABC):
    """Search, facets, timelines and export over the indexed articles."""

    name = ""

    @abc.abstractmethod
    def search(self, params: SearchParams) -> SearchResults:
        """One page of hits with total, facets and highlighted snippets."""

    def facets(self, params: SearchParams) -> dict[str, list[dict[str, Any]]]:
        from dataclasses import replace

        return self.search(replace(params, size=0, page=1, facets=True, suggest=False)).facets

    def suggestion(self, params: SearchParams, total: int) -> str | None:
        """"Did you mean": ``params`` (normalised) with its unknown words corrected,
        when the search found fewer than ``SUGGEST_BELOW`` articles and the corrected
        query finds more (see :mod:`index.search.suggest`)."""
        from dataclasses import replace

        from index.search import suggest
        from index.search.query import SearchError

        words = suggest.wanted(params, total)
        if not words:
            return None
        fixes = self._corrections(words)
        if not fixes:
            return None
        fixed = suggest.rewrite(params.query, fixes)
        try:
            if self.count(replace(params, query=fixed)) <= total:
                return None
        except SearchError:
            return None
        return fixed

    def _corrections(self, words: list[str]) -> dict[str, str]:
        """word -> correction for those of ``words`` that match no article; a backend
        without a vocabulary to look in corrects nothing."""
        return {}

    @abc.abstractmethod
    def _timeline_rows(self, params: SearchParams, interval: str,
                       by: str) -> list[tuple[str, str | None, int]]:
        """(bucket key YYYY-MM-DD, series or None for the total, count) rows."""

    def timeline(self, params: SearchParams, interval: str = "week",
                 by: str | None = "none") -> Timeline:
        """Article counts per day/week/month, optionally split by lang or country.
        Empty buckets between the first and last are included."""
        by = check_timeline(interval, by)
        params = params.normalised()
        rows = self._timeline_rows(params, interval, by)
        return build_timeline(rows, interval, by, self.name)

    @abc.abstractmethod
    def iter_all(self, params: SearchParams, *, batch: int = 1000,
                 progress: Progress | None = None) -> Iterator[dict[str, Any]]:
        """Every hit (export fields), streamed in flat memory."""

    @abc.abstractmethod
    def count(self, params: SearchParams) -> int:
        """How many articles match."""

    def sync(self, store: Any, progress: Progress | None = None) -> dict[str, Any]:
        """Bring the index up to date with the store."""
        raise NotImplementedError

    def close(self) -> None:  # noqa: B027 (optional hook)
        pass


def _next(day: date, interval: str) -> date:
    if interval == "day":
        return day + timedelta(days=1)
    if interval == "week":
        return day + timedelta(days=7)
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def build_timeline(rows: list[tuple[str, str | None, int]], interval: str, by: str,
                   backend: str) -> Timeline:
    totals: dict[str, int] = {}
    split: dict[str, dict[str, int]] = {}
    series_total: dict[str, int] = {}
    for key, series, count in rows:
        key = key[:10]
        if series is None:
            totals[key] = totals.get(key, 0) + int(count)
        else:
            split.setdefault(key, {})[series] = int(count)
            series_total[series] = series_total.get(series, 0) + int(count)
    series = sorted(series_total, key=lambda s: (-series_total[s], s))
    buckets: list[dict[str, Any]] = []
    if totals:
        day = date.fromisoformat(min(totals))
        last = date.fromisoformat(max(totals))
        while day <= last:
            key = day.isoformat()
            buckets.append({"key": key, "total": totals.get(key, 0),
                            "by": {s: split.get(key, {}).get(s, 0) for s in series}})
            day = _next(day, interval)
    return Timeline(interval=interval, by=by, series=series, buckets=buckets, backend=backend)


def export_row(hit: dict[str, Any]) -> dict[str, Any]:
    return {k: hit.get(k) for k in EXPORT_FIELDS}
