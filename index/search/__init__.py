"""The search service: one interface (:class:`~index.search.base.SearchBackend`) over
Elasticsearch (default) and SQLite FTS5 (embedded fallback), chosen by the
``search_backend`` setting. Import backends lazily: index.es imports
``index.search.stories``, so this package must stay light."""

from __future__ import annotations

from typing import Any

from index.search.query import SearchError, SearchParams

BACKENDS = ("elasticsearch", "sqlite")

__all__ = ["BACKENDS", "SearchError", "SearchParams", "open_backend"]


def open_backend(cfg: Any, name: str | None = None, *, store: Any = None) -> Any:
    """The configured :class:`SearchBackend` (``name`` overrides ``cfg.search_backend``)."""
    name = (name or getattr(cfg, "search_backend", "") or "elasticsearch").lower()
    if name == "elasticsearch":
        from index.search.es_backend import ElasticsearchBackend

        return ElasticsearchBackend.from_config(cfg)
    if name == "sqlite":
        from index.search.sqlite_backend import SqliteBackend

        if store is not None:
            return SqliteBackend(store)
        return SqliteBackend.from_config(cfg)
    raise SearchError(f"search_backend {name!r} is unknown: use elasticsearch or sqlite")
