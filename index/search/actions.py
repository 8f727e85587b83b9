"""Canonical regulatory actions, read from the store's events.

Every event carries the action id of DESIGN.md (a hash of actor, measure,
target, jurisdiction), so the same action reported by twenty outlets in two
languages is one row here, with its strongest status (actual > planned >
potential), when it was first reported (the earliest publication date of a
source, else when it was first stored) and every source article.
This works from the events table directly, so it needs neither Elasticsearch
nor a fold of the alerts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from index.search.query import MEASURES, STATUSES, SearchError, _date_bound, normalise_published
from index.store import articles, events

STATUS_RANK = {"potential": 1, "planned": 2, "actual": 3}


@dataclass
class ActionFilter:
    actors: list[str] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)  # the strongest status
    jurisdictions: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    langs: list[str] = field(default_factory=list)  # reported in one of these
    date_from: str | None = None  # first reported on or after
    date_to: str | None = None
    relevant_only: bool = True
    limit: int | None = None

    def check(self) -> ActionFilter:
        for m in self.measures:
            if m.lower() not in MEASURES:
                raise SearchError(f"measure {m!r} is unknown: use one of {', '.join(MEASURES)}")
        for s in self.statuses:
            if s.lower() not in STATUSES:
                raise SearchError(f"status {s!r} is unknown: use one of {', '.join(STATUSES)}")
        if self.limit is not None and self.limit < 1:
            raise SearchError("limit must be 1 or more")
        _date_bound(self.date_from, "--from", upper=False)
        _date_bound(self.date_to, "--to", upper=True)
        return self


def _lower_in(column: Any, values: list[str]) -> Any:
    return func.lower(column).in_([v.strip().lower() for v in values])


def list_actions(engine: Any, flt: ActionFilter | None = None) -> list[dict[str, Any]]:
    """Each canonical action once, newest first reported first."""
    flt = (flt or ActionFilter()).check()
    start = _date_bound(flt.date_from, "--from", upper=False)
    end = _date_bound(flt.date_to, "--to", upper=True)
    query = (select(events.c.action_id, events.c.actor, events.c.measure, events.c.target,
                    events.c.jurisdiction, events.c.status, events.c.date,
                    events.c.confidence, events.c.evidence, articles.c.id.label("article_id"),
                    articles.c.url, articles.c.title, articles.c.lang, articles.c.source,
                    articles.c.published, articles.c.indexed_at)
             .join(articles, articles.c.id == events.c.article_id)
             .where(articles.c.kind == "article")
             .order_by(events.c.action_id, events.c.pk))
    if flt.relevant_only:
        query = query.where(articles.c.relevant.is_(True))
    if flt.actors:
        query = query.where(_lower_in(events.c.actor, flt.actors))
    if flt.measures:
        query = query.where(_lower_in(events.c.measure, flt.measures))
    if flt.jurisdictions:
        query = query.where(_lower_in(events.c.jurisdiction, flt.jurisdictions))
    if flt.targets:
        query = query.where(_lower_in(events.c.target, flt.targets))
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with engine.connect() as conn:
        for row in conn.execute(query).mappings():
            if STATUS_RANK.get((row["status"] or "").lower()):
                groups[row["action_id"]].append(dict(row))
    out = []
    for aid, rows in groups.items():
        best = max(rows, key=lambda r: (STATUS_RANK[r["status"].lower()], r["confidence"] or 0))
        sources: dict[str, dict[str, Any]] = {}
        for r in rows:
            src = sources.get(r["article_id"])
            seen = normalise_published(r["published"]) or normalise_published(r["indexed_at"])
            if src is None or STATUS_RANK[r["status"].lower()] > STATUS_RANK[src["status"]]:
                sources[r["article_id"]] = {
                    "id": r["article_id"], "url": r["url"], "title": r["title"],
                    "lang": r["lang"], "source": r["source"], "published": r["published"],
                    "status": r["status"].lower(), "evidence": r["evidence"], "_seen": seen}
        ordered = sorted(sources.values(), key=lambda s: (s["_seen"] or "9999", s["id"]))
        first_seen = ordered[0]["_seen"] if ordered else None
        for s in ordered:
            s.pop("_seen")
        langs = sorted({s["lang"] for s in ordered if s["lang"]})
        dates = sorted(r["date"] for r in rows if r["date"])
        action = {
            "action_id": aid, "actor": best["actor"], "measure": best["measure"],
            "target": best["target"] or "", "jurisdiction": best["jurisdiction"] or "",
            "status": best["status"].lower(), "first_seen": first_seen,
            "date": dates[0] if dates else None, "langs": langs,
            "source_count": len(ordered),
            "sources_by_lang": {lang: sum(1 for s in ordered if s["lang"] == lang)
                                for lang in langs},
            "sources": ordered,
        }
        if flt.statuses and action["status"] not in [s.lower() for s in flt.statuses]:
            continue
        if flt.langs and not set(langs) & {x.lower() for x in flt.langs}:
            continue
        if start and (not first_seen or first_seen < start):
            continue
        if end and (not first_seen or first_seen >= end):
            continue
        out.append(action)
    out.sort(key=lambda a: (a["first_seen"] or "", a["action_id"]), reverse=True)
    return out[:flt.limit] if flt.limit else out


def get_article(store: Any, aid: str) -> dict[str, Any] | None:
    """One article from the store of record with its events (for the API)."""
    row = store.get_article(aid)
    if row is None:
        return None
    keep = ("id", "url", "canonical_url", "source", "kind", "title", "text", "authors",
            "published", "published_precision", "modified", "lang", "section", "image",
            "fetched_at", "indexed_at", "updated_at", "nlp_version", "relevant",
            "relevance_score", "analysis")
    out = {k: row.get(k) for k in keep}
    out["events"] = [{k: e.get(k) for k in ("action_id", "actor", "jurisdiction", "measure",
                                             "target", "status", "date", "evidence",
                                             "confidence")} for e in store.events_for(aid)]
    return out
