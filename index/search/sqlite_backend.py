"""The embedded search backend: SQLite FTS5 inside the store's own database.

For users without Elasticsearch (``search_backend = "sqlite"``). Three tables live
next to the store's ``articles``:

- ``search_docs``: one row per article with the filter columns (published as a
  naive UTC datetime, lang, source, relevant, story id) and the facet lists as JSON;
- ``search_terms``: (doc, field, value) for every facet value, indexed for filters
  and facet counts (``folded`` = case-folded value, so ``platform:grok`` matches
  ``Grok``);
- ``search_meta``: the index ``generation``, bumped by every change (and kept, not
  reset, by a rebuild), so each process knows when its in-memory facet postings
  (:class:`FacetPostings`) are stale;
- ``search_fts``: an FTS5 table holding title and text (stored, not indexed) and
  their token streams as Elasticsearch's analysers make them, analysed in Python
  (:mod:`index.search.analysis`): ``t``/``x`` plain (lower case, ASCII folded:
  ``Maleisië`` = ``maleisie``), ``t_nl``/``x_nl`` Snowball Dutch, ``t_en``/``x_en``
  Porter English; every title three ways, the text plainly and in the article's
  language (both when unknown), as in Elasticsearch. FTS5's ``unicode61``
  tokenizer only splits the streams on their spaces. A query word is analysed
  the same three ways and matches when a column's analysis of it matches that
  column (Elasticsearch's fields, see ``es_backend._text_fields``); highlights are
  put back onto the stored text by token position (the streams line up with it);
- ``search_meta`` also keeps the ``analysis`` version the index was built with: an
  index built with another one (or the old porter-stemmed one) is dropped and
  rebuilt when the backend first opens it.

Triggers on ``articles`` queue every inserted or changed article in
``search_queue``; each search first folds the queue into the index (cheap when
empty), so the index follows the store without a separate sync step.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from index.search import analysis
from index.search import stories as story_index
from index.search.base import Progress, SearchBackend, SearchResults, export_row
from index.search.query import (
    And,
    Node,
    Not,
    Or,
    Phrase,
    SearchParams,
    Term,
    normalise_published,
)

LIST_FIELDS = ("countries", "regulators", "platforms", "measures", "statuses")
FACETS = ("lang", "countries", "regulators", "platforms", "measures", "statuses", "source")
ATTR_FIELD = {"langs": "lang", "countries": "countries", "regulators": "regulators",
              "platforms": "platforms", "measures": "measures", "statuses": "statuses",
              "sources": "source"}
STORY_READ_AHEAD = 4  # a story page first reads this many times its stories' hits
TOKENIZER = "unicode61 remove_diacritics 2"  # on pre-analysed streams: splits only
ANALYSIS_VERSION = 1  # index.search.analysis.VERSION as stored in search_meta
# the analysed FTS5 columns per (part, analysis); title and text are columns 0 and 1
COLUMNS = {("title", "plain"): "t", ("title", "nl"): "t_nl", ("title", "en"): "t_en",
           ("text", "plain"): "x", ("text", "nl"): "x_nl", ("text", "en"): "x_en"}
FTS_COLUMNS = ("title", "text", *COLUMNS.values())
BM25 = "0.0, 0.0, 2.0, 3.0, 3.0, 1.0, 1.0, 1.0"  # title.nl^3 title.en^3 title^2 text
WATCHED = ("url", "source", "kind", "title", "text", "published", "lang", "relevant",
           "relevance_score", "analysis", "indexed_at")

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS search_docs (
    rowid INTEGER PRIMARY KEY,
    article_id TEXT NOT NULL UNIQUE,
    url TEXT, title TEXT, source TEXT, lang TEXT, published TEXT, indexed_at TEXT,
    relevant INTEGER NOT NULL DEFAULT 0, relevance_score REAL, story_id TEXT,
    data TEXT
);
CREATE INDEX IF NOT EXISTS ix_search_docs_published ON search_docs(published);
CREATE INDEX IF NOT EXISTS ix_search_docs_story ON search_docs(story_id);
CREATE TABLE IF NOT EXISTS search_terms (
    doc INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, folded TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_search_terms_filter ON search_terms(field, folded, doc);
CREATE INDEX IF NOT EXISTS ix_search_terms_doc ON search_terms(doc);
CREATE INDEX IF NOT EXISTS ix_search_terms_facet ON search_terms(field, value, doc);
CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO search_meta(key, value) VALUES ('generation', 0);
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
    title UNINDEXED, text UNINDEXED, {", ".join(COLUMNS.values())},
    tokenize = '{TOKENIZER}'
);
CREATE TABLE IF NOT EXISTS search_queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, article_id TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS search_queue_insert AFTER INSERT ON articles BEGIN
    INSERT INTO search_queue(article_id) VALUES (new.id);
END;
CREATE TRIGGER IF NOT EXISTS search_queue_update AFTER UPDATE OF {", ".join(WATCHED)}
ON articles BEGIN
    INSERT INTO search_queue(article_id) VALUES (new.id);
END;
"""
DROP = """
DROP TRIGGER IF EXISTS search_queue_insert;
DROP TRIGGER IF EXISTS search_queue_update;
DROP TABLE IF EXISTS search_queue;
DROP TABLE IF EXISTS search_fts;
DROP TABLE IF EXISTS search_terms;
DROP TABLE IF EXISTS search_docs;
UPDATE search_meta SET value = value + 1 WHERE key = 'generation';
"""


class SqliteSearchError(Exception):
    """The SQLite search index cannot be used (one line)."""


def _ints(text: str | None) -> np.ndarray:
    """A ``group_concat`` of integers as an int64 array (parsed in C, not row by row)."""
    if not text:
        return np.zeros(0, dtype=np.int64)
    return np.array(text.split(","), dtype=np.int64)


class FacetPostings:
    """Every facet value's documents, in memory, for one index generation.

    Facet counts for a result set are then one vectorised pass (a boolean mask of
    the hits gathered at each value's documents) instead of a GROUP BY over every
    matching document's terms; that pass does not depend on how broad the query
    is. Loaded with one ``group_concat`` per value (SQLite walks the
    ``(field, value, doc)`` index), so it is cheap to reload after a change."""

    def __init__(self, conn: sqlite3.Connection, generation: int) -> None:
        self.generation = generation
        self.keys: dict[str, list[str]] = {name: [] for name in FACETS}
        docs: dict[str, list[np.ndarray]] = {name: [] for name in FACETS}
        for field, value, joined in conn.execute(
                "SELECT field, value, group_concat(doc) FROM search_terms "
                "GROUP BY field, value"):
            if field in self.keys:
                self.keys[field].append(value)
                docs[field].append(_ints(joined))
        self.docs: dict[str, np.ndarray] = {}
        self.codes: dict[str, np.ndarray] = {}
        self.size = 1
        for name in FACETS:
            arrays = docs[name]
            self.docs[name] = np.concatenate(arrays) if arrays else np.zeros(0, np.int64)
            self.codes[name] = np.repeat(np.arange(len(arrays), dtype=np.int64),
                                         [len(a) for a in arrays])
            if len(self.docs[name]):
                self.size = max(self.size, int(self.docs[name].max()) + 1)

    def count(self, hits: np.ndarray, facet_size: int) -> dict[str, list[dict[str, Any]]]:
        """Top ``facet_size`` values per facet among ``hits`` (doc rowids), by count
        then value (what ``ORDER BY count DESC, value`` gives)."""
        mask = np.zeros(max(self.size, int(hits.max()) + 1 if len(hits) else 0), dtype=bool)
        mask[hits] = True
        out: dict[str, list[dict[str, Any]]] = {}
        for name in FACETS:
            keys = self.keys[name]
            counts = np.bincount(self.codes[name][mask[self.docs[name]]],
                                 minlength=len(keys))
            ranked = sorted(((-int(n), keys[i]) for i, n in enumerate(counts) if n),
                            key=lambda x: (x[0], x[1].encode("utf-8")))
            out[name] = [{"key": key, "count": -n} for n, key in ranked[:facet_size]]
        return out


def _kinds(langs: list[str] | None) -> tuple[str, ...]:
    """The analyses a search uses: plain and one language's when it is restricted
    to that language, plain and both otherwise (as ``es_backend._text_fields``)."""
    if langs == ["nl"]:
        return ("plain", "nl")
    if langs == ["en"]:
        return ("plain", "en")
    return analysis.KINDS


def _leaf(node: Term | Phrase, langs: list[str] | None) -> str:
    """A word, prefix or phrase: each analysis of it in that analysis's columns."""
    parts = [node.field] if node.field else ["title", "text"]
    groups: dict[str, list[str]] = {}
    for kind in _kinds(langs):
        if isinstance(node, Term):
            # a prefix is analysed too (Elasticsearch: analyze_wildcard)
            expr = f'"{analysis.analyse_word(node.text, kind)}"' + ("*" if node.prefix else "")
        else:
            words = [analysis.analyse_word(w, kind) for w in node.words]
            if node.slop:  # "a b"~N: within N words of each other, any order, one column
                expr = "NEAR(" + " ".join(f'"{w}"' for w in words) + f", {node.slop})"
            else:
                expr = '"' + " ".join(words) + '"'
        groups.setdefault(expr, []).extend(COLUMNS[part, kind] for part in parts)
    exprs = [f"{{{' '.join(cols)}}} : {expr}" for expr, cols in groups.items()]
    return exprs[0] if len(exprs) == 1 else " OR ".join(f"({x})" for x in exprs)


def fts(node: Node, langs: list[str] | None = None) -> str | None:
    """The tree as one FTS5 MATCH expression, or None when it needs SQL (a purely
    negative part: FTS5 NOT is binary). ``langs``: the search's language filter."""
    if isinstance(node, Term | Phrase):
        return _leaf(node, langs)
    if isinstance(node, Not):
        return None
    if isinstance(node, And):
        pos = [fts(c, langs) for c in node.children if not isinstance(c, Not)]
        neg = [fts(c.child, langs) for c in node.children if isinstance(c, Not)]
        if not pos or any(x is None for x in pos + neg):
            return None
        expr = " AND ".join(f"({x})" for x in pos)
        for x in neg:
            expr = f"({expr}) NOT ({x})"
        return expr
    if isinstance(node, Or):
        parts = [fts(c, langs) for c in node.children]
        if any(x is None for x in parts):
            return None
        return " OR ".join(f"({x})" for x in parts)
    raise TypeError(node)


def _sql_tree(node: Node, args: list[Any], langs: list[str] | None = None) -> str:
    expr = fts(node, langs)
    if expr is not None:
        args.append(expr)
        return "d.rowid IN (SELECT rowid FROM search_fts WHERE search_fts MATCH ?)"
    if isinstance(node, Not):
        return f"NOT ({_sql_tree(node.child, args, langs)})"
    if isinstance(node, And):
        return "(" + " AND ".join(_sql_tree(c, args, langs) for c in node.children) + ")"
    if isinstance(node, Or):
        return "(" + " OR ".join(_sql_tree(c, args, langs) for c in node.children) + ")"
    raise TypeError(node)


def _marked(highlighted: str | None) -> set[int]:
    """The token positions FTS5's ``highlight`` put between « and » in a stream."""
    out: set[int] = set()
    inside = False
    for i, token in enumerate((highlighted or "").split(" ")):
        if token.startswith("«"):
            inside = True
        if inside:
            out.add(i)
        if token.endswith("»"):
            inside = False
    return out


def _where(p: SearchParams, *, with_tree: bool = True) -> tuple[list[str], list[Any]]:
    cond: list[str] = []
    args: list[Any] = []
    if p.relevant_only:
        cond.append("d.relevant = 1")
    for attr, field in ATTR_FIELD.items():
        values = getattr(p, attr)
        if values:
            cond.append("d.rowid IN (SELECT doc FROM search_terms WHERE field = ? AND folded IN "
                        f"({', '.join('?' * len(values))}))")
            args += [field, *[v.casefold() for v in values]]
    for attr, values in p.exclude.items():
        cond.append("d.rowid NOT IN (SELECT doc FROM search_terms WHERE field = ? AND folded IN "
                    f"({', '.join('?' * len(values))}))")
        args += [ATTR_FIELD[attr], *[v.casefold() for v in values]]
    if p.start:
        cond.append("d.published >= ?")
        args.append(p.start)
    if p.end:
        cond.append("d.published < ?")
        args.append(p.end)
    if with_tree and p.tree is not None:
        cond.append(_sql_tree(p.tree, args, p.langs))
    return cond, args


def _and(cond: list[str]) -> str:
    return " AND ".join(cond) if cond else "1"


def _hit(row: sqlite3.Row) -> dict[str, Any]:
    data = json.loads(row["data"] or "{}")
    return {
        "id": row["article_id"], "url": row["url"], "title": row["title"],
        "source": row["source"], "lang": row["lang"], "published": row["published_raw"],
        "indexed_at": row["indexed_at"], "relevant": bool(row["relevant"]),
        "relevance_score": row["relevance_score"],
        **{k: data.get(k, []) for k in LIST_FIELDS},
        "action_ids": data.get("action_ids", []),
        "story_id": row["story_id"] or row["article_id"],
    }


class SqliteBackend(SearchBackend):
    name = "sqlite"

    def __init__(self, store: Any) -> None:
        engine = store.engine
        if engine.dialect.name != "sqlite":
            raise SqliteSearchError(
                "search_backend = \"sqlite\" needs a SQLite store; this store is "
                f"{engine.dialect.name}: use search_backend = \"elasticsearch\"")
        self.store = store
        self.path = engine.url.database
        if not self.path or self.path == ":memory:":
            raise SqliteSearchError("the SQLite search index needs a store file, not :memory:")
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._local = threading.local()
        self._ready = False
        self._postings: FacetPostings | None = None

    @classmethod
    def from_config(cls, cfg: Any) -> SqliteBackend:
        from index.store import Store

        return cls(Store(cfg.resolved_store_url))

    # -- connections and schema -------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(Path(self.path), timeout=30, check_same_thread=False,
                               isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA temp_store=MEMORY")
        return conn

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        if not self._ready:
            self._setup(conn)
        return conn

    def _setup(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            if self._ready:
                return
            story_index.ensure_table(self.store.engine)
            try:
                conn.execute("BEGIN IMMEDIATE")
                exists = conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE name = 'search_queue'").fetchone()
                if exists and self._analysis_version(conn) != ANALYSIS_VERSION:
                    for stmt in _statements(DROP):  # analysed otherwise: index again
                        conn.execute(stmt)
                    exists = None
                for stmt in _statements(SCHEMA):
                    conn.execute(stmt)
                if not exists:
                    conn.execute("INSERT INTO search_queue(article_id) SELECT id FROM articles")
                conn.execute("INSERT OR REPLACE INTO search_meta(key, value) "
                             "VALUES ('analysis', ?)", (ANALYSIS_VERSION,))
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise SqliteSearchError(f"cannot set up the SQLite search index: {exc}") from None
            self._ready = True

    @staticmethod
    def _analysis_version(conn: sqlite3.Connection) -> int | None:
        """The analysis the index was built with (None: before versions were kept)."""
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_meta'"
                            ).fetchone():
            return None
        row = conn.execute("SELECT value FROM search_meta WHERE key = 'analysis'").fetchone()
        return int(row[0]) if row else None

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- keeping up with the store -----------------------------------------
    def pending(self) -> int:
        return int(self._conn().execute("SELECT count(*) FROM search_queue").fetchone()[0])

    def sync(self, store: Any = None, progress: Progress | None = None, *,
             batch: int = 500) -> dict[str, Any]:
        """Fold the queue of new/changed articles into the index."""
        with self._sync_lock:
            return self._sync(progress, batch)

    def _sync(self, progress: Progress | None, batch: int) -> dict[str, Any]:
        conn = self._conn()
        total = self.pending()
        done = indexed = 0
        while True:
            queued = conn.execute("SELECT seq, article_id FROM search_queue ORDER BY seq LIMIT ?",
                                  (batch,)).fetchall()
            if not queued:
                break
            last_seq = queued[-1]["seq"]
            ids = list(dict.fromkeys(r["article_id"] for r in queued))
            rows = self._articles(ids)
            stories = story_index.assign(self.store.engine,
                                         [r for r in rows if r.get("kind") == "article"])
            conn.execute("BEGIN IMMEDIATE")
            try:
                for aid in ids:
                    self._remove(conn, aid)
                for row in rows:
                    if row.get("kind") == "article":
                        self._add(conn, row, stories.get(row["id"]))
                        indexed += 1
                conn.execute("DELETE FROM search_queue WHERE seq <= ?", (last_seq,))
                conn.execute("UPDATE search_meta SET value = value + 1 "
                             "WHERE key = 'generation'")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            done += len(queued)
            if progress:
                progress(min(done, total), total)
        return {"total": total, "indexed": indexed, "failed": 0, "errors": [],
                "index": f"{self.path} (sqlite fts5)"}

    def rebuild(self, progress: Progress | None = None) -> dict[str, Any]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        for stmt in _statements(DROP):
            conn.execute(stmt)
        conn.execute("COMMIT")
        self._ready = False
        self._postings = None
        self._conn()
        result = self.sync(progress=progress)
        conn.execute("PRAGMA optimize")
        return {**result, "deleted": []}

    def _articles(self, ids: list[str]) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from index.store import articles

        cols = [articles.c[k] for k in ("id", "url", "source", "kind", "title", "text",
                                        "published", "lang", "indexed_at", "relevant",
                                        "relevance_score", "analysis")]
        with self.store.engine.connect() as c:
            return [dict(r) for r in c.execute(select(*cols).where(articles.c.id.in_(ids)))
                    .mappings()]

    @staticmethod
    def _remove(conn: sqlite3.Connection, aid: str) -> None:
        found = conn.execute("SELECT rowid FROM search_docs WHERE article_id = ?", (aid,)
                             ).fetchone()
        if found:
            rowid = found[0]
            conn.execute("DELETE FROM search_fts WHERE rowid = ?", (rowid,))
            conn.execute("DELETE FROM search_terms WHERE doc = ?", (rowid,))
            conn.execute("DELETE FROM search_docs WHERE rowid = ?", (rowid,))

    @staticmethod
    def _add(conn: sqlite3.Connection, row: dict[str, Any], story: str | None) -> None:
        from index.documents import language_text, to_document

        doc = to_document({**row, "story_id": story})
        data = {
            "countries": doc["countries"],
            "regulators": [r["id"] for r in doc["regulators"]],
            "platforms": doc["platforms"],
            "measures": doc["measures"],
            "statuses": doc["statuses"],
            "action_ids": sorted({e["action_id"] for e in doc["events"]}),
            "published": doc["published"],
        }
        cur = conn.execute(
            "INSERT INTO search_docs(article_id, url, title, source, lang, published, "
            "indexed_at, relevant, relevance_score, story_id, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc["id"], doc["url"], doc["title"], doc["source"], doc["lang"],
             normalise_published(doc["published"]), doc["indexed_at"], int(doc["relevant"]),
             doc["relevance_score"], doc["story_id"], json.dumps(data, ensure_ascii=False)))
        rowid = cur.lastrowid
        langs = {key[len("text_"):] for key in language_text(doc["lang"], doc["text"])}
        streams = {col: analysis.analyse(doc[part], kind) if kind == "plain" or part == "title"
                   or kind in langs else "" for (part, kind), col in COLUMNS.items()}
        conn.execute(f"INSERT INTO search_fts(rowid, {', '.join(FTS_COLUMNS)}) "
                     f"VALUES ({', '.join('?' * (len(FTS_COLUMNS) + 1))})",
                     (rowid, doc["title"], doc["text"], *streams.values()))
        terms = [(rowid, "lang", doc["lang"]), (rowid, "source", doc["source"])]
        terms += [(rowid, f, v) for f in LIST_FIELDS for v in dict.fromkeys(data[f])]
        conn.executemany("INSERT INTO search_terms(doc, field, value, folded) VALUES (?,?,?,?)",
                         [(d, f, v, v.casefold()) for d, f, v in terms if v])

    def _fresh(self) -> sqlite3.Connection:
        conn = self._conn()
        if conn.execute("SELECT 1 FROM search_queue LIMIT 1").fetchone():
            self.sync()
        return conn

    # -- searching ------------------------------------------------------------
    def _run(self, conn: sqlite3.Connection, sql: str, args: list[Any]) -> list[sqlite3.Row]:
        try:
            return conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            from index.search.query import SearchError

            raise SearchError(f"the SQLite search failed: {exc}") from None

    def search(self, params: SearchParams) -> SearchResults:
        import time

        p = params.normalised()
        t0 = time.perf_counter()
        conn = self._fresh()
        expr = fts(p.tree, p.langs) if p.tree is not None else None
        # the hits with what ordering and story grouping need, so neither goes back
        # to search_docs for every hit
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS hits_r "
                     "(doc INTEGER PRIMARY KEY, score REAL, published TEXT, story_id TEXT)")
        conn.execute("DELETE FROM temp.hits_r")
        if expr is not None and p.size:
            # one pass over the FTS matches: the hits and their BM25 scores together
            # (BM25 restarted for a few rows later would cost more: its statistics
            # are recomputed per FTS query)
            cond, args = _where(p, with_tree=False)
            self._run(conn, "INSERT INTO temp.hits_r SELECT f.rowid, "
                            f"-bm25(search_fts, {BM25}), d.published, d.story_id "
                            "FROM search_fts f "
                            "JOIN search_docs d ON d.rowid = f.rowid "
                            f"WHERE search_fts MATCH ? AND {_and(cond)}", [expr, *args])
        else:
            cond, args = _where(p)
            self._run(conn, "INSERT INTO temp.hits_r(doc, published, story_id) "
                            f"SELECT d.rowid, d.published, d.story_id FROM search_docs d "
                            f"WHERE {_and(cond)}", args)
        total = int(conn.execute("SELECT count(*) FROM temp.hits_r").fetchone()[0])
        facets: dict[str, list[dict[str, Any]]] = {}
        if p.facets:
            hits = _ints(conn.execute("SELECT group_concat(doc) FROM temp.hits_r"
                                      ).fetchone()[0])
            facets = self._facet_postings(conn).count(hits, p.facet_size)
        total_stories = None
        if p.stories:
            total_stories = int(conn.execute(
                "SELECT count(DISTINCT story_id) FROM temp.hits_r").fetchone()[0])
        hits = self._page(conn, p) if p.size else []
        suggestion = self.suggestion(p, total)
        return SearchResults(query=p.query, total=total, page=p.page, size=p.size, hits=hits,
                             facets=facets, stories=p.stories, total_stories=total_stories,
                             took_ms=int((time.perf_counter() - t0) * 1000), backend=self.name,
                             warnings=list(p.warnings), suggestion=suggestion)

    # -- "did you mean" ---------------------------------------------------------
    def _corrections(self, words: list[str]) -> dict[str, str]:
        """For each word that matches nothing: candidates from the FTS5 vocabulary
        of the plain columns (folded words, as Elasticsearch's term suggester reads
        the unstemmed ``title`` and ``text``) with the word's first letter, ranked
        by :func:`index.search.suggest.best` on their document frequency."""
        from index.search import suggest

        conn = self._fresh()
        unknown = [w for w in words if not self._run(
            conn, "SELECT 1 FROM search_fts WHERE search_fts MATCH ? LIMIT 1",
            [fts(Term(w))])]
        if not unknown:
            return {}
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocab_c "
                     "USING fts5vocab(main, search_fts, col)")
        plain = (COLUMNS["title", "plain"], COLUMNS["text", "plain"])
        out: dict[str, str] = {}
        for word in unknown:
            folded = analysis.analyse_word(word, "plain")
            candidates: dict[str, int] = {}
            for term, df in self._run(
                    conn, "SELECT term, doc FROM temp.search_vocab_c WHERE term >= ? "
                          "AND term < ? AND col IN (?, ?) AND length(term) BETWEEN ? AND ?",
                    [folded[0], chr(ord(folded[0]) + 1), *plain,
                     suggest.MIN_WORD - suggest.MAX_EDITS, len(folded) + suggest.MAX_EDITS]):
                if "ʼ" not in term:
                    candidates[term] = max(candidates.get(term, 0), int(df))
            fix = suggest.best(word, candidates)
            if fix:
                out[word] = fix
        return out

    def _facet_postings(self, conn: sqlite3.Connection) -> FacetPostings:
        """The facet postings of the current index generation (reloaded when any
        process changed the index)."""
        generation = int(conn.execute(
            "SELECT value FROM search_meta WHERE key = 'generation'").fetchone()[0])
        postings = self._postings
        if postings is None or postings.generation != generation:
            conn.execute("BEGIN")  # one snapshot: the generation and what it counts
            try:
                generation = int(conn.execute(
                    "SELECT value FROM search_meta WHERE key = 'generation'").fetchone()[0])
                postings = self._postings = FacetPostings(conn, generation)
            finally:
                conn.execute("COMMIT")
        return postings

    @staticmethod
    def _first_of_stories(conn: sqlite3.Connection, sql: str, args: list[Any],
                          want: int) -> list[dict[str, Any]]:
        """The first row of each story in ``sql``'s order, up to ``want`` stories."""
        firsts: list[dict[str, Any]] = []
        seen: set[Any] = set()
        try:
            cursor = conn.execute(sql, args)
        except sqlite3.Error as exc:
            from index.search.query import SearchError

            raise SearchError(f"the SQLite search failed: {exc}") from None
        try:
            for row in cursor:
                if row["story_id"] in seen:
                    continue
                seen.add(row["story_id"])
                firsts.append({"doc": row["doc"], "score": row["score"],
                               "story_id": row["story_id"]})
                if len(firsts) >= want:
                    break
        finally:
            cursor.close()
        return firsts

    def _story_page(self, conn: sqlite3.Connection, rank: str, order: str, args: list[Any],
                    p: SearchParams) -> list[dict[str, Any]]:
        """One row per story: its best member in the chosen order, with the story's
        number of hits. The hits are read in that order only until the page's
        stories are complete (a story's first member is its best), and only the
        page's stories are counted."""
        want, skip = p.page * p.size, (p.page - 1) * p.size
        sql = f"WITH r AS ({rank}) SELECT doc, score, story_id FROM r ORDER BY {order}, doc"
        # most stories have one or a few members: the first few times ``want`` hits
        # (a bounded sort) nearly always hold the page; otherwise read on in order
        limit = STORY_READ_AHEAD * (want + 5)
        firsts = self._first_of_stories(conn, f"{sql} LIMIT {limit}", args, want)
        if len(firsts) < want and int(conn.execute(
                "SELECT count(*) FROM temp.hits_r").fetchone()[0]) > limit:
            firsts = self._first_of_stories(conn, sql, args, want)
        page = firsts[skip:]
        if not page:
            return []
        marks = ", ".join("?" * len(page))
        sizes = dict(self._run(
            conn, "SELECT d.story_id, count(*) FROM search_docs d JOIN temp.hits_r m "
                  f"ON m.doc = d.rowid WHERE d.story_id IN ({marks}) GROUP BY d.story_id",
            [r["story_id"] for r in page]))
        for r in page:
            r["story_size"] = sizes.get(r["story_id"], 1)
        return page

    def _page(self, conn: sqlite3.Connection, p: SearchParams) -> list[dict[str, Any]]:
        """The page of hits: ids and scores first, then rows, snippets only for them."""
        expr = fts(p.tree, p.langs) if p.tree is not None else None
        args: list[Any] = []
        rank = "SELECT doc, score, published, story_id FROM temp.hits_r"
        order = {"relevance": "score DESC, published DESC" if expr else "published DESC",
                 "date": "published IS NULL, published DESC",
                 "date_asc": "published IS NULL, published ASC"}[p.sort]
        ranked: list[dict[str, Any]]
        if p.stories:
            ranked = self._story_page(conn, rank, order, args, p)
        else:
            sql = (f"WITH r AS ({rank}) SELECT doc, score, 1 AS story_size "
                   f"FROM r ORDER BY {order}, doc LIMIT ? OFFSET ?")
            ranked = [dict(r) for r in self._run(conn, sql, [*args, p.size,
                                                             (p.page - 1) * p.size])]
        if not ranked:
            return []
        docs = [r["doc"] for r in ranked]
        marks = ", ".join("?" * len(docs))
        rows = {r["doc_rowid"]: r for r in conn.execute(
            "SELECT d.rowid AS doc_rowid, d.article_id, d.url, d.title, d.source, d.lang, "
            "json_extract(d.data, '$.published') AS published_raw, d.indexed_at, d.relevant, "
            f"d.relevance_score, d.story_id, d.data FROM search_docs d WHERE d.rowid IN ({marks})",
            docs)}
        marked: dict[int, tuple[str, str]] = {}
        if p.highlight and expr is not None:
            marked = self._highlights(conn, expr, docs)
        hits = []
        for r in ranked:
            row = rows[r["doc"]]
            hit = _hit(row)
            hit["score"] = r["score"]
            if p.stories:
                hit["story_size"] = r["story_size"]
            if p.highlight:
                title, snippet = marked.get(r["doc"], ("", ""))
                if title and "«" in title:
                    hit["title"] = title
                if snippet and "«" in snippet:
                    hit["snippet"] = snippet
                else:
                    text = conn.execute("SELECT text FROM search_fts WHERE rowid = ?",
                                        (r["doc"],)).fetchone()
                    text = (text[0] if text else "") or ""
                    hit["snippet"] = text[:160] + ("…" if len(text) > 160 else "")
            hits.append(hit)
        return hits

    def _highlights(self, conn: sqlite3.Connection, expr: str,
                    docs: list[int]) -> dict[int, tuple[str, str]]:
        """Each doc's highlighted title and text snippet: the positions FTS5 marks in
        any analysed column of a part, marked in the stored title and text."""
        cols = list(COLUMNS.items())
        marks = ", ".join("?" * len(docs))
        calls = ", ".join(f"highlight(search_fts, {FTS_COLUMNS.index(c)}, '«', '»')"
                          for _, c in cols)
        out: dict[int, tuple[str, str]] = {}
        for r in self._run(conn, f"SELECT rowid, title, text, {calls} FROM search_fts "
                                 f"WHERE search_fts MATCH ? AND rowid IN ({marks})",
                           [expr, *docs]):
            found: dict[str, set[int]] = {"title": set(), "text": set()}
            for i, ((part, _), _) in enumerate(cols):
                found[part] |= _marked(r[3 + i])
            out[r[0]] = (analysis.mark(r[1], found["title"]),
                         analysis.snippet(r[2], found["text"]))
        return out

    def count(self, params: SearchParams) -> int:
        p = params.normalised()
        conn = self._fresh()
        cond, args = _where(p)
        return int(self._run(conn, f"SELECT count(*) FROM search_docs d WHERE {_and(cond)}",
                             args)[0][0])

    def _timeline_rows(self, p: SearchParams, interval: str,
                       by: str) -> list[tuple[str, str | None, int]]:
        conn = self._fresh()
        cond, args = _where(p)
        cond.append("d.published IS NOT NULL")
        key = {"day": "substr(d.published, 1, 10)",
               "week": "date(substr(d.published, 1, 10), 'weekday 0', '-6 days')",
               "month": "substr(d.published, 1, 7) || '-01'"}[interval]
        rows: list[tuple[str, str | None, int]] = [
            (r[0], None, r[1]) for r in self._run(
                conn, f"SELECT {key} AS k, count(*) FROM search_docs d WHERE {_and(cond)} "
                      "GROUP BY k", list(args))]
        if by != "none":
            field = "lang" if by == "lang" else "countries"
            rows += [(r[0], r[1], r[2]) for r in self._run(
                conn, f"SELECT {key} AS k, t.value, count(*) FROM search_docs d "
                      f"JOIN search_terms t ON t.doc = d.rowid AND t.field = ? "
                      f"WHERE {_and(cond)} GROUP BY k, t.value", [field, *args])]
        return rows

    def iter_all(self, params: SearchParams, *, batch: int = 1000,
                 progress: Progress | None = None) -> Iterator[dict[str, Any]]:
        """Keyset pagination on rowid: flat memory, each hit once."""
        p = params.normalised()
        self._fresh()
        cond, args = _where(p)
        total = self.count(p) if progress else 0
        conn = self._connect()  # its own connection: a stream may hop threads
        try:
            yield from self._keyset(conn, cond, args, batch, total, progress)
        finally:
            conn.close()

    def _keyset(self, conn: sqlite3.Connection, cond: list[str], args: list[Any], batch: int,
                total: int, progress: Progress | None) -> Iterator[dict[str, Any]]:
        last = done = 0
        while True:
            rows = self._run(
                conn,
                "SELECT d.rowid AS doc_rowid, d.article_id, d.url, d.title, d.source, d.lang, "
                "json_extract(d.data, '$.published') AS published_raw, d.indexed_at, "
                "d.relevant, d.relevance_score, d.story_id, d.data, f.text AS text "
                "FROM search_docs d JOIN search_fts f ON f.rowid = d.rowid "
                f"WHERE {_and([*cond, 'd.rowid > ?'])} ORDER BY d.rowid LIMIT ?",
                [*args, last, batch])
            if not rows:
                break
            for row in rows:
                hit = _hit(row)
                hit["text"] = row["text"]
                yield export_row(hit)
            last = rows[-1]["doc_rowid"]
            done += len(rows)
            if progress:
                progress(done, total)
            if len(rows) < batch:
                break

    def status(self) -> dict[str, Any]:
        conn = self._conn()
        docs = int(conn.execute("SELECT count(*) FROM search_docs").fetchone()[0])
        return {"backend": self.name, "path": self.path, "index_docs": docs,
                "pending": self.pending(), "store_articles": self.store.count_articles()}


def _statements(script: str) -> list[str]:
    """Split a schema script into statements (triggers keep their inner ';')."""
    out, buf = [], []
    for line in script.strip().splitlines():
        buf.append(line)
        text = "\n".join(buf).strip()
        if text.endswith(";") and sqlite3.complete_statement(text):
            out.append(text)
            buf = []
    return out
