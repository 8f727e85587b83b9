"""Canonical regulatory actions, read from the store's events.

Every event carries an action id (DESIGN.md; the resolver decides which events form
one action), so the same action reported by twenty outlets in two languages is one
row here, with its strongest status (actual > planned > potential), when it was
first reported (the earliest publication date of a source, else when it was first
stored; ISO 8601 with the offset of the configured timezone), an evidence quote
(the evidence sentence of the strongest, earliest event), the actor and
jurisdiction as names for people beside their ids, and every source article.
This works from the events table directly, so it needs neither Elasticsearch
nor a fold of the alerts.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from sqlalchemy import func, select

from index.search.action_names import actor_name, country_name, is_country
from index.search.base import unmarked
from index.search.query import MEASURES, STATUSES, SearchError, date_bounds, normalise_published
from index.store import articles, events

STATUS_RANK = {"potential": 1, "planned": 2, "actual": 3}
QUOTE_CHARS = 280


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
    offset: int = 0
    names: str = "cli"  # how errors name the parameters: a query.DATE_NAMES key

    def check(self, max_limit: int | None = None) -> ActionFilter:
        for m in self.measures:
            if m.lower() not in MEASURES:
                raise SearchError(f"measure {m!r} is unknown: use one of {', '.join(MEASURES)}")
        for s in self.statuses:
            if s.lower() not in STATUSES:
                raise SearchError(f"status {s!r} is unknown: use one of {', '.join(STATUSES)}")
        if self.limit is not None and (self.limit < 1 or (max_limit and self.limit > max_limit)):
            raise SearchError(f"limit must be 1 to {max_limit}" if max_limit
                              else "limit must be 1 or more")
        if self.offset < 0:
            raise SearchError("offset must be 0 or more")
        date_bounds(self.date_from, self.date_to, self.names)
        return self


@dataclass
class ActionPage:
    """One page of the actions matching a filter, and how many match in all."""

    total: int
    offset: int
    limit: int | None
    actions: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "offset": self.offset, "limit": self.limit,
                "actions": self.actions}


def _lower_in(column: Any, values: list[str]) -> Any:
    return func.lower(column).in_([v.strip().lower() for v in values])


DEFAULT_TZ = "Europe/Amsterdam"  # action times when the configuration names no timezone


def local_iso(value: Any, tz: tzinfo | None = None) -> str | None:
    """A stored date or datetime as ISO 8601 with the offset of ``tz`` (UTC when none);
    a naive datetime is UTC, a bare date is midnight in ``tz``."""
    if value is None or value == "":
        return None
    tz = tz or UTC
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            when = datetime(day.year, day.month, day.day, tzinfo=tz)
        else:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
    except ValueError:
        seen = normalise_published(text)  # year or month precision
        return local_iso(seen, tz) if seen and seen != text else None
    return when.astimezone(tz).replace(microsecond=0).isoformat()


def quote(text: str | None, limit: int = QUOTE_CHARS) -> str:
    """An evidence sentence for display: highlight marks gone, whitespace collapsed,
    cut at a word boundary with an ellipsis when longer than ``limit``."""
    clean = " ".join(unmarked(text).split())
    if len(clean) <= limit:
        return clean
    cut = clean[:limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:-–—") + "…"


def _article_names(conn: Any, article_ids: set[str]) -> dict[str, str]:
    """Regulator id -> name as the articles' analyses give them."""
    names: dict[str, str] = {}
    if not article_ids:
        return names
    rows = conn.execute(select(articles.c.analysis).where(articles.c.id.in_(article_ids)))
    for (analysis,) in rows:
        for reg in (analysis or {}).get("regulators") or []:
            if isinstance(reg, dict) and reg.get("id") and reg.get("name"):
                names.setdefault(reg["id"], reg["name"])
    return names


def _rank(row: dict[str, Any]) -> int:
    return STATUS_RANK[row["status"].lower()]


def _build(aid: str, rows: list[dict[str, Any]], lang: str, tz: tzinfo | None,
           known: dict[str, str]) -> dict[str, Any]:
    sources: dict[str, dict[str, Any]] = {}
    for r in rows:
        r["_seen"] = normalise_published(r["published"]) or normalise_published(r["indexed_at"])
        src = sources.get(r["article_id"])
        if src is None or _rank(r) > STATUS_RANK[src["status"]] or (
                _rank(r) == STATUS_RANK[src["status"]] and r["evidence"]
                and not src["evidence"]):
            sources[r["article_id"]] = {
                "id": r["article_id"], "url": r["url"], "title": r["title"],
                "lang": r["lang"], "source": r["source"], "published": r["published"],
                "status": r["status"].lower(), "evidence": quote(r["evidence"]),
                "_seen": r["_seen"], "_raw_seen": r["published"] or r["indexed_at"]}
    ordered = sorted(sources.values(), key=lambda s: (s["_seen"] or "9999", s["id"]))
    first = ordered[0] if ordered else {}
    first_seen, seen = local_iso(first.get("_raw_seen"), tz), first.get("_seen")
    # the action is shown as its strongest report, a named body before a bare country
    best = min(rows, key=lambda r: (-_rank(r), is_country(r["actor"] or ""),
                                    r["_seen"] or "9999", -(r["confidence"] or 0)))
    with_evidence = [r for r in rows if (r["evidence"] or "").strip()] or rows
    ev = min(with_evidence, key=lambda r: (-_rank(r), r["_seen"] or "9999",
                                           -(r["confidence"] or 0)))
    langs = sorted({s["lang"] for s in ordered if s["lang"]})
    dates = sorted(r["date"] for r in rows if r["date"])
    for s in ordered:
        s.pop("_seen")
        s.pop("_raw_seen")
    jurisdiction = best["jurisdiction"] or ""
    return {
        "action_id": aid, "actor": best["actor"] or "",
        "actor_name": actor_name(best["actor"] or "", lang, known),
        "measure": best["measure"] or "", "target": best["target"] or "",
        "jurisdiction": jurisdiction,
        "jurisdiction_name": country_name(jurisdiction, lang) if jurisdiction else "",
        "status": best["status"].lower(),
        "first_seen": first_seen, "_seen": seen,
        "date": dates[0] if dates else None,
        "evidence": quote(ev["evidence"]), "evidence_article_id": ev["article_id"]
        if (ev["evidence"] or "").strip() else None,
        "langs": langs, "source_count": len(ordered),
        "sources_by_lang": {x: sum(1 for s in ordered if s["lang"] == x) for x in langs},
        "sources": ordered,
    }


def find_actions(engine: Any, flt: ActionFilter | None = None, *, lang: str = "en",
                 tz: tzinfo | None = None, max_limit: int | None = None) -> ActionPage:
    """The actions matching ``flt``, newest first reported first: the page from
    ``flt.offset`` of at most ``flt.limit`` actions, and the total that match. Names
    are in ``lang`` (en or nl), first-seen times in ``tz`` (UTC when none)."""
    flt = (flt or ActionFilter()).check(max_limit)
    start, end = date_bounds(flt.date_from, flt.date_to, flt.names)
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
        unnamed = {r["article_id"] for rows in groups.values() for r in rows
                   if r["actor"] and not is_country(r["actor"])
                   and actor_name(r["actor"]) == r["actor"]}
        known = _article_names(conn, unnamed)
    wanted_status = {s.lower() for s in flt.statuses}
    wanted_lang = {x.lower() for x in flt.langs}
    out = []
    for aid, rows in groups.items():
        action = _build(aid, rows, lang, tz, known)
        seen = action.pop("_seen")
        if wanted_status and action["status"] not in wanted_status:
            continue
        if wanted_lang and not set(action["langs"]) & wanted_lang:
            continue
        if start and (not seen or seen < start):
            continue
        if end and (not seen or seen >= end):
            continue
        out.append((seen or "", aid, action))
    out.sort(key=lambda x: (x[0], x[1]), reverse=True)
    stop = flt.offset + flt.limit if flt.limit else None
    return ActionPage(total=len(out), offset=flt.offset, limit=flt.limit,
                      actions=[a for _, _, a in out[flt.offset:stop]])


def list_actions(engine: Any, flt: ActionFilter | None = None, *, lang: str = "en",
                 tz: tzinfo | None = None) -> list[dict[str, Any]]:
    """Each canonical action once, newest first reported first (one page of them)."""
    return find_actions(engine, flt, lang=lang, tz=tz).actions


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
