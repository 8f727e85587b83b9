"""Flat rows of actions for CSV and JSON Lines: one row per action, or one row per
(action, source). Both keep the ids (actor, jurisdiction) beside the names, in a
stable column order; lists are joined with ``;`` in CSV as in `toezicht export`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from index.search.base import unmarked
from index.search.export import flat

ACTION_COLUMNS = ["action_id", "actor", "actor_name", "measure", "target", "jurisdiction",
                  "jurisdiction_name", "status", "first_seen", "date", "langs",
                  "source_count", "sources_nl", "sources_en", "evidence",
                  "evidence_article_id", "source_ids", "source_urls", "source_names",
                  "source_titles"]
SOURCE_COLUMNS = ["action_id", "actor", "actor_name", "measure", "target", "jurisdiction",
                  "jurisdiction_name", "action_status", "first_seen", "article_id", "url",
                  "source", "title", "lang", "published", "status", "evidence"]


def _clean(value: Any) -> Any:
    """No search highlight marks in machine output."""
    return unmarked(value) if isinstance(value, str) else value


def action_row(action: dict[str, Any]) -> dict[str, Any]:
    by = action.get("sources_by_lang") or {}
    srcs = action.get("sources") or []
    row = {**action, "sources_nl": by.get("nl", 0), "sources_en": by.get("en", 0),
           "source_ids": [s["id"] for s in srcs], "source_urls": [s["url"] for s in srcs],
           "source_names": [s["source"] or "" for s in srcs],
           "source_titles": [_clean(s["title"] or "") for s in srcs]}
    return {k: _clean(row.get(k)) for k in ACTION_COLUMNS}


def source_rows(action: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One row per source of the action, carrying the action's fields."""
    head = {k: action.get(k) for k in ("action_id", "actor", "actor_name", "measure",
                                       "target", "jurisdiction", "jurisdiction_name",
                                       "first_seen")}
    head["action_status"] = action.get("status")
    for s in action.get("sources") or []:
        row = {**head, "article_id": s["id"], "url": s["url"], "source": s["source"],
               "title": s["title"], "lang": s["lang"], "published": s["published"],
               "status": s["status"], "evidence": s["evidence"]}
        yield {k: _clean(row.get(k)) for k in SOURCE_COLUMNS}


def rows(actions: Iterable[dict[str, Any]], per_source: bool = False
         ) -> Iterator[dict[str, Any]]:
    for action in actions:
        if per_source:
            yield from source_rows(action)
        else:
            yield action_row(action)


def columns(per_source: bool = False) -> list[str]:
    return list(SOURCE_COLUMNS if per_source else ACTION_COLUMNS)


def csv_text(actions: Iterable[dict[str, Any]], per_source: bool = False) -> str:
    """The actions as CSV text with a header (also when there are none)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns(per_source))
    for row in rows(actions, per_source):
        writer.writerow([flat(row[k]) for k in columns(per_source)])
    return buf.getvalue()
