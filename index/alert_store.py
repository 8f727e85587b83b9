"""Canonical regulatory actions and the alert outbox (store of record).

After every crawl, :func:`fold_events` reads the events stored since the last
fold, merges them into ``actions`` (one row per action id, see DESIGN.md) and,
in the same transaction, enqueues one ``alert_outbox`` row per matching
subscription channel when the subscriber has not yet heard about the action
(``kind = new``) or hears about a stronger status (``kind = upgrade``:
potential → planned → actual). A second report of the same action (another
outlet, another language) has the same action id (``nlp.actions`` resolves it when
the article is stored) and alerts nobody again; an id merged or split into another
(``index.resolution``) counts as told for its successors.

Delivery is *at-least-once transport + idempotency key*: an outbox row is
committed before anything is sent, claimed with a lease, and marked sent only
after the channel accepted it. A crash before sending leaves the row pending;
a crash after sending but before marking re-sends it with the same
``delivery_id`` (webhook header ``X-Toezicht-Delivery``, e-mail ``Message-ID``,
Atom entry id) so receivers can drop the duplicate. UNIQUE(subscription,
channel, action_id, kind, status) makes re-running a fold harmless.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    Column,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    case,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from index.procs import pid_alive
from index.store import articles, crawl_runs, events, metadata

STATUS_RANK = {"potential": 1, "planned": 2, "actual": 3}
EVENT_FIELDS = ("actor", "jurisdiction", "measure", "target", "status", "date", "evidence",
                "confidence")

actions = Table(
    "actions",
    metadata,
    Column("action_id", String(40), primary_key=True),
    Column("actor", String(100)),
    Column("measure", String(40)),
    Column("target", String(200)),
    Column("jurisdiction", String(10)),
    Column("status", String(20)),  # strongest status seen
    Column("previous_status", String(20)),
    Column("first_seen", String(40), index=True),
    Column("last_seen", String(40)),
    Column("upgraded_at", String(40)),
    Column("sources", Integer, default=0),  # distinct articles reporting it
    Column("first_article_id", String(40)),
)

alert_outbox = Table(
    "alert_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # idempotency key sent to receivers (X-Toezicht-Delivery)
    Column("delivery_id", String(40), nullable=False, index=True),
    Column("subscription", String(100), nullable=False),
    Column("channel", String(20), nullable=False),  # webhook | email | atom
    Column("action_id", String(80), nullable=False),
    Column("kind", String(20), nullable=False),  # new | upgrade | source_health | test
    Column("status", String(40), nullable=False, default=""),
    Column("payload", JSON, nullable=False),
    Column("created_at", String(40), nullable=False, index=True),
    Column("state", String(10), nullable=False, default="pending", index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", String(40), nullable=False),
    Column("claimed_by", String(120)),
    Column("claimed_until", String(40)),
    Column("sent_at", String(40)),
    Column("last_error", Text),
    UniqueConstraint("subscription", "channel", "action_id", "kind", "status",
                     name="uq_alert_outbox_item"),
)

alert_state = Table(
    "alert_state",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", String(200)),
)


class Subscriber(Protocol):
    """What folding needs from a subscription (see toezicht.alerts.subscriptions)."""

    name: str
    source_health: bool

    @property
    def channel_names(self) -> list[str]: ...

    def matches(self, event: dict[str, Any], article: dict[str, Any]) -> bool: ...


@dataclass
class FoldResult:
    events: int = 0
    new_actions: list[str] = field(default_factory=list)
    upgraded_actions: list[str] = field(default_factory=list)
    enqueued: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"events": self.events, "new_actions": len(self.new_actions),
                "upgraded_actions": len(self.upgraded_actions), "enqueued": self.enqueued}


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).replace(microsecond=0).isoformat()


def rank(status: str | None) -> int:
    return STATUS_RANK.get((status or "").strip().lower(), 0)


# -- state -------------------------------------------------------------------
def _lock_state(conn: Connection, key: str, default: str = "0") -> str:
    """Read a state value inside a write lock: the no-op UPDATE takes SQLite's
    write lock (or the row lock on PostgreSQL) before anything is read."""
    if conn.execute(update(alert_state).where(alert_state.c.key == key)
                    .values(value=alert_state.c.value)).rowcount == 0:
        try:
            with conn.begin_nested():
                conn.execute(insert(alert_state).values(key=key, value=default))
        except IntegrityError:
            pass
    return str(conn.scalar(select(alert_state.c.value).where(alert_state.c.key == key)))


def _set_state(conn: Connection, key: str, value: str) -> None:
    conn.execute(update(alert_state).where(alert_state.c.key == key).values(value=value))


def _insert_ignore(conn: Connection, row: dict[str, Any]) -> bool:
    """Insert an outbox row unless the same (subscription, channel, action, kind,
    status) exists. Returns True when inserted."""
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        stmt = dialect_insert(alert_outbox).values(row).on_conflict_do_nothing()
        return conn.execute(stmt).rowcount == 1
    try:
        with conn.begin_nested():
            conn.execute(insert(alert_outbox).values(row))
        return True
    except IntegrityError:
        return False


def new_delivery_id() -> str:
    return uuid.uuid4().hex


def outbox_row(subscription: str, channel: str, action_id: str, kind: str, status: str,
               payload: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """A fresh pending outbox row (not yet inserted)."""
    stamp = _iso(now or utcnow())
    delivery_id = new_delivery_id()
    payload = {**payload, "delivery_id": delivery_id}
    return {"delivery_id": delivery_id, "subscription": subscription, "channel": channel,
            "action_id": action_id, "kind": kind, "status": status or "", "payload": payload,
            "created_at": stamp, "state": "pending", "attempts": 0, "next_attempt_at": stamp}


def enqueue(engine: Engine, rows: Iterable[dict[str, Any]]) -> list[int]:
    """Insert outbox rows (ignoring duplicates); returns the ids of inserted rows."""
    ids: list[int] = []
    with engine.begin() as conn:
        for row in rows:
            if _insert_ignore(conn, row):
                ids.append(int(conn.scalar(select(alert_outbox.c.id).where(
                    alert_outbox.c.delivery_id == row["delivery_id"]))))
    return ids


# -- folding -----------------------------------------------------------------
_ARTICLE_COLS = ("url", "title", "text", "lang", "source", "published", "indexed_at",
                 "relevant", "analysis")


def _article_view(row: dict[str, Any]) -> dict[str, Any]:
    analysis = row.get("analysis") or {}
    return {
        "id": row["article_id"],
        **{c: row.get(c) for c in _ARTICLE_COLS if c != "analysis"},
        "countries": list(analysis.get("countries") or []),
        "regulators": [r.get("id") if isinstance(r, dict) else r
                       for r in analysis.get("regulators") or []],
        "platforms": list(analysis.get("platforms") or []),
    }


def _event_view(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in EVENT_FIELDS}


def _strongest(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return max(items, key=lambda r: (rank(r["status"]), r.get("confidence") or 0.0, -r["pk"]))


def action_sources(conn: Connection, aid: str, limit: int = 20) -> list[dict[str, Any]]:
    """Articles reporting an action, oldest first (the links an alert quotes)."""
    rows = conn.execute(
        select(articles.c.id, articles.c.url, articles.c.title, articles.c.lang,
               articles.c.source, articles.c.published, articles.c.indexed_at)
        .join(events, events.c.article_id == articles.c.id)
        .where(events.c.action_id == aid)
        .group_by(articles.c.id)
        .order_by(articles.c.indexed_at, articles.c.id)
        .limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


def _payload(kind: str, subscription: str, action: dict[str, Any], told: str | None,
             ev: dict[str, Any], sources: list[dict[str, Any]]) -> dict[str, Any]:
    art = _article_view(ev)
    return {
        "kind": kind,
        "subscription": subscription,
        "action": {k: action.get(k) for k in
                   ("action_id", "actor", "measure", "target", "jurisdiction", "status",
                    "first_seen", "last_seen", "sources")},
        "status": ev["status"],
        "previous_status": told,
        "event": _event_view(ev),
        "article": {k: art.get(k) for k in
                    ("id", "url", "title", "lang", "source", "published", "indexed_at")},
        "sources": [{k: s.get(k) for k in ("url", "title", "lang", "source", "published")}
                    for s in sources],
    }


def _told(conn: Connection, sub: str, channel: str, aid: str) -> int | None:
    """The strongest status this channel heard about the action, under its id or
    any id merged or split into it (index.resolution): no second alert after a merge."""
    from index.resolution import ancestor_ids

    statuses = conn.scalars(
        select(alert_outbox.c.status).where(
            alert_outbox.c.subscription == sub, alert_outbox.c.channel == channel,
            alert_outbox.c.action_id.in_([aid, *ancestor_ids(conn, aid)]),
            alert_outbox.c.kind.in_(("new", "upgrade")))
    ).all()
    return max((rank(s) for s in statuses), default=None) if statuses else None


def fold_events(engine: Engine, subscriptions: Sequence[Subscriber], *,
                relevant_only: bool = True, now: datetime | None = None,
                quiet: Callable[[Connection, list[str]], set[str]] | None = None
                ) -> FoldResult:
    """Merge events stored since the last fold into ``actions`` and enqueue alerts
    for matching subscriptions, all in one transaction. Safe to run repeatedly
    and from several processes at once.

    ``quiet(conn, article_ids)`` names the articles whose events fold into actions but
    alert nobody; by default the backfilled ones not allowed to
    (``index.backfill_state.quiet_articles``: ``toezicht backfill`` without
    ``--alerts``, or reported before its ``--alert-since``)."""
    result = FoldResult()
    stamp = _iso(now or utcnow())
    with engine.begin() as conn:
        watermark = int(_lock_state(conn, "fold_watermark"))
        cols = [events.c[k] for k in ("pk", "article_id", "action_id", *EVENT_FIELDS)]
        cols += [articles.c[k] for k in _ARTICLE_COLS]
        rows = [dict(r) for r in conn.execute(
            select(*cols).join(articles, articles.c.id == events.c.article_id)
            .where(events.c.pk > watermark).order_by(events.c.pk)).mappings()]
        if not rows:
            return result
        last_pk = max(r["pk"] for r in rows)
        if relevant_only:
            rows = [r for r in rows if r["relevant"] and rank(r["status"])]
        if quiet is None:
            from index.backfill_state import quiet_articles as quiet
        muted = quiet(conn, sorted({r["article_id"] for r in rows}))
        result.events = len(rows)
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            groups[r["action_id"]].append(r)
        for aid, evs in groups.items():
            best = _strongest(evs)
            nsources = int(conn.scalar(select(func.count(func.distinct(events.c.article_id)))
                                       .where(events.c.action_id == aid)) or 0)
            existing = conn.execute(select(actions).where(actions.c.action_id == aid)
                                    ).mappings().first()
            if existing is None:
                conn.execute(insert(actions).values(
                    action_id=aid, **{k: best[k] for k in
                                      ("actor", "measure", "target", "jurisdiction", "status")},
                    first_seen=stamp, last_seen=stamp, sources=nsources,
                    first_article_id=best["article_id"]))
                result.new_actions.append(aid)
            elif rank(best["status"]) > rank(existing["status"]):
                conn.execute(update(actions).where(actions.c.action_id == aid).values(
                    status=best["status"], previous_status=existing["status"],
                    upgraded_at=stamp, last_seen=stamp, sources=nsources))
                result.upgraded_actions.append(aid)
            else:
                conn.execute(update(actions).where(actions.c.action_id == aid)
                             .values(last_seen=stamp, sources=nsources))
            action = dict(conn.execute(select(actions).where(actions.c.action_id == aid))
                          .mappings().one())
            sources: list[dict[str, Any]] | None = None
            for sub in subscriptions:
                matching = [e for e in evs if e["article_id"] not in muted
                            and sub.matches(_event_view(e), _article_view(e))]
                if not matching:
                    continue
                ev = _strongest(matching)
                for channel in sub.channel_names:
                    told = _told(conn, sub.name, channel, aid)
                    if told is not None and rank(ev["status"]) <= told:
                        continue
                    kind = "new" if told is None else "upgrade"
                    told_name = next((s for s, n in STATUS_RANK.items() if n == told), None)
                    if sources is None:
                        sources = action_sources(conn, aid)
                    row = outbox_row(sub.name, channel, aid, kind, ev["status"],
                                     _payload(kind, sub.name, action, told_name, ev, sources),
                                     now)
                    result.enqueued += int(_insert_ignore(conn, row))
        _set_state(conn, "fold_watermark", str(last_pk))
    return result


def check_source_health(engine: Engine, subscriptions: Sequence[Subscriber], *,
                        history: int = 14, now: datetime | None = None) -> int:
    """Enqueue ``source_health`` alerts for the sources ``crawler.health`` flags in the
    latest finished crawl run: every request failed, or the new-article count fell
    below mean − 2σ of the source's previous ``history`` runs (at least 5). Each run
    is checked once. Returns the number of items enqueued."""
    from crawler.health import assess

    subs = [s for s in subscriptions if getattr(s, "source_health", False)]
    enqueued = 0
    with engine.begin() as conn:
        checked = int(_lock_state(conn, "health_run"))
        runs = [dict(r) for r in conn.execute(
            select(crawl_runs).where(crawl_runs.c.status != "running")
            .order_by(crawl_runs.c.id.desc()).limit(max(200, (history + 1) * 8))).mappings()]
        if not runs or runs[0]["id"] <= checked:
            return 0
        latest = runs[0]
        _set_state(conn, "health_run", str(latest["id"]))
        for health in assess(runs, window=history, sources=(latest.get("stats") or {}).keys()):
            if not health.flagged or health.run_id != latest["id"]:
                continue
            st = (latest.get("stats") or {}).get(health.source) or {}
            payload = {"kind": "source_health", "source": health.source,
                       "run_id": latest["id"], "reason": health.reason, "flags": health.flags,
                       "stats": st, "failures": health.failures, "history": health.history,
                       "last_success": health.last_success}
            for sub in subs:
                for channel in sub.channel_names:
                    row = outbox_row(sub.name, channel, f"source:{health.source}"[:80],
                                     "source_health", f"run-{latest['id']}",
                                     {**payload, "subscription": sub.name}, now)
                    enqueued += int(_insert_ignore(conn, row))
    return enqueued


# -- delivery bookkeeping ------------------------------------------------------
def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def release_stale_claims(engine: Engine, now: datetime | None = None) -> int:
    """Free claims whose lease expired or whose owner (on this host) has died, so a
    crash between claiming and sending delays nothing."""
    stamp = _iso(now or utcnow())
    host = socket.gethostname()
    freed = 0
    with engine.begin() as conn:
        rows = conn.execute(select(alert_outbox.c.id, alert_outbox.c.claimed_by,
                                   alert_outbox.c.claimed_until)
                            .where(alert_outbox.c.state == "pending",
                                   alert_outbox.c.claimed_by.is_not(None))).all()
        for oid, owner, until in rows:
            h, _, pid = (owner or "").rpartition(":")
            dead = h == host and pid.isdigit() and not pid_alive(int(pid))
            if dead or (until or "") < stamp:
                freed += conn.execute(update(alert_outbox).where(
                    alert_outbox.c.id == oid, alert_outbox.c.claimed_by == owner)
                    .values(claimed_by=None, claimed_until=None)).rowcount
    return freed


def claim_due(engine: Engine, *, limit: int = 500, lease: float = 300.0,
              ids: Iterable[int] | None = None, now: datetime | None = None,
              owner: str | None = None, after: int | None = None) -> list[dict[str, Any]]:
    """Claim pending items that are due (or the given ids) for this worker, oldest
    first (only ids above ``after``, to page through the outbox in one run); each
    claim is an atomic conditional UPDATE, so two deliverers never send one item
    at the same time. Increments ``attempts``."""
    when = now or utcnow()
    stamp = _iso(when)
    until = _iso(when + timedelta(seconds=lease))
    owner = owner or worker_id()
    free = or_(alert_outbox.c.claimed_by.is_(None), alert_outbox.c.claimed_until < stamp)
    due = and_(alert_outbox.c.state == "pending", alert_outbox.c.next_attempt_at <= stamp, free)
    query = select(alert_outbox.c.id).order_by(alert_outbox.c.id).limit(limit)
    query = query.where(alert_outbox.c.id.in_(list(ids))) if ids is not None else query
    query = query.where(alert_outbox.c.id > after) if after is not None else query
    claimed: list[dict[str, Any]] = []
    with engine.begin() as conn:
        candidates = conn.scalars(query.where(due)).all()
        for oid in candidates:
            n = conn.execute(update(alert_outbox).where(alert_outbox.c.id == oid, due).values(
                claimed_by=owner, claimed_until=until,
                attempts=alert_outbox.c.attempts + 1)).rowcount
            if n:
                claimed.append(dict(conn.execute(select(alert_outbox).where(
                    alert_outbox.c.id == oid)).mappings().one()))
    return claimed


def mark_sent(engine: Engine, ids: Iterable[int], now: datetime | None = None) -> None:
    stamp = _iso(now or utcnow())
    with engine.begin() as conn:
        for oid in ids:
            conn.execute(update(alert_outbox).where(alert_outbox.c.id == oid).values(
                state="sent", sent_at=stamp, claimed_by=None, claimed_until=None,
                last_error=None))


def backoff_seconds(attempts: int, base: float = 60.0, cap: float = 6 * 3600.0) -> float:
    """Exponential backoff: base, 2·base, 4·base, ... capped."""
    return min(cap, base * (2 ** max(0, attempts - 1)))


def mark_failed(engine: Engine, oid: int, error: str, *, max_attempts: int = 10,
                base: float = 60.0, cap: float = 6 * 3600.0,
                now: datetime | None = None) -> str:
    """Record a failed attempt: schedule a retry with backoff, or give up after
    ``max_attempts`` (state ``failed``). Returns the new state."""
    when = now or utcnow()
    with engine.begin() as conn:
        attempts = int(conn.scalar(select(alert_outbox.c.attempts)
                                   .where(alert_outbox.c.id == oid)) or 0)
        state = "failed" if attempts >= max_attempts else "pending"
        retry_at = when + timedelta(seconds=backoff_seconds(attempts, base, cap))
        conn.execute(update(alert_outbox).where(alert_outbox.c.id == oid).values(
            state=state, last_error=error[:2000], claimed_by=None, claimed_until=None,
            next_attempt_at=_iso(retry_at)))
    return state


def defer(engine: Engine, ids: Iterable[int], until: datetime, reason: str, *,
          owner: str | None = None) -> int:
    """Hand claimed items back untried: still pending, unclaimed, due again at
    ``until``, and the attempt their claim counted is taken back (an item skipped
    because its endpoint is down costs no attempt). Returns the number deferred."""
    owner = owner or worker_id()
    ids = list(ids)
    done = 0
    with engine.begin() as conn:
        for start in range(0, len(ids), 500):
            done += conn.execute(update(alert_outbox).where(
                alert_outbox.c.id.in_(ids[start:start + 500]),
                alert_outbox.c.state == "pending", alert_outbox.c.claimed_by == owner).values(
                attempts=case((alert_outbox.c.attempts > 0, alert_outbox.c.attempts - 1),
                              else_=0),
                claimed_by=None, claimed_until=None, next_attempt_at=_iso(until),
                last_error=reason[:2000])).rowcount
    return done


def requeue(engine: Engine, *, ids: Iterable[int] | None = None, since: str | None = None,
            subscription: str | None = None, now: datetime | None = None) -> list[int]:
    """Make items pending again for a deliberate re-send (``alerts replay``). Each
    gets a fresh ``delivery_id``: a replay is meant to reach the receiver again."""
    stamp = _iso(now or utcnow())
    query = select(alert_outbox.c.id, alert_outbox.c.payload).order_by(alert_outbox.c.id)
    if ids is not None:
        query = query.where(alert_outbox.c.id.in_(list(ids)))
    if since:
        query = query.where(alert_outbox.c.created_at >= since)
    if subscription:
        query = query.where(alert_outbox.c.subscription == subscription)
    done: list[int] = []
    with engine.begin() as conn:
        for oid, payload in conn.execute(query).all():
            delivery_id = new_delivery_id()
            conn.execute(update(alert_outbox).where(alert_outbox.c.id == oid).values(
                state="pending", attempts=0, next_attempt_at=stamp, claimed_by=None,
                claimed_until=None, sent_at=None, last_error=None, delivery_id=delivery_id,
                payload={**(payload or {}), "delivery_id": delivery_id, "replay": True}))
            done.append(oid)
    return done


def list_outbox(engine: Engine, *, state: str | None = None, subscription: str | None = None,
                limit: int = 50) -> list[dict[str, Any]]:
    query = select(alert_outbox).order_by(alert_outbox.c.id.desc()).limit(limit)
    if state:
        query = query.where(alert_outbox.c.state == state)
    if subscription:
        query = query.where(alert_outbox.c.subscription == subscription)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def get_actions(engine: Engine, limit: int = 50) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(actions).order_by(actions.c.first_seen.desc()).limit(limit)).mappings()]


import index.backfill_state  # noqa: E402, F401  (registers the backfill tables)
