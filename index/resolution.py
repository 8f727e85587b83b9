"""The action resolver's state in the store, and the record of merges and splits.

``action_state`` keeps each action's identity keys per reporting article (what
``nlp.actions`` needs to resolve the next article); ``action_links`` records old id →
new id whenever re-resolving an article (``reprocess``) folds an action into another
(``merge``) or takes part of it away (``split``), so alert history, links and exports
made under an old id stay resolvable (:func:`current_ids`) and alerts already sent
under it count for its successors (:func:`ancestor_ids`). Both tables are new, so an
existing store gains them in place (``create_all``) without touching its data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Integer,
    String,
    Table,
    UniqueConstraint,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection

from index.store import events, metadata
from nlp.actions import Action, ArticleInfo, Resolution, article_info, resolve_article

action_state = Table(
    "action_state",
    metadata,
    Column("action_id", String(40), primary_key=True),
    Column("measure", String(40), index=True),
    Column("jurisdiction", String(10)),
    Column("data", JSON, nullable=False),  # nlp.actions.Action.to_json()
    Column("updated_at", String(40)),
)

action_links = Table(
    "action_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("old_id", String(40), nullable=False, index=True),
    Column("new_id", String(40), nullable=False, index=True),
    Column("kind", String(10), nullable=False),  # merge | split
    Column("created_at", String(40), nullable=False),
    UniqueConstraint("old_id", "new_id", name="uq_action_link"),
)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class StoreState:
    """nlp.actions.ResolverState over one open transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.cache: dict[str, Action | None] = {}

    def _load(self, rows: Any) -> list[Action]:
        out = []
        for row in rows:
            aid = row.action_id
            if aid not in self.cache:
                self.cache[aid] = Action.from_json(row.data)
            action = self.cache[aid]
            if action is not None:
                out.append(action)
        return out

    def candidates(self, measure: str, jurisdiction: str) -> list[Action]:
        rows = self.conn.execute(select(action_state.c.action_id, action_state.c.data).where(
            action_state.c.measure == measure, action_state.c.jurisdiction == jurisdiction))
        return [a for a in self._load(rows) if a.members]

    def get(self, action_id: str) -> Action | None:
        if action_id not in self.cache:
            rows = self.conn.execute(select(action_state.c.action_id, action_state.c.data)
                                     .where(action_state.c.action_id == action_id))
            found = self._load(rows)
            self.cache[action_id] = found[0] if found else None
        return self.cache[action_id]

    def of_article(self, article_id: str) -> list[Action]:
        ids = set(self.conn.scalars(select(events.c.action_id)
                                    .where(events.c.article_id == article_id)))
        found = [self.get(aid) for aid in sorted(ids)]
        return [a for a in found if a is not None and article_id in a.members]

    def put(self, action: Action) -> None:
        self.cache[action.id] = action
        values = {"measure": action.measure, "jurisdiction": action.jurisdiction,
                  "data": action.to_json(), "updated_at": _now()}
        if self.conn.execute(update(action_state).where(action_state.c.action_id == action.id)
                             .values(values)).rowcount == 0:
            self.conn.execute(insert(action_state).values(action_id=action.id, **values))


def resolve_stored(conn: Connection, article: dict[str, Any],
                   analysis_events: list[dict[str, Any]]) -> Resolution:
    """Resolve one stored article's events inside the caller's transaction; records
    merges and splits. ``article`` needs ``id`` and, when known, ``text``, ``title``,
    ``published`` and the analysis ``regulators``."""
    info: ArticleInfo = article_info(article)
    res = resolve_article(analysis_events, info, StoreState(conn))
    stamp = _now()
    for link in res.links:
        for new in link.new:
            if new == link.old:
                continue
            exists = conn.scalar(select(action_links.c.id).where(
                action_links.c.old_id == link.old, action_links.c.new_id == new))
            if exists is None:
                conn.execute(insert(action_links).values(old_id=link.old, new_id=new,
                                                         kind=link.kind, created_at=stamp))
    return res


def _linked(conn: Connection, action_id: str, *, forward: bool) -> set[str]:
    """``action_id`` and every id reachable from it through action_links: to the ids
    it went to (``forward``), or from the ids that went into it."""
    src, dst = ((action_links.c.old_id, action_links.c.new_id) if forward
                else (action_links.c.new_id, action_links.c.old_id))
    seen, todo = {action_id}, [action_id]
    while todo:
        for nxt in conn.scalars(select(dst).where(src == todo.pop())):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def current_ids(conn: Connection, action_id: str) -> list[str]:
    """The ids an (old) action id stands for now: itself when it still has events,
    plus every action it was merged or split into, followed transitively."""
    out = []
    for aid in _linked(conn, action_id, forward=True):
        went_on = conn.scalar(select(action_links.c.id)
                              .where(action_links.c.old_id == aid).limit(1))
        alive = conn.scalar(select(events.c.pk).where(events.c.action_id == aid).limit(1))
        if alive is not None or went_on is None:
            out.append(aid)
    return sorted(out)


def ancestor_ids(conn: Connection, action_id: str) -> list[str]:
    """Every id that was merged or split into ``action_id`` (transitively), without it."""
    return sorted(_linked(conn, action_id, forward=False) - {action_id})
