"""Turn a store row (``articles`` table) into the Elasticsearch document.

The document carries the article, its metadata and the analysis of
shared/EVENTS.md flattened into facet fields; events become nested objects with
the stable ``action_id`` of index/ids.py. Values that Elasticsearch would reject
(a date it cannot parse, a non-numeric confidence) are dropped, never guessed.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from index.ids import action_id

_DATE_ONLY = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
# languages with their own stemmed text field (``text_nl``, ``text_en``; see index/es.py)
TEXT_LANGS = ("nl", "en")


def language_text(lang: str | None, text: str) -> dict[str, str]:
    """The stemmed text field(s) for an article: its own language's only, both
    when the language is unknown or another one (so it stays findable)."""
    langs = (lang,) if lang in TEXT_LANGS else TEXT_LANGS
    return {f"text_{code}": text for code in langs}


def clean_date(value: Any) -> str | None:
    """An ISO date/datetime Elasticsearch accepts, or None.

    Accepts ``2026``, ``2026-01``, ``2026-01-12`` and ISO datetimes with or
    without offset (``Z`` included)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value).strip()
    if _DATE_ONLY.match(text):
        try:
            parts = [int(p) for p in text.split("-")]
            date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
        except ValueError:
            return None
        return text
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return text.replace(" ", "T", 1)


def _float(value: Any) -> float | None:
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [str(v) for v in value if v is not None and str(v).strip()]


def _analysis(row: dict[str, Any]) -> dict[str, Any]:
    analysis = row.get("analysis")
    if isinstance(analysis, str):
        try:
            analysis = json.loads(analysis)
        except ValueError:
            analysis = None
    return analysis if isinstance(analysis, dict) else {}


def _regulators(items: Any) -> list[dict[str, str]]:
    out = []
    for item in items or []:
        if isinstance(item, dict) and item.get("id"):
            out.append({k: str(item[k]) for k in ("id", "name", "country") if item.get(k)})
        elif isinstance(item, str) and item:
            out.append({"id": item})
    return out


def event_document(event: dict[str, Any]) -> dict[str, Any]:
    """One nested ``events`` object."""
    actor = str(event.get("actor") or "")
    measure = str(event.get("measure") or "")
    target = str(event.get("target") or "")
    jurisdiction = str(event.get("jurisdiction") or "")
    return {
        "action_id": event.get("action_id") or action_id(actor, measure, target, jurisdiction),
        "actor": actor,
        "jurisdiction": jurisdiction,
        "measure": measure,
        "target": target,
        "status": event.get("status") or None,
        "date": clean_date(event.get("date")),
        "evidence": event.get("evidence") or None,
        "confidence": _float(event.get("confidence")),
    }


def to_document(row: dict[str, Any]) -> dict[str, Any]:
    """The Elasticsearch ``_source`` for one article row (its ``_id`` is ``row["id"]``)."""
    analysis = _analysis(row)
    relevant = row.get("relevant")
    if relevant is None:
        relevant = analysis.get("relevant")
    score = row.get("relevance_score")
    if score is None:
        score = analysis.get("relevance_score")
    events = [event_document(ev) for ev in analysis.get("events") or [] if isinstance(ev, dict)]
    measures = set(_strings(analysis.get("measures"))) | {e["measure"] for e in events
                                                          if e["measure"]}
    doc: dict[str, Any] = {
        "id": row["id"],
        "url": row.get("url"),
        "canonical_url": row.get("canonical_url"),
        "source": row.get("source"),
        "kind": row.get("kind") or "article",
        "title": row.get("title") or "",
        "text": row.get("text") or "",
        "authors": _strings(row.get("authors")),
        "published": clean_date(row.get("published")),
        "published_precision": row.get("published_precision"),
        "modified": clean_date(row.get("modified")),
        "lang": row.get("lang") or analysis.get("lang") or None,
        "section": row.get("section"),
        "image": row.get("image"),
        "fetched_at": clean_date(row.get("fetched_at")),
        "indexed_at": clean_date(row.get("indexed_at")),
        "updated_at": clean_date(row.get("updated_at")),
        "nlp_version": row.get("nlp_version"),
        "relevant": bool(relevant) if relevant is not None else False,
        "relevance_score": _float(score),
        "regulators": _regulators(analysis.get("regulators")),
        "countries": _strings(analysis.get("countries")),
        "platforms": _strings(analysis.get("platforms")),
        "measures": sorted(measures),
        "statuses": sorted({e["status"] for e in events if e["status"]}),
        "story_id": row.get("story_id") or row["id"],
        "events": events,
    }
    # analysed in the article's own language only (not stored: the _source keeps
    # ``text`` once; the mapping excludes these)
    doc.update(language_text(doc["lang"], doc["text"]))
    return doc
