"""The Elasticsearch index: client, mapping, bulk loading, sync/rebuild and search.

The index is addressed through an alias (``cfg.es_index``); the concrete indices
behind it are named ``<alias>-<timestamp>`` so ``rebuild`` can load a fresh index
from the store and swap the alias atomically. The store is the record: nothing
here is needed for crawling, and everything here can be rebuilt from the store.

Text is analysed with a plain analyser (lowercase, ASCII folding), with Dutch stop
words and the Snowball Dutch stemmer, and with English stop words and the Porter
stemmer: ``title`` (short) all three ways, as ``title``, ``title.nl`` and
``title.en``; the body only in its own language, as ``text`` (plain) plus
``text_nl`` or ``text_en`` (both when the language is unknown), which are
indexed but not kept in ``_source``. Searches query both languages' fields, so
cross-language search still works. (Indices made before this layout analysed the
body as ``text.nl``/``text.en`` multi-fields; searches still query those names,
and a ``toezicht index rebuild`` moves to the new layout.) Those stemmers come from
the ``analysis-common`` module on a full cluster and from Toezicht's own small
plugin on the locally provisioned node (see toezicht/elastic.py).

Note: the local node has no ``GET /`` endpoint (no rest-root module), so
``client.info()`` and ``client.ping()`` do not work there; use :func:`ping`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any, NamedTuple

from elasticsearch import (
    ApiError,
    AuthenticationException,
    AuthorizationException,
    Elasticsearch,
    NotFoundError,
    TransportError,
)
from elasticsearch import ConnectionError as ESConnectionError
from elasticsearch.helpers import streaming_bulk
from sqlalchemy import and_, bindparam, select, update

from index.documents import to_document
from index.search.stories import assign as assign_stories
from index.store import Store, articles, now_iso

Progress = Callable[[int, int], None]  # (done so far, total)

FACETS = {
    "lang": "lang",
    "countries": "countries",
    "regulators": "regulators.id",
    "platforms": "platforms",
    "measures": "measures",
    "source": "source",
}
_ALIAS_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
MAX_WINDOW = 10_000
MAX_CHUNK_BYTES = 16 * 1024 * 1024  # per bulk request, whatever the document count
# a load this big runs with refresh off (one refresh at the end instead of one a second)
BULK_LOAD_MIN = 5_000


class SearchBackendError(Exception):
    """Elasticsearch is unreachable or refused a request; the message is one line."""


# -- client and error handling ------------------------------------------------


def make_client(cfg: Any, *, timeout: float = 30.0) -> Elasticsearch:
    """A client for ``cfg.resolved_es_url`` with API key, basic auth or CA file."""
    kwargs: dict[str, Any] = {"request_timeout": timeout, "retry_on_timeout": True,
                              "max_retries": 2}
    if getattr(cfg, "es_api_key", ""):
        kwargs["api_key"] = cfg.es_api_key
    elif getattr(cfg, "es_username", ""):
        kwargs["basic_auth"] = (cfg.es_username, cfg.es_password)
    if getattr(cfg, "es_ca_certs", ""):
        kwargs["ca_certs"] = cfg.es_ca_certs
    return Elasticsearch(cfg.resolved_es_url, **kwargs)


def client_url(client: Elasticsearch) -> str:
    """The URL the client talks to (for messages)."""
    try:
        return str(client.transport.node_pool.all()[0].base_url)
    except (AttributeError, IndexError):
        return "the configured URL"


def _unreachable(client: Elasticsearch) -> SearchBackendError:
    return SearchBackendError(
        f"Elasticsearch at {client_url(client)} is not reachable: "
        "start it with `toezicht es start`"
    )


def _reason(exc: ApiError) -> str:
    info = exc.info if isinstance(exc.info, dict) else {}
    err = info.get("error")
    if isinstance(err, dict):
        root = (err.get("root_cause") or [err])[0]
        caused = err.get("caused_by") or {}
        reason = root.get("reason") or err.get("reason") or ""
        if caused.get("reason") and caused.get("reason") not in reason:
            reason = f"{reason}: {caused['reason']}"
        return f"{root.get('type', err.get('type', 'error'))}: {reason}"
    return str(err or exc.message or exc)


def backend_error(client: Elasticsearch, exc: Exception, doing: str) -> SearchBackendError:
    """Translate a client exception into a one-line :class:`SearchBackendError`."""
    if isinstance(exc, SearchBackendError):
        return exc
    if isinstance(exc, ESConnectionError):
        return _unreachable(client)
    if isinstance(exc, AuthenticationException | AuthorizationException):
        return SearchBackendError(
            f"Elasticsearch at {client_url(client)} refused {doing} (HTTP {exc.meta.status}): "
            "check es_api_key / es_username / es_password")
    if isinstance(exc, ApiError):
        return SearchBackendError(
            f"Elasticsearch refused {doing} (HTTP {exc.meta.status}): {_reason(exc)}"[:500])
    if isinstance(exc, TransportError):
        return SearchBackendError(f"Elasticsearch error during {doing}: {exc}"[:500])
    return SearchBackendError(f"{doing} failed: {exc.__class__.__name__}: {exc}"[:500])


def _call(client: Elasticsearch, doing: str, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except (ApiError, TransportError) as exc:
        raise backend_error(client, exc, doing) from None


def ping(client: Elasticsearch) -> bool:
    """True when the cluster answers (works on nodes without ``GET /``)."""
    try:
        client.cluster.health(timeout="5s")
        return True
    except (ApiError, TransportError):
        return False


def check_reachable(client: Elasticsearch) -> None:
    """Raise the clear "not reachable: start it" error unless the cluster answers."""
    _call(client, "a health check", lambda: client.cluster.health(timeout="5s"))


# -- mapping ------------------------------------------------------------------


def analysis_support(client: Elasticsearch) -> str:
    """Where the stemmers come from: ``analysis-common`` (a full cluster),
    ``toezicht-analysis`` (the local node's plugin) or ``none``."""
    try:
        info = client.nodes.info(metric="plugins", filter_path="nodes.*.modules.name,"
                                                             "nodes.*.plugins.name")
    except (ApiError, TransportError):
        return "analysis-common"  # no right to look: a real cluster has the module
    names: set[str] = set()
    for node in (info.body.get("nodes") or {}).values():
        for key in ("modules", "plugins"):
            names.update(p.get("name", "") for p in node.get(key) or [])
    if "analysis-common" in names:
        return "analysis-common"
    if "toezicht-analysis" in names:
        return "toezicht-analysis"
    return "none"


def index_settings(support: str, replicas: int = 0) -> dict[str, Any]:
    """Index settings with the ``toezicht_plain``, ``toezicht_nl`` and ``toezicht_en``
    analysers built from what the cluster provides."""
    filters: dict[str, Any] = {
        "toezicht_nl_stop": {"type": "stop", "stopwords": "_dutch_"},
        "toezicht_en_stop": {"type": "stop", "stopwords": "_english_"},
    }
    if support == "analysis-common":
        filters.update({
            "toezicht_nl_stemmer": {"type": "stemmer", "language": "dutch"},
            "toezicht_en_stemmer": {"type": "stemmer", "language": "english"},
            "toezicht_en_possessive": {"type": "stemmer", "language": "possessive_english"},
        })
        nl_stem, en_stem, possessive, fold = ("toezicht_nl_stemmer", "toezicht_en_stemmer",
                                              "toezicht_en_possessive", "asciifolding")
    elif support == "toezicht-analysis":
        nl_stem, en_stem, possessive, fold = ("toezicht_dutch_stem", "toezicht_english_stem",
                                              "toezicht_english_possessive",
                                              "toezicht_asciifolding")
    else:
        nl_stem = en_stem = possessive = fold = ""

    def chain(*names: str) -> list[str]:
        return [n for n in names if n]

    return {
        "number_of_shards": 1,
        "number_of_replicas": replicas,
        "analysis": {
            "filter": filters,
            "analyzer": {
                "toezicht_plain": {"type": "custom", "tokenizer": "standard",
                                   "filter": chain("lowercase", fold)},
                "toezicht_nl": {"type": "custom", "tokenizer": "standard",
                                "filter": chain("lowercase", "toezicht_nl_stop", nl_stem, fold)},
                "toezicht_en": {"type": "custom", "tokenizer": "standard",
                                "filter": chain(possessive, "lowercase", "toezicht_en_stop",
                                                en_stem, fold)},
            },
        },
    }


_DATE = {"type": "date", "format": "strict_date_optional_time||epoch_millis",
         "ignore_malformed": True}
_KEYWORD = {"type": "keyword", "ignore_above": 512}


def _multilingual(**extra: Any) -> dict[str, Any]:
    return {
        "type": "text",
        "analyzer": "toezicht_plain",
        "fields": {
            "nl": {"type": "text", "analyzer": "toezicht_nl"},
            "en": {"type": "text", "analyzer": "toezicht_en"},
        },
        **extra,
    }


MAPPING: dict[str, Any] = {
    "dynamic": False,
    "_source": {"excludes": ["text_nl", "text_en"]},  # copies of ``text``
    "properties": {
        "id": {"type": "keyword"},
        "url": {"type": "keyword", "ignore_above": 4096},
        "canonical_url": {"type": "keyword", "ignore_above": 4096},
        "source": _KEYWORD,
        "kind": _KEYWORD,
        "title": _multilingual(),
        "text": {"type": "text", "analyzer": "toezicht_plain"},
        "text_nl": {"type": "text", "analyzer": "toezicht_nl"},
        "text_en": {"type": "text", "analyzer": "toezicht_en"},
        "authors": _KEYWORD,
        "published": _DATE,
        "published_precision": _KEYWORD,
        "modified": _DATE,
        "lang": _KEYWORD,
        "section": _KEYWORD,
        "image": {"type": "keyword", "index": False, "doc_values": False},
        "fetched_at": _DATE,
        "indexed_at": _DATE,
        "updated_at": _DATE,
        "nlp_version": _KEYWORD,
        "relevant": {"type": "boolean"},
        "relevance_score": {"type": "float"},
        "regulators": {
            "properties": {"id": _KEYWORD, "name": _KEYWORD, "country": _KEYWORD},
        },
        "countries": _KEYWORD,
        "platforms": _KEYWORD,
        "measures": _KEYWORD,
        "statuses": _KEYWORD,  # every event status in the article (filters, facets)
        "story_id": _KEYWORD,  # near-duplicate group (index/search/stories.py)
        "events": {
            "type": "nested",
            "properties": {
                "action_id": _KEYWORD,
                "actor": _KEYWORD,
                "jurisdiction": _KEYWORD,
                "measure": _KEYWORD,
                "target": _KEYWORD,
                "status": _KEYWORD,
                "date": _DATE,
                "evidence": _multilingual(),
                "confidence": {"type": "float"},
            },
        },
    },
}


# -- index management ---------------------------------------------------------


def _check_alias(alias: str) -> None:
    if not _ALIAS_RE.match(alias or ""):
        raise SearchBackendError(
            f"index name {alias!r} is not valid: use lowercase letters, digits, '-', '_' or '.'")


def new_index_name(alias: str) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"{alias}-{stamp}{int(time.time() * 1000) % 1000:03d}"


def alias_indices(client: Elasticsearch, alias: str) -> list[str]:
    """Concrete indices the alias points to (sorted, newest last)."""
    try:
        resp = client.indices.get_alias(name=alias)
    except NotFoundError:
        return []
    except (ApiError, TransportError) as exc:
        raise backend_error(client, exc, f"looking up alias {alias}") from None
    return sorted(resp.body)


def _replicas(client: Elasticsearch) -> int:
    health = _call(client, "a health check", lambda: client.cluster.health())
    return 0 if int(health.get("number_of_data_nodes", 1)) <= 1 else 1


def create_index(client: Elasticsearch, alias: str, *, with_alias: bool,
                 extra_settings: dict[str, Any] | None = None) -> str:
    """Create a new concrete index ``<alias>-<timestamp>``; optionally with the alias."""
    _check_alias(alias)
    name = new_index_name(alias)
    body: dict[str, Any] = {
        "settings": {**index_settings(analysis_support(client), _replicas(client)),
                     **(extra_settings or {})},
        "mappings": MAPPING,
    }
    if with_alias:
        body["aliases"] = {alias: {"is_write_index": True}}
    _call(client, f"creating index {name}",
          lambda: client.indices.create(index=name, **body, wait_for_active_shards="1"))
    return name


def ensure_index(client: Elasticsearch, alias: str) -> str:
    """The concrete index behind ``alias``, creating one (with the alias) if none exists."""
    _check_alias(alias)
    existing = alias_indices(client, alias)
    if existing:
        # fields added to MAPPING since the index was made (new documents get them;
        # a rebuild fills them for old ones)
        try:
            client.indices.put_mapping(index=existing[-1], properties=MAPPING["properties"])
        except (ApiError, TransportError):
            pass
        return existing[-1]
    if _call(client, "checking indices", lambda: client.indices.exists(index=alias)):
        raise SearchBackendError(
            f"a plain index named {alias!r} exists where the alias should be: "
            "run `toezicht index rebuild` to replace it")
    try:
        return create_index(client, alias, with_alias=True)
    except SearchBackendError:
        existing = alias_indices(client, alias)  # another process won the race
        if existing:
            return existing[-1]
        raise


def drop(client: Elasticsearch, alias: str) -> list[str]:
    """Delete every index behind ``alias`` and every ``<alias>-*`` index."""
    _check_alias(alias)
    names = set(alias_indices(client, alias))
    try:
        names.update(client.indices.get(index=f"{alias}-*", expand_wildcards="all").body)
    except (ApiError, TransportError) as exc:
        raise backend_error(client, exc, "listing indices") from None
    for name in sorted(names):
        try:
            client.indices.delete(index=name)
        except NotFoundError:
            pass
        except (ApiError, TransportError) as exc:
            raise backend_error(client, exc, f"deleting {name}") from None
    return sorted(names)


# -- loading ------------------------------------------------------------------


class Encoded(NamedTuple):
    """A document already serialised to the JSON bytes of its ``_source`` (done in
    the prefetch thread, so the thread talking to Elasticsearch only sends)."""

    id: str
    body: bytes


def encoder(client: Elasticsearch) -> Callable[[dict[str, Any]], Encoded]:
    """``doc -> Encoded`` with the client's own JSON serializer."""
    dumps = client.transport.serializers.get_serializer("application/json").dumps
    return lambda doc: Encoded(str(doc["id"]), dumps(doc))


def _actions(index: str, docs: Iterable[dict[str, Any] | Encoded]
             ) -> Iterator[tuple[dict[str, Any], dict[str, Any] | bytes]]:
    for doc in docs:
        if isinstance(doc, Encoded):
            yield {"index": {"_index": index, "_id": doc.id}}, doc.body
        else:
            yield {"index": {"_index": index, "_id": doc["id"]}}, doc


def _as_is(action: Any) -> Any:
    return action


def bulk_index(client: Elasticsearch, alias: str, docs: Iterable[dict[str, Any] | Encoded], *,
               chunk_size: int = 1000, on_success: Callable[[list[str]], None] | None = None,
               refresh: bool = False,
               max_chunk_bytes: int = MAX_CHUNK_BYTES) -> tuple[int, list[dict[str, Any]]]:
    """Index documents (``to_document`` output, or :class:`Encoded`) with
    ``streaming_bulk``, in requests of at most ``chunk_size`` documents and
    ``max_chunk_bytes`` bytes.

    Returns (indexed, errors); each error is ``{"id", "error"}``. ``on_success``
    receives the ids indexed, one call per chunk. Raises SearchBackendError when
    Elasticsearch cannot be reached."""
    ok_count = 0
    errors: list[dict[str, Any]] = []
    done: list[str] = []
    try:
        for ok, item in streaming_bulk(client, _actions(alias, docs), chunk_size=chunk_size,
                                       max_chunk_bytes=max_chunk_bytes,
                                       expand_action_callback=_as_is,
                                       raise_on_error=False, max_retries=3,
                                       initial_backoff=1):
            info = next(iter(item.values()))
            if ok:
                ok_count += 1
                done.append(str(info.get("_id")))
                if on_success and len(done) >= chunk_size:
                    on_success(done)
                    done = []
            else:
                error = info.get("error")
                if isinstance(error, dict):
                    error = f"{error.get('type')}: {error.get('reason')}"
                errors.append({"id": info.get("_id"), "error": str(error)[:300]})
    except (ApiError, TransportError) as exc:
        if on_success and done:
            on_success(done)
        raise backend_error(client, exc, "bulk indexing") from None
    if on_success and done:
        on_success(done)
    if refresh:
        _call(client, "refresh", lambda: client.indices.refresh(index=alias))
    return ok_count, errors


def _prefetch(items: Iterable[Any], size: int) -> Iterator[Any]:
    """Produce ``items`` in a background thread (reading the store, stories,
    documents) while the caller waits on Elasticsearch, ``size`` items ahead."""
    import queue
    import threading

    buf: queue.Queue[Any] = queue.Queue(maxsize=size)
    done = object()
    stop = threading.Event()
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        buf.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:  # noqa: BLE001 (re-raised in the consumer)
            failure.append(exc)
        finally:
            while not stop.is_set():
                try:
                    buf.put(done, timeout=0.2)
                    break
                except queue.Full:
                    continue

    thread = threading.Thread(target=produce, name="toezicht-index-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = buf.get()
            if item is done:
                break
            yield item
        if failure:
            raise failure[0]
    finally:
        stop.set()
        thread.join(timeout=30)


def _mark_synced_unchanged(store: Store, versions: dict[str, str | None], ids: list[str],
                           when: str) -> None:
    """Mark articles synced unless they changed (``updated_at``) since they were read,
    so a concurrent save is pushed by the next sync instead of being lost."""
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
                articles.c.id == bindparam("aid"), articles.c.updated_at.is_(None)))
                .values(es_synced_at=when), never)
        if seen:
            conn.execute(update(articles).where(and_(
                articles.c.id == bindparam("aid"), articles.c.updated_at == bindparam("seen")))
                .values(es_synced_at=when), seen)


# settings for an index being bulk loaded: no refresh (segments are written when the
# indexing buffer fills, not every second) and, where the load is not yet visible to
# anyone (a rebuild's new index), the translog fsynced every few seconds instead of
# after every request; :func:`_restore_settings` puts the defaults back.
LOAD_SETTINGS = {"index.refresh_interval": "-1"}
REBUILD_SETTINGS = {**LOAD_SETTINGS, "index.translog.durability": "async",
                    "index.translog.sync_interval": "5s"}
RESTORE_SETTINGS = {"index.refresh_interval": None, "index.translog.durability": None,
                    "index.translog.sync_interval": None}


def _restore_settings(client: Elasticsearch, index: str) -> None:
    """Back to the defaults (refresh every second, translog fsynced per request),
    then a refresh so everything loaded is searchable."""
    _call(client, f"restoring the settings of {index}",
          lambda: client.indices.put_settings(index=index, settings=RESTORE_SETTINGS))
    _call(client, "refresh", lambda: client.indices.refresh(index=index))


def _refresh_is_off(client: Elasticsearch, index: str) -> bool:
    settings = _call(client, f"reading the settings of {index}",
                     lambda: client.indices.get_settings(index=index,
                                                         name="index.refresh_interval"))
    value = (settings.get(index, {}).get("settings", {}).get("index", {})
             .get("refresh_interval"))
    return value == "-1"


def _unsynced_ids(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return list(conn.scalars(select(articles.c.id).where(articles.c.es_synced_at.is_(None))))


def _mark_unsynced(store: Store, ids: list[str]) -> None:
    with store.engine.begin() as conn:
        for start in range(0, len(ids), 500):
            conn.execute(update(articles).where(articles.c.id.in_(ids[start:start + 500]))
                         .values(es_synced_at=None))


def _load(store: Store, client: Elasticsearch, target: str, *, only_unsynced: bool,
          progress: Progress | None, chunk_size: int) -> dict[str, Any]:
    total = store.count_articles(only_unsynced=only_unsynced)
    versions: dict[str, str | None] = {}
    stamp = now_iso()
    state = {"done": 0}
    encode = encoder(client)

    def docs() -> Iterator[Encoded]:
        batch: list[dict[str, Any]] = []

        def flush() -> Iterator[Encoded]:
            stories = assign_stories(store.engine, batch)
            for row in batch:
                versions[row["id"]] = row.get("updated_at")
                yield encode(to_document({**row, "story_id": stories.get(row["id"])}))
            batch.clear()

        for row in store.iter_articles(only_unsynced=only_unsynced):
            batch.append(row)
            if len(batch) >= chunk_size:
                yield from flush()
        yield from flush()

    # the store is marked in a thread of its own, so the next bulk request goes out
    # while the previous chunk's rows are updated; all marks are done before returning
    marker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="toezicht-index-mark")
    marks: list[Future[None]] = []

    def on_success(ids: list[str]) -> None:
        marks.append(marker.submit(_mark_synced_unchanged, store, versions, list(ids), stamp))
        state["done"] += len(ids)
        if progress:
            progress(state["done"], total)

    try:
        indexed, errors = bulk_index(client, target, _prefetch(docs(), 2 * chunk_size),
                                     chunk_size=chunk_size, on_success=on_success)
    finally:
        marker.shutdown(wait=True)
    for mark in marks:
        mark.result()  # a failed update of the store is raised here
    if progress:
        progress(total, total)
    return {"total": total, "indexed": indexed, "failed": len(errors), "errors": errors[:20]}


def sync(store: Store, client: Elasticsearch, alias: str, progress: Progress | None = None,
         *, chunk_size: int = 1000) -> dict[str, Any]:
    """Push every article the index has not seen (``es_synced_at`` NULL) and mark it
    synced. Returns ``{"total", "indexed", "failed", "errors", "index"}``.

    A large load (at least :data:`BULK_LOAD_MIN` articles) runs with refresh off and
    refreshes once at the end; the translog stays fsynced per request, since each
    chunk is marked synced in the store as soon as Elasticsearch acknowledges it."""
    index = ensure_index(client, alias)
    bulk_load = store.count_articles(only_unsynced=True) >= BULK_LOAD_MIN
    if not bulk_load and _refresh_is_off(client, index):
        # an earlier bulk load died before restoring: new documents would stay
        # invisible between explicit refreshes
        _restore_settings(client, index)
    if bulk_load:
        _call(client, f"preparing {index} for a bulk load",
              lambda: client.indices.put_settings(index=index, settings=LOAD_SETTINGS))
    try:
        result = _load(store, client, alias, only_unsynced=True, progress=progress,
                       chunk_size=chunk_size)
    finally:
        if bulk_load:
            _restore_settings(client, index)
    if result["indexed"] and not bulk_load:
        _call(client, "refresh", lambda: client.indices.refresh(index=alias))
    return {**result, "index": index}


def rebuild(store: Store, client: Elasticsearch, alias: str, progress: Progress | None = None,
            *, chunk_size: int = 1000) -> dict[str, Any]:
    """Load everything from the store into a new concrete index, swap the alias to it
    in one ``update_aliases`` call, delete the old indices and mark all synced.

    The new index is loaded with refresh off and an async translog (nobody searches
    it yet); both are back to their defaults, and the index refreshed, before the
    alias moves to it."""
    _check_alias(alias)
    old = alias_indices(client, alias)
    plain = (not old and _call(client, "checking indices",
                               lambda: client.indices.exists(index=alias)))
    pending = _unsynced_ids(store)  # what the live index lacks, should the rebuild fail
    new = create_index(client, alias, with_alias=False, extra_settings=REBUILD_SETTINGS)
    try:
        result = _load(store, client, new, only_unsynced=False, progress=progress,
                       chunk_size=chunk_size)
        _restore_settings(client, new)
        actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": alias}}
                                         for name in old]
        if plain:
            actions.append({"remove_index": {"index": alias}})
        actions.append({"add": {"index": new, "alias": alias, "is_write_index": True}})
        _call(client, "swapping the alias", lambda: client.indices.update_aliases(actions=actions))
    except BaseException:
        try:
            client.indices.delete(index=new)
        except (ApiError, TransportError):
            pass
        # the load marked rows synced into an index that is now gone; the live one
        # still lacks what it lacked before
        _mark_unsynced(store, pending)
        raise
    deleted = []
    for name in old:
        try:
            client.indices.delete(index=name)
            deleted.append(name)
        except NotFoundError:
            pass
        except (ApiError, TransportError) as exc:
            raise backend_error(client, exc, f"deleting old index {name}") from None
    return {**result, "index": new, "previous": old, "deleted": deleted}


def status(client: Elasticsearch, alias: str, store: Store | None = None) -> dict[str, Any]:
    """Alias → index, document counts (index vs. store), cluster and index health."""
    _check_alias(alias)
    health = _call(client, "a health check", lambda: client.cluster.health())
    out: dict[str, Any] = {
        "url": client_url(client),
        "alias": alias,
        "cluster_health": health.get("status"),
        "analysis": analysis_support(client),
    }
    indices = alias_indices(client, alias)
    out["indices"] = indices
    out["index"] = indices[-1] if indices else None
    out["exists"] = bool(indices)
    if indices:
        count = _call(client, "counting", lambda: client.count(index=alias))
        out["index_docs"] = int(count["count"])
        idx_health = _call(client, "index health",
                           lambda: client.cluster.health(index=alias))
        out["index_health"] = idx_health.get("status")
    else:
        out["index_docs"] = 0
        out["index_health"] = None
    if store is not None:
        out["store_articles"] = store.count_articles()
        out["unsynced"] = store.count_articles(only_unsynced=True)
        out["in_sync"] = out["unsynced"] == 0 and out["store_articles"] == out["index_docs"]
    return out
