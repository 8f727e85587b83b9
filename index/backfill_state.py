"""What a backfill from web archives (``toezicht backfill``) keeps in the store.

- ``backfill_files``: per WARC file (its URL or absolute path) the records and the byte
  offset done, its status (``running``, ``done``, ``failed``) and counters, so a killed
  backfill continues at the next record: articles are stored before the checkpoint
  that covers them, and an article already stored is never stored again.
- ``backfill_days``: per domain and day (WARC-Date) the HTML records read, prefiltered
  ones included: the denominator of "share of all coverage" for archived periods.
  Written in the same transaction as the checkpoint, so a rerun never counts twice.
- ``backfill_articles``: the articles a backfill stored and whether they may alert.
  ``index.alert_store.fold_events`` folds their events into actions like any other,
  but an article that may not alert (:func:`quiet_articles`) enqueues nothing: the
  archive's old actions do not flood subscribers.

Plain SQLAlchemy on the store's metadata (created with the other tables).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Integer,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    update,
)

from index.store import Store, metadata, now_iso

backfill_files = Table(
    "backfill_files",
    metadata,
    Column("file", String(1000), primary_key=True),  # URL or absolute path
    Column("status", String(20), nullable=False, default="running"),
    Column("records", Integer, nullable=False, default=0),  # records before ``offset``
    Column("byte_offset", BigInteger, nullable=False, default=0),  # next record's byte offset
    Column("size", BigInteger),
    Column("stats", JSON),  # counters over every run of this file
    Column("error", Text),
    Column("started_at", String(40)),
    Column("updated_at", String(40)),
    Column("finished_at", String(40)),
)

backfill_days = Table(
    "backfill_days",
    metadata,
    Column("domain", String(255), primary_key=True),
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD of WARC-Date (UTC)
    Column("html_records", Integer, nullable=False, default=0),
)

backfill_articles = Table(
    "backfill_articles",
    metadata,
    Column("article_id", String(40), primary_key=True),
    Column("file", String(1000)),
    Column("warc_date", String(40)),
    Column("alerts", Boolean, nullable=False, default=False),  # may its events alert?
)

BATCH = 500


def file_state(store: Store, file: str) -> dict[str, Any] | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(backfill_files).where(backfill_files.c.file == file)
                           ).mappings().first()
    return dict(row) if row else None


def files(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(backfill_files)
                                              .order_by(backfill_files.c.file)).mappings()]


def start_file(store: Store, file: str, size: int | None = None) -> dict[str, Any]:
    """The file's row (made when new, set ``running``): where to resume."""
    stamp = now_iso()
    with store.engine.begin() as conn:
        row = conn.execute(select(backfill_files).where(backfill_files.c.file == file)
                           ).mappings().first()
        if row is None:
            conn.execute(insert(backfill_files).values(
                file=file, status="running", records=0, byte_offset=0, size=size, stats={},
                started_at=stamp, updated_at=stamp))
            return {"file": file, "status": "running", "records": 0, "byte_offset": 0,
                    "size": size, "stats": {}}
        values: dict[str, Any] = {"updated_at": stamp}
        if row["status"] != "done":
            values.update(status="running", error=None)
        if size is not None:
            values["size"] = size
        conn.execute(update(backfill_files).where(backfill_files.c.file == file)
                     .values(values))
        return {**dict(row), **values}


def _add(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        if isinstance(value, Mapping):
            out[key] = _add(out.get(key) or {}, value)
        else:
            out[key] = (out.get(key) or 0) + value
    return out


def checkpoint(store: Store, file: str, *, records: int, offset: int,
               days: Mapping[tuple[str, str], int], stats: Mapping[str, Any],
               articles: Iterable[tuple[str, str | None, bool]] = (),
               status: str | None = None, error: str | None = None,
               size: int | None = None) -> None:
    """In one transaction: the file is done up to ``offset`` (``records`` records), the
    day counts and counters of the records since the last checkpoint are added, and
    the backfilled ``articles`` (id, WARC-Date, may alert) are recorded."""
    stamp = now_iso()
    with store.engine.begin() as conn:
        old = conn.scalar(select(backfill_files.c.stats).where(backfill_files.c.file == file))
        values: dict[str, Any] = {"records": records, "byte_offset": offset, "updated_at": stamp,
                                  "stats": _add(old or {}, stats)}
        if status:
            values["status"] = status
            if status in ("done", "failed"):
                values["finished_at"] = stamp
        if error is not None:
            values["error"] = error
        if size is not None:
            values["size"] = size
        conn.execute(update(backfill_files).where(backfill_files.c.file == file)
                     .values(values))
        for (domain, day), count in days.items():
            done = conn.execute(update(backfill_days).where(
                backfill_days.c.domain == domain, backfill_days.c.day == day).values(
                html_records=backfill_days.c.html_records + count)).rowcount
            if not done:
                conn.execute(insert(backfill_days).values(domain=domain, day=day,
                                                          html_records=count))
        rows = [{"article_id": aid, "file": file, "warc_date": when, "alerts": bool(alerts)}
                for aid, when, alerts in articles]
        if rows:
            have = set(conn.scalars(select(backfill_articles.c.article_id).where(
                backfill_articles.c.article_id.in_([r["article_id"] for r in rows]))))
            rows = [r for r in rows if r["article_id"] not in have]
            if rows:
                conn.execute(insert(backfill_articles), rows)


def day_counts(store: Store, domain: str | None = None) -> dict[tuple[str, str], int]:
    """HTML records read per (domain, day)."""
    query = select(backfill_days)
    if domain:
        query = query.where(backfill_days.c.domain == domain)
    with store.engine.connect() as conn:
        return {(r["domain"], r["day"]): int(r["html_records"])
                for r in conn.execute(query).mappings()}


def backfilled_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(backfill_articles)) or 0)


def quiet_articles(conn: Any, ids: Iterable[str]) -> set[str]:
    """The ``ids`` of backfilled articles whose events may not alert (the default of
    ``fold_events(quiet=...)``)."""
    ids = list(ids)
    found: set[str] = set()
    for start in range(0, len(ids), BATCH):
        found.update(conn.scalars(select(backfill_articles.c.article_id).where(
            backfill_articles.c.article_id.in_(ids[start:start + BATCH]),
            backfill_articles.c.alerts.is_(False))))
    return found
