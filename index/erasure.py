"""Erasure on request (``toezicht forget``): the store's side.

Two operations, each recorded in ``erasure_log`` (when, what kind, how many rows of
what; for names a keyed hash, never the name):

- :func:`forget_articles` removes articles completely, in one transaction: the
  article row, its raw HTML, its events, its contribution to every action it was a
  source of (``action_state`` members; an action left with no source is deleted from
  ``action_state`` and from the alerts' ``actions``; ``action_links`` stay, as
  history), its story signature (other articles of its story get a new story id),
  and its traces in the alert outbox: alerts already sent stay in the history but
  lose the article's title, URL and evidence quote; alerts not yet sent that quote
  it are not sent (state ``failed``, with the reason). A tombstone
  (``index.store.forgotten``: id hashes only) keeps it from coming back.
- :func:`redact_names` replaces names with ``[redacted]`` everywhere text is kept:
  article titles, texts, authors and analyses, event evidence and targets, the
  resolver's action state (case keys are single words of the evidence: the words of
  the names are dropped from the members of touched articles), the alerts' actions and
  the outbox payloads, and the raw HTML (see :meth:`Redactor.html`), in batches of
  one transaction each. Touched articles get a new version and lose their synced
  mark, so any sync pushes them again.

Nothing here talks to Elasticsearch: the caller (toezicht/commands/forget.py)
deletes or re-indexes the ids returned (index/es.py). The SQLite FTS5 index, when
the store has one (index/search/sqlite_backend.py), follows by its own queue:
changed articles are queued by its triggers, deleted ones here (it has no trigger
on delete). On SQLite the connections doing the erasure run with ``secure_delete``,
so freed pages are overwritten rather than left in the file.
"""

from __future__ import annotations

import codecs
import getpass
import hashlib
import hmac
import html
import re
import socket
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Integer,
    String,
    Table,
    Text,
    cast,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection

from index.store import (
    Store,
    articles,
    events,
    forgotten,
    metadata,
    now_iso,
    pack_html,
    raw_pages,
    unpack_html,
    version_stamp,
)

REDACTED = "[redacted]"
BATCH = 500
Progress = Callable[[int, int], None]

erasure_log = Table(
    "erasure_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("kind", String(10), nullable=False),  # article | name
    Column("requested", Integer, nullable=False),  # references or names asked for
    Column("name_hashes", JSON),  # kind name: one keyed hash per name (name_hash)
    Column("counts", JSON, nullable=False),  # rows changed, by what
    Column("state", String(20), nullable=False),  # running | done | index pending
    Column("note", Text),  # what the search indexes did, or why they could not
    Column("operator", String(200)),  # user@host that ran it
)


def name_hash(name: str, key: bytes) -> str:
    """HMAC-SHA256 of a normalised name under the data directory's erasure key: the
    log can say "this name was erased" to whoever has the key and asks with the name,
    and tells nobody else which name it was."""
    norm = " ".join(unicodedata.normalize("NFC", name).casefold().split())
    return hmac.new(key, norm.encode("utf-8"), hashlib.sha256).hexdigest()


def operator() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "?"
    return f"{user}@{socket.gethostname()}"[:200]


def _secure_delete(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete = ON")


def _new_log(conn: Connection, kind: str, requested: int, hashes: list[str] | None) -> int:
    result = conn.execute(insert(erasure_log).values(
        at=now_iso(), kind=kind, requested=requested, name_hashes=hashes, counts={},
        state="running", operator=operator()))
    return int(result.inserted_primary_key[0])


def log_started(store: Store, kind: str, requested: int,
                hashes: list[str] | None = None) -> int:
    with store.engine.begin() as conn:
        return _new_log(conn, kind, requested, hashes)


def log_finished(store: Store, log_id: int, *, counts: dict[str, int] | None = None,
                 state: str = "done", note: str | None = None) -> None:
    values: dict[str, Any] = {"state": state}
    if counts is not None:
        values["counts"] = counts
    if note is not None:
        values["note"] = note[:2000]
    with store.engine.begin() as conn:
        conn.execute(update(erasure_log).where(erasure_log.c.id == log_id).values(values))


def log_entries(store: Store, *, limit: int = 100,
                hashes: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The erasure log, newest first; with ``hashes``, only entries of those names."""
    wanted = set(hashes or ())
    with store.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(
            select(erasure_log).order_by(erasure_log.c.id.desc())).mappings()]
    if wanted:
        rows = [r for r in rows if wanted & set(r.get("name_hashes") or [])]
    return rows[:limit]


# -- looking articles up ---------------------------------------------------------------


def lookup(store: Store, ids: Iterable[str], urls: Iterable[str]
           ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Stored articles whose id is one of ``ids`` or whose discovered or canonical URL
    is one of ``urls`` (``id``, ``url``, ``canonical_url``); and the tombstoned among
    ``ids`` (``{id: erased article's id}``)."""
    ids, urls = sorted(set(ids)), sorted(set(urls))
    found: dict[str, dict[str, Any]] = {}
    tombs: dict[str, str] = {}
    cols = (articles.c.id, articles.c.url, articles.c.canonical_url)
    with store.engine.connect() as conn:
        for start in range(0, max(len(ids), len(urls)), BATCH):
            id_chunk, url_chunk = ids[start:start + BATCH], urls[start:start + BATCH]
            queries = []
            if id_chunk:
                queries.append(select(*cols).where(articles.c.id.in_(id_chunk)))
                tombs.update({r.article_id: r.article for r in conn.execute(
                    select(forgotten.c.article_id, forgotten.c.article)
                    .where(forgotten.c.article_id.in_(id_chunk)))})
            if url_chunk:
                queries.append(select(*cols).where(articles.c.url.in_(url_chunk)))
                queries.append(select(*cols).where(articles.c.canonical_url.in_(url_chunk)))
            for query in queries:
                found.update({r["id"]: dict(r) for r in conn.execute(query).mappings()})
    return [found[k] for k in sorted(found)], tombs


# -- forgetting articles ---------------------------------------------------------------


@dataclass
class ForgetResult:
    log_id: int
    removed: list[str]  # article ids erased
    restoried: list[str]  # other articles whose story id changed (to index again)
    counts: dict[str, int] = field(default_factory=dict)
    outbox: list[int] = field(default_factory=list)  # outbox items changed


def _sqlite_table(conn: Connection, name: str) -> bool:
    return conn.dialect.name == "sqlite" and conn.execute(text(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"), {"n": name}
    ).first() is not None


def _queue_fts(conn: Connection, ids: Iterable[str]) -> None:
    """Queue ids for the SQLite FTS5 index (when the store has one): it drops what is
    no longer stored and re-reads what changed at its next fold."""
    ids = list(ids)
    if ids and _sqlite_table(conn, "search_queue"):
        conn.execute(text("INSERT INTO search_queue(article_id) VALUES (:aid)"),
                     [{"aid": aid} for aid in ids])


def _chunks(items: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _remove_members(conn: Connection, ids: list[str]) -> tuple[set[str], int, int]:
    """Take the articles' contributions out of every action they are a member of.
    Returns (action ids concerned, changed, deleted: left with no member)."""
    from index.resolution import StoreState, action_state

    state = StoreState(conn)
    concerned: set[str] = set()
    for chunk in _chunks(ids):
        concerned.update(conn.scalars(select(events.c.action_id).distinct()
                                      .where(events.c.article_id.in_(chunk))))
    for aid in ids:  # members whose events are gone already (none, normally)
        concerned.update(conn.scalars(select(action_state.c.action_id).where(
            cast(action_state.c.data, Text).like(f'%"{aid}"%'))))
    changed = deleted = 0
    gone = set(ids)
    for act_id in sorted(concerned):
        action = state.get(act_id)
        if action is None or not gone & set(action.members):
            continue
        for aid in gone:
            action.members.pop(aid, None)
        if action.members:
            state.put(action)
            changed += 1
        else:
            conn.execute(delete(action_state).where(action_state.c.action_id == act_id))
            state.cache.pop(act_id, None)
            deleted += 1
    return concerned, changed, deleted


def _recount_actions(conn: Connection, action_ids: set[str], gone: set[str]
                     ) -> tuple[int, set[str]]:
    """The alerts' canonical ``actions`` after their events went: the source count
    again, another first article, or the row deleted when no source is left.
    Returns (rows updated, ids deleted)."""
    from index.alert_store import actions

    updated, dead = 0, set()
    for act_id in sorted(action_ids):
        row = conn.execute(select(actions.c.first_article_id)
                           .where(actions.c.action_id == act_id)).first()
        left = int(conn.scalar(select(func.count(func.distinct(events.c.article_id)))
                               .where(events.c.action_id == act_id)) or 0)
        if left == 0:
            dead.add(act_id)
        if row is None:
            continue
        if left == 0:
            conn.execute(delete(actions).where(actions.c.action_id == act_id))
            continue
        values: dict[str, Any] = {"sources": left}
        if row.first_article_id in gone:
            values["first_article_id"] = conn.scalar(
                select(articles.c.id).join(events, events.c.article_id == articles.c.id)
                .where(events.c.action_id == act_id)
                .order_by(articles.c.indexed_at, articles.c.id).limit(1))
        conn.execute(update(actions).where(actions.c.action_id == act_id).values(values))
        updated += 1
    return updated, dead


def _outbox_pass(conn: Connection, change: Callable[[dict[str, Any]], tuple[Any, bool]]
                 ) -> list[int]:
    """Apply ``change(row) -> (new payload or None, fail it)`` to every outbox item
    (keyset, flat memory). Returns the ids changed."""
    from index.alert_store import alert_outbox

    done: list[int] = []
    last = 0
    while True:
        rows = [dict(r) for r in conn.execute(
            select(alert_outbox.c.id, alert_outbox.c.payload, alert_outbox.c.state,
                   alert_outbox.c.action_id)
            .where(alert_outbox.c.id > last).order_by(alert_outbox.c.id).limit(BATCH))
            .mappings()]
        if not rows:
            return done
        for row in rows:
            payload, fail = change(row)
            values: dict[str, Any] = {}
            if payload is not None:
                values["payload"] = payload
            if fail and row["state"] == "pending":
                values.update(state="failed", claimed_by=None, claimed_until=None,
                              last_error="not sent: the article it reports was erased "
                                         "(toezicht forget)")
            if values:
                conn.execute(update(alert_outbox).where(alert_outbox.c.id == row["id"])
                             .values(values))
                done.append(row["id"])
        last = rows[-1]["id"]


def _scrub_article(ids: set[str], urls: set[str], dead: set[str]
                   ) -> Callable[[dict[str, Any]], tuple[Any, bool]]:
    def change(row: dict[str, Any]) -> tuple[Any, bool]:
        payload = row["payload"]
        if not isinstance(payload, dict):
            return None, False
        new, own = dict(payload), False
        article = new.get("article")
        if isinstance(article, dict) and (article.get("id") in ids
                                          or article.get("url") in urls):
            own = True
            new["article"] = {"id": article.get("id"), "erased": True}
            if isinstance(new.get("event"), dict):
                new["event"] = {**new["event"], "evidence": None}
        sources = new.get("sources")
        if isinstance(sources, list):
            kept = [s for s in sources if not (isinstance(s, dict) and s.get("url") in urls)]
            if len(kept) != len(sources):
                new["sources"] = kept
        if new == payload:
            return None, own or row["action_id"] in dead
        return new, own or row["action_id"] in dead
    return change


def _restory(conn: Connection, ids: list[str]) -> list[str]:
    """Articles of a story started by an erased article get the smallest remaining id
    of the story as its id (so no story is named after an erased article)."""
    from index.search.stories import article_stories

    gone = set(ids)
    moved: list[str] = []
    for aid in ids:
        members = sorted(set(conn.scalars(select(article_stories.c.article_id)
                                          .where(article_stories.c.story_id == aid))) - gone)
        if not members:
            continue
        conn.execute(update(article_stories).where(
            article_stories.c.story_id == aid, article_stories.c.article_id.in_(members))
            .values(story_id=members[0]))
        moved.extend(members)
    return moved


def forget_articles(store: Store, targets: dict[str, set[str]], *, requested: int
                    ) -> ForgetResult:
    """Erase the stored articles ``targets`` names (``{article id: other ids it is
    known by}``, e.g. of its discovered URL), all in one transaction, and tombstone
    each with its other ids. Logged as one ``erasure_log`` entry (state ``running``
    until the caller has updated the search indexes: :func:`log_finished`)."""
    from index.search.stories import article_stories, ensure_table, story_bands
    from index.sync_state import index_loads

    ensure_table(store.engine)
    stamp = now_iso()
    with store.engine.begin() as conn:
        _secure_delete(conn)
        log_id = _new_log(conn, "article", requested, None)
        rows = []
        for chunk in _chunks(sorted(targets)):
            rows += [dict(r) for r in conn.execute(
                select(articles.c.id, articles.c.url, articles.c.canonical_url)
                .where(articles.c.id.in_(chunk))).mappings()]
        ids = sorted(r["id"] for r in rows)
        gone = set(ids)
        urls = {u for r in rows for u in (r["url"], r["canonical_url"]) if u}
        concerned, changed, deleted = _remove_members(conn, ids)
        n_events = 0
        for chunk in _chunks(ids):
            n_events += conn.execute(delete(events).where(events.c.article_id.in_(chunk))
                                     ).rowcount
        updated, dead = _recount_actions(conn, concerned, gone)
        outbox = _outbox_pass(conn, _scrub_article(gone, urls, dead))
        restoried = _restory(conn, ids)
        n_raw = n_articles = 0
        for chunk in _chunks(ids):
            n_raw += conn.execute(delete(raw_pages).where(raw_pages.c.article_id.in_(chunk))
                                  ).rowcount
            conn.execute(delete(story_bands).where(story_bands.c.article_id.in_(chunk)))
            conn.execute(delete(article_stories).where(article_stories.c.article_id.in_(chunk)))
            conn.execute(delete(index_loads).where(index_loads.c.article_id.in_(chunk)))
            n_articles += conn.execute(delete(articles).where(articles.c.id.in_(chunk))
                                       ).rowcount
        tombs = {(aid, aid) for aid in ids}
        tombs |= {(other, aid) for aid in ids for other in targets.get(aid, ()) if other}
        have: set[str] = set()
        for chunk in _chunks(sorted({t for t, _ in tombs})):
            have.update(conn.scalars(select(forgotten.c.article_id)
                                     .where(forgotten.c.article_id.in_(chunk))))
        new_tombs = [{"article_id": t, "article": a, "forgotten_at": stamp, "erasure_id": log_id}
                     for t, a in sorted(tombs) if t not in have]
        if new_tombs:
            conn.execute(insert(forgotten), new_tombs)
        for chunk in _chunks(restoried):
            conn.execute(update(articles).where(articles.c.id.in_(chunk))
                         .values(es_synced_at=None))
        _queue_fts(conn, [*ids, *restoried])
        counts = {"articles": n_articles, "raw_pages": n_raw, "events": n_events,
                  "actions_changed": changed, "actions_removed": deleted,
                  "alert_actions_updated": updated, "alerts_scrubbed": len(outbox),
                  "stories_renamed": len(restoried), "tombstones": len(new_tombs)}
        conn.execute(update(erasure_log).where(erasure_log.c.id == log_id)
                     .values(counts=counts))
    return ForgetResult(log_id=log_id, removed=ids, restoried=restoried, counts=counts,
                        outbox=outbox)


# -- redacting names -------------------------------------------------------------------

_TAG = re.compile(r"<[^>]*>")
_HTML_SPACE = r"(?:\s|&nbsp;|&#160;|&#x[aA]0;)+"


def clean_name(name: str) -> str:
    """A name as given, normalised (NFC, whitespace collapsed); ValueError when it
    is too short to redact safely."""
    norm = " ".join(unicodedata.normalize("NFC", name).split())
    if sum(c.isalnum() for c in norm) < 2:
        raise ValueError(f"--name {name!r} is too short to redact: give at least two letters")
    return norm


class Redactor:
    """Finds and replaces names as whole words, case-insensitively; the longest name
    first, any run of whitespace between its words. A possessive keeps its ending
    (``Jane Doe's`` → ``[redacted]'s``)."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = sorted({clean_name(n) for n in names}, key=lambda n: (-len(n), n))
        if not self.names:
            raise ValueError("no name to redact")

        def pattern(space: str) -> re.Pattern[str]:
            alts = [space.join(re.escape(w) for w in n.split()) for n in self.names]
            return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.IGNORECASE)

        self.text_rx = pattern(r"\s+")
        self.html_rx = pattern(_HTML_SPACE)
        self.words = {w.casefold() for n in self.names for w in n.split()}

    def found(self, value: Any) -> bool:
        if isinstance(value, str):
            return self.text_rx.search(value) is not None
        if isinstance(value, dict):
            return any(self.found(k) or self.found(v) for k, v in value.items())
        if isinstance(value, list | tuple):
            return any(self.found(v) for v in value)
        return False

    def value(self, value: Any) -> tuple[Any, int]:
        """``value`` with every name replaced in every string in it (dicts, lists)."""
        if isinstance(value, str):
            return self.text_rx.subn(REDACTED, value)
        if isinstance(value, dict):
            out, n = {}, 0
            for k, v in value.items():
                k2, a = self.value(k) if isinstance(k, str) else (k, 0)
                v2, b = self.value(v)
                out[k2] = v2
                n += a + b
            return out, n
        if isinstance(value, list | tuple):
            items = [self.value(v) for v in value]
            return [v for v, _ in items], sum(n for _, n in items)
        return value, 0

    def in_html(self, page: str) -> bool:
        """Whether a name is in the page, also split by tags or written with
        character references (what an extraction would find)."""
        if self.html_rx.search(page):
            return True
        return any(self.text_rx.search(html.unescape(_TAG.sub(sep, page)))
                   for sep in (" ", ""))

    def html(self, data: bytes, encoding: str | None) -> tuple[bytes | None, int]:
        """(page with the names replaced, replacements): bytes in the page's own
        encoding, unchanged when no name is in it, or None when the names cannot all be
        replaced in the markup (split by tags, character references, an encoding that
        does not decode and encode back the same): then the raw page is dropped rather
        than kept with a name that ``reprocess`` would extract again."""
        codec = encoding or "utf-8"
        try:
            codecs.lookup(codec)
            page = data.decode(codec, "surrogateescape")
            same = page.encode(codec, "surrogateescape") == data
        except (LookupError, UnicodeError):
            page, same = data.decode("utf-8", "replace"), False
        if not self.in_html(page):
            return data, 0
        if not same:
            return None, 1
        new, n = self.html_rx.subn(REDACTED, page)
        if self.in_html(new):
            return None, max(n, 1)
        return new.encode(codec, "surrogateescape"), n


@dataclass
class RedactResult:
    log_id: int | None
    touched: list[str]  # articles whose title, text, authors or analysis changed
    counts: dict[str, int] = field(default_factory=dict)
    outbox: list[int] = field(default_factory=list)


def _keyset(conn_factory: Callable[[], Any], table: Table, key: Any, cols: list[Any],
            batch: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    last: Any = None
    while True:
        query = select(*cols).order_by(key).limit(batch)
        if last is not None:
            query = query.where(key > last)
        with conn_factory() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        if not rows:
            return
        yield rows
        last = rows[-1][key.name]


def redact_names(store: Store, redactor: Redactor, *, dry_run: bool = False,
                 hashes: list[str] | None = None, progress: Progress | None = None
                 ) -> RedactResult:
    """Replace the names everywhere the store keeps text (see the module docstring);
    with ``dry_run`` only count what would change. Logged (not a dry run) as one
    ``erasure_log`` entry, state ``running`` until the caller finishes it."""
    counts = dict.fromkeys(("articles", "titles", "texts", "analyses", "events",
                            "raw_pages_redacted", "raw_pages_dropped", "actions",
                            "alert_actions", "alerts", "replacements"), 0)
    engine = store.engine
    with engine.connect() as conn:
        total = sum(int(conn.scalar(select(func.count()).select_from(t)) or 0)
                    for t in (articles, events, raw_pages))
    done = 0
    log_id = None if dry_run else log_started(store, "name", len(redactor.names), hashes)
    touched: list[str] = []

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    # articles: title, text, authors, section, analysis
    cols = [articles.c[k] for k in ("id", "title", "text", "authors", "section", "analysis")]
    for rows in _keyset(engine.connect, articles, articles.c.id, cols):
        changes = []
        for row in rows:
            values: dict[str, Any] = {}
            for col in ("title", "text", "authors", "section", "analysis"):
                if row[col] is not None and redactor.found(row[col]):
                    values[col], n = redactor.value(row[col])
                    counts["replacements"] += n
            if values:
                counts["articles"] += 1
                counts["titles"] += "title" in values
                counts["texts"] += "text" in values
                counts["analyses"] += "analysis" in values
                touched.append(row["id"])
                changes.append((row["id"], values))
        if changes and not dry_run:
            stamp = version_stamp()
            with engine.begin() as conn:
                for aid, values in changes:
                    conn.execute(update(articles).where(articles.c.id == aid)
                                 .values(**values, updated_at=stamp, es_synced_at=None))
        tick(len(rows))
    # events: evidence, target
    cols = [events.c.pk, events.c.article_id, events.c.evidence, events.c.target]
    event_articles: set[str] = set()
    for rows in _keyset(engine.connect, events, events.c.pk, cols):
        changes = []
        for row in rows:
            values = {}
            for col in ("evidence", "target"):
                if row[col] and redactor.found(row[col]):
                    values[col], n = redactor.value(row[col])
                    counts["replacements"] += n
            if values:
                counts["events"] += 1
                event_articles.add(row["article_id"])
                changes.append((row["pk"], values))
        if changes and not dry_run:
            with engine.begin() as conn:
                for pk, values in changes:
                    conn.execute(update(events).where(events.c.pk == pk).values(values))
        tick(len(rows))
    # raw HTML (and the headers kept with it: the feed title among them)
    cols = [raw_pages.c.article_id, raw_pages.c.html_gz, raw_pages.c.encoding,
            raw_pages.c.headers]
    for rows in _keyset(engine.connect, raw_pages, raw_pages.c.article_id, cols, batch=50):
        changes = []
        for row in rows:
            page, n = redactor.html(unpack_html(row["html_gz"]), row["encoding"])
            headers, m = redactor.value(row["headers"])
            if page is None:
                counts["raw_pages_dropped"] += 1
                changes.append((row["article_id"], None))
            elif n or m:
                counts["raw_pages_redacted"] += 1
                changes.append((row["article_id"], {"html_gz": pack_html(page) if n
                                                    else row["html_gz"], "headers": headers}))
            counts["replacements"] += n + m
        if changes and not dry_run:
            with engine.begin() as conn:
                _secure_delete(conn)
                for aid, values in changes:
                    if values is None:
                        conn.execute(delete(raw_pages).where(raw_pages.c.article_id == aid))
                    else:
                        conn.execute(update(raw_pages).where(raw_pages.c.article_id == aid)
                                     .values(values))
        tick(len(rows))
    # the resolver's actions: strings (targets) and the name's words as case keys
    from index.alert_store import actions
    from index.resolution import action_state

    mine = set(touched) | event_articles
    with engine.connect() as conn:
        states = [dict(r) for r in conn.execute(
            select(action_state.c.action_id, action_state.c.data)).mappings()]
    state_changes = []
    for row in states:
        data = row["data"]
        if not isinstance(data, dict):
            continue
        new, n = redactor.value(data)
        for aid, member in (new.get("members") or {}).items():
            keys = member.get("keys") if isinstance(member, dict) else None
            if aid in mine and isinstance(keys, list):
                kept = [k for k in keys if k not in redactor.words and k != REDACTED]
                if len(kept) != len(keys):
                    member["keys"] = kept
                    n += 1
        if n:
            counts["actions"] += 1
            state_changes.append((row["action_id"], new))
    with engine.connect() as conn:
        action_rows = [dict(r) for r in conn.execute(
            select(actions.c.action_id, actions.c.target)).mappings()]
    action_changes = [(r["action_id"], redactor.value(r["target"])[0]) for r in action_rows
                      if r["target"] and redactor.found(r["target"])]
    counts["alert_actions"] = len(action_changes)
    outbox: list[int] = []

    def scrub(row: dict[str, Any]) -> tuple[Any, bool]:
        if not redactor.found(row["payload"]):
            return None, False
        return redactor.value(row["payload"])[0], False

    if dry_run:
        from index.alert_store import alert_outbox

        with engine.connect() as conn:
            for payload in conn.scalars(select(alert_outbox.c.payload)):
                counts["alerts"] += redactor.found(payload)
    else:
        with engine.begin() as conn:
            for act_id, data in state_changes:
                conn.execute(update(action_state).where(action_state.c.action_id == act_id)
                             .values(data=data))
            for act_id, target in action_changes:
                conn.execute(update(actions).where(actions.c.action_id == act_id)
                             .values(target=target))
            outbox = _outbox_pass(conn, scrub)
            counts["alerts"] = len(outbox)
            conn.execute(update(erasure_log).where(erasure_log.c.id == log_id)
                         .values(counts=counts))
    if progress:
        progress(total, total)
    return RedactResult(log_id=log_id, touched=touched, counts=counts, outbox=outbox)
