"""What the store's ``es_synced_at`` marks describe, per Elasticsearch alias.

``articles.es_synced_at`` says "this version of the article is in the index". Which
index, though? The alias moves to a new concrete index at every rebuild, so a mark
only means something together with the concrete index it was set for:
``index_state`` keeps, per alias, the concrete index the marks describe
(``synced_index``). A sync marks an article only while that is still the index it
writes into, in the marking statement itself, so a rebuild's alias swap in between
leaves the article unmarked (and pushed again) rather than marked for the wrong index.

A rebuild sets no marks while it loads its new, not yet live, index: it records every
article it loaded, with the version (``updated_at``) it read, in ``index_loads``. After
the alias swap one transaction derives every mark from those rows (marked when the
article is unchanged since it was loaded, unmarked otherwise), points ``synced_index``
at the new index and drops the rows. So a rebuild killed before the swap leaves the
marks as they were, still true of the old and still live index; killed after the swap,
the next sync finds the rows of the now live index and runs that transaction itself.
When the live index is neither the recorded one nor a finished rebuild's (first run
of a store made before this table, an index deleted by hand), the marks are not
trusted: ``index.es`` compares the ids of store and index and repairs the difference.

Nothing here talks to Elasticsearch (``index.es`` does); this is plain SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import (
    Column,
    String,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from index.store import Store, articles, metadata, now_iso

index_state = Table(
    "index_state",
    metadata,
    Column("alias", String(255), primary_key=True),
    Column("synced_index", String(255)),  # the concrete index es_synced_at marks describe
    Column("updated_at", String(40)),
)

index_loads = Table(
    "index_loads",
    metadata,
    Column("index_name", String(255), primary_key=True),  # a rebuild's new index
    Column("article_id", String(40), primary_key=True),
    Column("version", String(40)),  # articles.updated_at as loaded
)

BATCH = 500


def synced_index(store: Store, alias: str) -> str | None:
    """The concrete index the marks describe for ``alias`` (None: not recorded)."""
    with store.engine.connect() as conn:
        return conn.scalar(select(index_state.c.synced_index)
                           .where(index_state.c.alias == alias))


def _record(conn: Any, alias: str, index: str) -> None:
    values = {"synced_index": index, "updated_at": now_iso()}
    done = conn.execute(update(index_state).where(index_state.c.alias == alias).values(values))
    if not done.rowcount:
        conn.execute(insert(index_state).values(alias=alias, **values))


def adopt(store: Store, alias: str, index: str) -> None:
    """Record that the marks now describe ``index`` (after they were checked against it)."""
    with store.engine.begin() as conn:
        _record(conn, alias, index)


def mark_synced_unchanged(store: Store, versions: dict[str, str | None], ids: list[str],
                          when: str, alias: str, index: str) -> None:
    """Mark articles synced unless they changed (``updated_at``) since they were read, so
    a concurrent save is pushed by the next sync instead of being lost, and only while
    ``index`` is still the one the marks describe (a rebuild may have swapped the alias
    since the documents went out)."""
    current = (select(index_state.c.alias)
               .where(and_(index_state.c.alias == alias, index_state.c.synced_index == index))
               .exists())
    never, seen = [], []
    for aid in ids:
        version = versions.pop(aid, None)
        if version is None:
            never.append({"aid": aid})
        else:
            seen.append({"aid": aid, "seen": version})
    with store.engine.begin() as conn:  # one prepared statement each, executemany
        if never:
            conn.execute(update(articles).where(and_(
                articles.c.id == bindparam("aid"), articles.c.updated_at.is_(None), current))
                .values(es_synced_at=when), never)
        if seen:
            conn.execute(update(articles).where(and_(
                articles.c.id == bindparam("aid"), articles.c.updated_at == bindparam("seen"),
                current)).values(es_synced_at=when), seen)


def mark_unsynced(store: Store, ids: Iterable[str]) -> None:
    """Clear the marks of ``ids`` (the index lacks them), so the next push sends them."""
    ids = list(ids)
    with store.engine.begin() as conn:
        for start in range(0, len(ids), BATCH):
            conn.execute(update(articles).where(articles.c.id.in_(ids[start:start + BATCH]))
                         .values(es_synced_at=None))


def unmark_all(store: Store) -> None:
    """Clear every article's mark (the index holds nothing)."""
    with store.engine.begin() as conn:
        conn.execute(update(articles).where(articles.c.es_synced_at.is_not(None))
                     .values(es_synced_at=None))


def count_synced(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(articles).where(and_(
            articles.c.kind == "article", articles.c.es_synced_at.is_not(None)))) or 0)


def _ordered_id(store: Store) -> Any:
    """``articles.id`` compared byte-wise, the order Elasticsearch sorts keywords in."""
    name = store.engine.dialect.name
    if name == "postgresql":
        return articles.c.id.collate("C")
    if name in ("mysql", "mariadb"):
        return articles.c.id.collate("utf8mb4_bin")
    return articles.c.id  # SQLite: BINARY


def iter_article_ids(store: Store, batch: int = 5000) -> Iterator[str]:
    """Every article id (kind ``article``, what the index holds), in byte order, with
    keyset pagination (flat memory)."""
    column = _ordered_id(store)
    last = ""
    while True:
        query = (select(articles.c.id).where(and_(articles.c.kind == "article", column > last))
                 .order_by(column).limit(batch))
        with store.engine.connect() as conn:
            ids = list(conn.scalars(query))
        if not ids:
            return
        yield from ids
        last = ids[-1]


def article_ids_among(store: Store, ids: list[str]) -> set[str]:
    """The ``ids`` that are stored articles (kind ``article``)."""
    found: set[str] = set()
    with store.engine.connect() as conn:
        for start in range(0, len(ids), BATCH):
            found.update(conn.scalars(select(articles.c.id).where(and_(
                articles.c.id.in_(ids[start:start + BATCH]), articles.c.kind == "article"))))
    return found


# -- a rebuild's loads ----------------------------------------------------------------


def record_loaded(store: Store, index: str, versions: dict[str, str | None],
                  ids: list[str]) -> None:
    """Record that ``ids`` went into ``index`` (not live yet) at the versions read."""
    rows = [{"index_name": index, "article_id": aid, "version": versions.pop(aid, None)}
            for aid in ids]
    if rows:
        with store.engine.begin() as conn:
            conn.execute(insert(index_loads), rows)


def has_loads(store: Store, index: str) -> bool:
    with store.engine.connect() as conn:
        return conn.scalar(select(index_loads.c.article_id)
                           .where(index_loads.c.index_name == index).limit(1)) is not None


def loads_indices(store: Store) -> list[str]:
    """Indices with recorded loads (rebuilds not finalised)."""
    with store.engine.connect() as conn:
        return sorted(conn.scalars(select(index_loads.c.index_name).distinct()))


def drop_loads(store: Store, index: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(delete(index_loads).where(index_loads.c.index_name == index))


def finalize(store: Store, alias: str, index: str, when: str | None = None) -> dict[str, int]:
    """After the alias moved to ``index`` (a rebuild's): in one transaction, mark every
    article synced that ``index`` holds at its current version and unmark every other,
    record ``index`` as the one the marks describe and drop its load rows. Returns
    ``{"loaded", "unsynced"}``."""
    when = when or now_iso()
    loaded = (select(index_loads.c.article_id).where(and_(
        index_loads.c.index_name == index,
        index_loads.c.article_id == articles.c.id,
        or_(index_loads.c.version == articles.c.updated_at,
            and_(index_loads.c.version.is_(None), articles.c.updated_at.is_(None)))))
        .exists())
    with store.engine.begin() as conn:
        count = int(conn.scalar(select(func.count()).select_from(index_loads)
                                .where(index_loads.c.index_name == index)) or 0)
        conn.execute(update(articles).where(articles.c.kind == "article")
                     .values(es_synced_at=case((loaded, when), else_=None)))
        conn.execute(delete(index_loads).where(index_loads.c.index_name == index))
        _record(conn, alias, index)
        unsynced = int(conn.scalar(select(func.count()).select_from(articles).where(and_(
            articles.c.kind == "article", articles.c.es_synced_at.is_(None)))) or 0)
    return {"loaded": count, "unsynced": unsynced}
