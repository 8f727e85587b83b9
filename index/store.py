"""The store of record (SQLite by default, any SQLAlchemy URL at scale).

Every byte Toezicht keeps lives here: articles, their raw HTML (compressed), NLP
analyses and the events derived from them, and crawl runs. Elasticsearch is
rebuilt from this store, never the other way round.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import zstandard
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from index.ids import action_id

metadata = MetaData()

articles = Table(
    "articles",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("url", Text, nullable=False),
    Column("canonical_url", Text, nullable=False),
    Column("source", String(200), index=True),
    Column("kind", String(20), nullable=False, default="article"),  # article | not_article
    Column("reason", String(200)),  # why it is not an article
    Column("title", Text),
    Column("text", Text),
    Column("authors", JSON),
    Column("published", String(40), index=True),  # ISO date or datetime
    Column("published_precision", String(10)),  # day | month | year
    Column("modified", String(40)),
    Column("lang", String(8)),
    Column("section", Text),
    Column("image", Text),
    Column("http_status", Integer),
    Column("fetched_at", String(40)),
    Column("indexed_at", String(40), index=True),  # first stored (DESIGN: incremental key)
    Column("updated_at", String(40)),
    Column("es_synced_at", String(40), index=True),
    Column("nlp_version", String(40)),
    Column("relevant", Boolean, index=True),
    Column("relevance_score", Float),
    Column("analysis", JSON),
)

raw_pages = Table(
    "raw_pages",
    metadata,
    Column("article_id", String(40), ForeignKey("articles.id"), primary_key=True),
    # The name predates zstd; kept so existing stores open unchanged (see pack_html).
    Column("html_gz", LargeBinary, nullable=False),
    Column("encoding", String(40)),
    Column("headers", JSON),
    Column("fetched_at", String(40)),
)

events = Table(
    "events",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("article_id", String(40), ForeignKey("articles.id"), index=True, nullable=False),
    Column("action_id", String(20), index=True, nullable=False),
    Column("actor", String(100)),
    Column("jurisdiction", String(10)),
    Column("measure", String(40)),
    Column("target", String(200)),
    Column("status", String(20)),
    Column("date", String(40)),
    Column("evidence", Text),
    Column("confidence", Float),
)

crawl_runs = Table(
    "crawl_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", String(40), nullable=False),
    Column("finished_at", String(40)),
    # running | finished | interrupted | failed | abandoned (its process died: no heartbeat)
    Column("status", String(20), default="running"),
    Column("sources", JSON),
    Column("stats", JSON),  # {source: {discovered, fetched, new, failed, errors: {...}}}
    Column("pid", Integer),  # the crawl process, on ``host``
    Column("host", String(255)),
    Column("heartbeat_at", String(40)),  # last sign of life of a running crawl
)
# Added after the first release: stores made before get them on open (_add_run_columns).
RUN_COLUMNS_ADDED = ("pid", "host", "heartbeat_at")

# Tombstones of articles erased on request (``toezicht forget``, index/erasure.py): the
# article id (a hash of its canonical URL, index.ids) and the ids of the other URLs it
# was known by, never a URL or any text. A tombstoned id counts as stored for the
# crawler's "already stored?" check (:meth:`Store.known_ids`) and is never saved again
# (:meth:`Store.save_articles`), so no crawl, ``reprocess`` or index job brings it back.
forgotten = Table(
    "forgotten",
    metadata,
    Column("article_id", String(40), primary_key=True),  # the id that may not come back
    Column("article", String(40), nullable=False, index=True),  # the erased article's id
    Column("forgotten_at", String(40), nullable=False),
    Column("erasure_id", Integer),  # erasure_log.id
)


_ZSTD = zstandard.ZstdCompressor(level=3)
_GZIP_MAGIC = b"\x1f\x8b"


def pack_html(data: bytes) -> bytes:
    """Raw HTML as stored: zstd level 3 — on news pages as small as gzip -5 at a
    quarter of its CPU, which the crawler's single storing process feels."""
    return _ZSTD.compress(data)


def unpack_html(blob: bytes) -> bytes:
    """Inverse of :func:`pack_html`; also reads gzip blobs (older stores)."""
    if blob[:2] == _GZIP_MAGIC:
        return gzip.decompress(blob)
    return zstandard.ZstdDecompressor().decompress(blob)


class StoreError(Exception):
    """The store cannot be opened or written; reported as one line."""


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def version_stamp() -> str:
    """``articles.updated_at``: also the article's version, which a sync or rebuild
    compares with what it read before marking (index.sync_state), so to the
    microsecond: a second save within the same second is a new version too."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


class Store:
    """Thin data-access layer over SQLAlchemy Core; one instance per process."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = create_engine(url, future=True)
            if self.engine.dialect.name == "sqlite":
                event.listen(self.engine, "connect", _sqlite_pragmas)
            metadata.create_all(self.engine)
            _add_run_columns(self.engine)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open store {url}: {exc.__class__.__name__}: {exc}") from None

    # -- articles ---------------------------------------------------------
    def known_ids(self, ids: Iterable[str]) -> set[str]:
        """The ``ids`` stored, or erased on request (tombstoned): the crawler's "already
        stored?" check, so an erased article is never fetched again."""
        ids = list(ids)
        if not ids:
            return set()
        found: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                found.update(conn.scalars(select(articles.c.id).where(articles.c.id.in_(chunk))))
                found.update(_forgotten_among(conn, chunk))
        return found

    def forgotten_ids(self, ids: Iterable[str]) -> set[str]:
        """The ``ids`` erased on request (tombstoned)."""
        ids = list(ids)
        found: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                found.update(_forgotten_among(conn, ids[start : start + 500]))
        return found

    def save_articles(self, batch: list[dict[str, Any]]) -> int:
        """Insert or update articles (each with optional ``raw_html`` bytes/str and
        ``analysis`` dict). Returns how many were new. One transaction per batch.
        Articles erased on request (tombstoned, ``toezicht forget``) are skipped."""
        new = 0
        stamp = version_stamp()
        with self.engine.begin() as conn:
            ids = [a["id"] for a in batch]
            existing = set(conn.scalars(select(articles.c.id).where(articles.c.id.in_(ids))))
            erased = _forgotten_among(conn, ids)
            for item in batch:
                if item["id"] in erased:
                    continue
                item = dict(item)
                raw = item.pop("raw_html", None)
                encoding = item.pop("encoding", None)
                headers = item.pop("headers", None)
                analysis = item.pop("analysis", None)
                row = {k: v for k, v in item.items() if k in articles.c}
                row["updated_at"] = stamp
                row["es_synced_at"] = None
                if analysis is not None:
                    analysis = self._resolve(conn, item, analysis)
                    row.update(self._analysis_columns(analysis, item.get("nlp_version")))
                if item["id"] in existing:
                    row.pop("indexed_at", None)
                    conn.execute(update(articles).where(articles.c.id == item["id"]).values(row))
                else:
                    row.setdefault("indexed_at", stamp)
                    conn.execute(insert(articles).values(row))
                    new += 1
                if raw is not None:
                    self._put_raw(conn, item["id"], raw, encoding, headers, item.get("fetched_at"))
                if analysis is not None:
                    self._put_events(conn, item["id"], analysis)
        return new

    @staticmethod
    def _analysis_columns(analysis: dict[str, Any], version: str | None) -> dict[str, Any]:
        return {
            "analysis": analysis,
            "relevant": bool(analysis.get("relevant")),
            "relevance_score": analysis.get("relevance_score"),
            "nlp_version": version,
        }

    @staticmethod
    def _put_raw(conn: Any, aid: str, raw: bytes | str, encoding: Any, headers: Any,
                 fetched_at: Any) -> None:
        data = raw.encode("utf-8") if isinstance(raw, str) else raw
        conn.execute(delete(raw_pages).where(raw_pages.c.article_id == aid))
        conn.execute(
            insert(raw_pages).values(
                article_id=aid,
                html_gz=pack_html(data),
                encoding=encoding if isinstance(raw, bytes) else "utf-8",
                headers=headers,
                fetched_at=fetched_at,
            )
        )

    @staticmethod
    def _resolve(conn: Any, article: dict[str, Any], analysis: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``analysis`` whose events carry the ``action_id`` the action
        resolver (nlp.actions, state in index.resolution) gives them."""
        from index.resolution import resolve_stored

        evs = [dict(ev) for ev in analysis.get("events") or [] if isinstance(ev, dict)]
        record = {k: article.get(k) for k in ("id", "url", "lang", "published", "title", "text")}
        record["regulators"] = analysis.get("regulators") or []
        res = resolve_stored(conn, record, evs)
        for ev, aid in zip(evs, res.ids, strict=True):
            ev["action_id"] = aid
        return {**analysis, "events": evs}

    @staticmethod
    def _put_events(conn: Any, aid: str, analysis: dict[str, Any]) -> None:
        conn.execute(delete(events).where(events.c.article_id == aid))
        rows = [
            {
                "article_id": aid,
                "action_id": ev.get("action_id") or action_id(
                    ev.get("actor", ""), ev.get("measure", ""), ev.get("target", ""),
                    ev.get("jurisdiction", ""),
                ),
                **{k: ev.get(k) for k in
                   ("actor", "jurisdiction", "measure", "target", "status", "date", "evidence",
                    "confidence")},
            }
            for ev in analysis.get("events", [])
        ]
        if rows:
            conn.execute(insert(events), rows)

    def save_analysis(self, aid: str, analysis: dict[str, Any], version: str) -> None:
        with self.engine.begin() as conn:
            article = conn.execute(select(articles).where(articles.c.id == aid)).mappings().first()
            if article is None:  # gone (erased on request, say): no events without it
                return
            analysis = self._resolve(conn, dict(article), analysis)
            conn.execute(
                update(articles)
                .where(articles.c.id == aid)
                .values(updated_at=version_stamp(), es_synced_at=None,
                        **self._analysis_columns(analysis, version))
            )
            self._put_events(conn, aid, analysis)

    def get_article(self, aid: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(articles).where(articles.c.id == aid)).mappings().first()
        return dict(row) if row else None

    def raw_html(self, aid: str) -> bytes | None:
        """The page exactly as fetched (bytes, in its original encoding)."""
        with self.engine.connect() as conn:
            blob = conn.scalar(select(raw_pages.c.html_gz).where(raw_pages.c.article_id == aid))
        return unpack_html(blob) if blob is not None else None

    def raw_page(self, aid: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(raw_pages).where(raw_pages.c.article_id == aid)
            ).mappings().first()
        if row is None:
            return None
        out = dict(row)
        out["html"] = unpack_html(out.pop("html_gz"))
        return out

    def iter_articles(self, *, kind: str | None = "article", only_unsynced: bool = False,
                      batch: int = 500) -> Iterator[dict[str, Any]]:
        """Stream articles in id order with keyset pagination (flat memory)."""
        last = ""
        while True:
            query = select(articles).where(articles.c.id > last).order_by(articles.c.id)
            if kind:
                query = query.where(articles.c.kind == kind)
            if only_unsynced:
                query = query.where(articles.c.es_synced_at.is_(None))
            with self.engine.connect() as conn:
                rows = [dict(r) for r in conn.execute(query.limit(batch)).mappings()]
            if not rows:
                return
            yield from rows
            last = rows[-1]["id"]

    def count_articles(self, *, kind: str | None = "article", only_unsynced: bool = False) -> int:
        query = select(func.count()).select_from(articles)
        if kind:
            query = query.where(articles.c.kind == kind)
        if only_unsynced:
            query = query.where(articles.c.es_synced_at.is_(None))
        with self.engine.connect() as conn:
            return int(conn.scalar(query) or 0)

    def mark_synced(self, ids: Iterable[str], when: str | None = None) -> None:
        ids = list(ids)
        stamp = when or now_iso()
        with self.engine.begin() as conn:
            for start in range(0, len(ids), 500):
                conn.execute(
                    update(articles)
                    .where(articles.c.id.in_(ids[start : start + 500]))
                    .values(es_synced_at=stamp)
                )

    def events_for(self, aid: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(events).where(events.c.article_id == aid).order_by(events.c.pk)
            ).mappings()
            return [dict(r) for r in rows]

    # -- crawl runs -------------------------------------------------------
    def start_run(self, sources: list[str], *, pid: int | None = None,
                  host: str | None = None) -> int:
        stamp = now_iso()
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(crawl_runs).values(started_at=stamp, status="running", sources=sources,
                                          pid=pid, host=host, heartbeat_at=stamp)
            )
            return int(result.inserted_primary_key[0])

    def heartbeat_run(self, run_id: int, stats: dict[str, Any] | None = None) -> bool:
        """A running run's sign of life (and its stats so far); False when the run is
        no longer ``running``."""
        values: dict[str, Any] = {"heartbeat_at": now_iso()}
        if stats is not None:
            values["stats"] = stats
        with self.engine.begin() as conn:
            result = conn.execute(
                update(crawl_runs)
                .where(crawl_runs.c.id == run_id, crawl_runs.c.status == "running")
                .values(values)
            )
            return bool(result.rowcount)

    def running_runs(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(crawl_runs).where(crawl_runs.c.status == "running")
                .order_by(crawl_runs.c.id)
            ).mappings()
            return [dict(r) for r in rows]

    def abandon_run(self, run_id: int, heartbeat_at: str | None) -> bool:
        """Mark a run whose process is gone ``abandoned``, finished at its last
        heartbeat; only when it is still running with that heartbeat (it did not
        just beat or finish). True when it was marked."""
        beat = (crawl_runs.c.heartbeat_at.is_(None) if heartbeat_at is None
                else crawl_runs.c.heartbeat_at == heartbeat_at)
        with self.engine.begin() as conn:
            started = conn.scalar(select(crawl_runs.c.started_at)
                                  .where(crawl_runs.c.id == run_id))
            result = conn.execute(
                update(crawl_runs)
                .where(crawl_runs.c.id == run_id, crawl_runs.c.status == "running", beat)
                .values(status="abandoned", finished_at=heartbeat_at or started)
            )
            return bool(result.rowcount)

    def finish_run(self, run_id: int, stats: dict[str, Any], status: str = "finished") -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(crawl_runs)
                .where(crawl_runs.c.id == run_id)
                .values(finished_at=now_iso(), status=status, stats=stats)
            )

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(crawl_runs).order_by(crawl_runs.c.id.desc()).limit(limit)
            ).mappings()
            return [dict(r) for r in rows]


def _add_run_columns(engine: Engine) -> None:
    """Add the crawl_runs columns of :data:`RUN_COLUMNS_ADDED` a store lacks."""
    have = {c["name"] for c in inspect(engine).get_columns("crawl_runs")}
    missing = [name for name in RUN_COLUMNS_ADDED if name not in have]
    if not missing:
        return
    for name in missing:
        kind = crawl_runs.c[name].type.compile(dialect=engine.dialect)
        try:
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE crawl_runs ADD COLUMN {name} {kind}"))
        except SQLAlchemyError:  # another process opening the store added it first
            if name not in {c["name"] for c in inspect(engine).get_columns("crawl_runs")}:
                raise


def _forgotten_among(conn: Any, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    return set(conn.scalars(select(forgotten.c.article_id)
                            .where(forgotten.c.article_id.in_(ids))))


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
import index.alert_store  # noqa: E402, F401  (registers actions/alert_outbox tables on metadata)
import index.erasure  # noqa: E402, F401  (registers the erasure_log table)
import index.resolution  # noqa: E402, F401  (registers action_state/action_links tables)
import index.sync_state  # noqa: E402, F401  (registers index_state/index_loads tables)
