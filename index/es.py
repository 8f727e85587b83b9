"""The Elasticsearch index: client, mapping, bulk loading, sync/rebuild and search.

The index is addressed through an alias (``cfg.es_index``); the concrete indices
behind it are named ``<alias>-<timestamp>`` so ``rebuild`` can load a fresh index
from the store and swap the alias atomically. The store is the record: nothing
here is needed for crawling, and everything here can be rebuilt from the store.

The store's synced marks (``es_synced_at``) hold for one concrete index at a time
(index/sync_state.py): a rebuild sets none while it loads its new index and all of
them in one transaction after the alias swap, so a rebuild killed at any point
leaves marks that are true of the live index. ``sync`` compares the ids of store and
live index (streamed, in id order) whenever the marks describe another index, and
with ``repair`` (``toezicht index sync``) whenever the counts differ: what the index
lacks is pushed, what the store no longer has is deleted. Indices named like ours
that the alias does not point to are a running rebuild's (``building``) or
``stale``; stale ones are deleted by the next rebuild (:func:`clean_stale`).

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

The client (elasticsearch-py 9.5) talks to Elasticsearch 9.x only: an 8.x server
refuses its versioned media type (``compatible-with=9``). :func:`make_client` asks the
server's version before the first request and turns another major into one line,
:class:`IncompatibleServerError` ("Elasticsearch 8.19.2 at URL: this Toezicht needs
9.x (client 9.5); upgrade the cluster or set search_backend = "sqlite"").
"""

from __future__ import annotations

import logging
import os
import re
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, NamedTuple

from elasticsearch import (
    ApiError,
    AuthenticationException,
    AuthorizationException,
    Elasticsearch,
    NotFoundError,
    SerializationError,
    TransportError,
)
from elasticsearch import ConnectionError as ESConnectionError
from elasticsearch import __versionstr__ as _CLIENT_VERSIONSTR
from elasticsearch.helpers import streaming_bulk

from index import sync_state
from index.documents import to_document
from index.procs import pid_alive
from index.search.stories import assign as assign_stories
from index.store import Store, now_iso

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
_NAME_TAIL = re.compile(r"\d{8}-\d{9}")  # <alias>-YYYYmmdd-HHMMSSfff (new_index_name)
MAX_WINDOW = 10_000
MAX_CHUNK_BYTES = 16 * 1024 * 1024  # per bulk request, whatever the document count
# a load this big runs with refresh off (one refresh at the end instead of one a second)
BULK_LOAD_MIN = 5_000


class SearchBackendError(Exception):
    """Elasticsearch is unreachable or refused a request; the message is one line."""


class IncompatibleServerError(SearchBackendError):
    """The cluster's major version is not the client's (see :func:`incompatibility`)."""


# -- server version: client major = server major ------------------------------------

#: (major, minor) of the installed elasticsearch-py client
CLIENT_VERSION: tuple[int, int] = tuple(  # type: ignore[assignment]
    int(part) for part in _CLIENT_VERSIONSTR.split(".")[:2])
_COMPAT_REFUSED = re.compile(r"Accept version must be either version ([\d ,or]+), but found")


def _server_major(version: str | None) -> int | None:
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return None


def _server_minor(version: str) -> int:
    try:
        return int(version.split(".")[1])
    except (IndexError, ValueError):
        return 0


def incompatibility(version: str | None, url: str) -> str | None:
    """The one-line error for a cluster of ``version`` at ``url``, or None when its major
    is the client's (or unknown). A client talks to servers of its own major only: the
    9.x client's requests are refused by an 8.x server (and the other way round)."""
    major = _server_major(version)
    mine, minor = CLIENT_VERSION
    if major is None or major == mine:
        return None
    advice = ("upgrade the cluster" if major < mine
              else f"use a Toezicht release for Elasticsearch {major}.x")
    return (f"Elasticsearch {version} at {url}: this Toezicht needs {mine}.x (client "
            f"{mine}.{minor}); {advice} or set search_backend = \"sqlite\"")


def server_version(client: Elasticsearch) -> str | None:
    """The version of the node the client talks to, asked in a way servers of every
    major answer (plain ``Accept``, not the client's versioned media type); None when
    the cluster does not say (no right to ask, not Elasticsearch). Connection errors
    and a refused login propagate."""
    for path, params in (("/_nodes/_local", {"filter_path": "nodes.*.version"}), ("/", None)):
        try:
            resp = Elasticsearch.perform_request(client, "GET", path, params=params,
                                                 headers={"accept": "*/*"})
        except SerializationError:
            continue  # not JSON: not Elasticsearch, or a proxy's page
        except (AuthenticationException, TransportError):
            raise
        except ApiError:
            continue  # the local node has no GET /; a user without `monitor`: try the next
        body = resp.body if isinstance(resp.body, dict) else {}
        if path == "/":
            version = (body.get("version") or {}).get("number")
        else:
            version = next(iter((body.get("nodes") or {}).values()), {}).get("version")
        if version:
            return str(version)
    return None


class ToezichtElasticsearch(Elasticsearch):
    """The client, checking once (before its first request) that the cluster's major
    is the client's: otherwise every request fails with
    :class:`IncompatibleServerError`, one line naming both versions. The check's state
    lives on the transport, which :meth:`options` copies share."""

    def perform_request(self, method: str, path: str, **kwargs: Any) -> Any:  # type: ignore[override]
        transport = self.transport
        verdict = getattr(transport, "_toezicht_server_check", None)
        if verdict is None:
            version = server_version(self)  # connection errors: no verdict yet, raised
            verdict = incompatibility(version, client_url(self)) or ""
            transport._toezicht_server_check = verdict  # type: ignore[attr-defined]
            if version and not verdict and _server_minor(version) < CLIENT_VERSION[1]:
                logging.getLogger(__name__).warning(
                    "Elasticsearch %s at %s is older than the client (%d.%d): features "
                    "newer than the cluster may be refused", version, client_url(self),
                    *CLIENT_VERSION)
        if verdict:
            raise IncompatibleServerError(verdict)
        return super().perform_request(method, path, **kwargs)


# -- client and error handling ------------------------------------------------


def make_client(cfg: Any, *, timeout: float = 30.0) -> Elasticsearch:
    """A client for ``cfg.resolved_es_url`` with API key, basic auth or CA file; it
    refuses a cluster of another major version (:class:`ToezichtElasticsearch`)."""
    kwargs: dict[str, Any] = {"request_timeout": timeout, "retry_on_timeout": True,
                              "max_retries": 2}
    if getattr(cfg, "es_api_key", ""):
        kwargs["api_key"] = cfg.es_api_key
    elif getattr(cfg, "es_username", ""):
        kwargs["basic_auth"] = (cfg.es_username, cfg.es_password)
    if getattr(cfg, "es_ca_certs", ""):
        kwargs["ca_certs"] = cfg.es_ca_certs
    return ToezichtElasticsearch(cfg.resolved_es_url, **kwargs)


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
        refused = _COMPAT_REFUSED.search(str(exc))
        if refused:  # a server of another major that would not say its version
            major = refused.group(1).split()[0]
            return IncompatibleServerError(incompatibility(f"{major}.x", client_url(client))
                                           or str(exc))
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
    """True when the cluster answers (works on nodes without ``GET /``) and is of the
    client's major: False for one of another major too (of no use either way; use
    :func:`check_reachable` for the one-line reason)."""
    try:
        client.cluster.health(timeout="5s")
        return True
    except (ApiError, TransportError, IncompatibleServerError):
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
                 extra_settings: dict[str, Any] | None = None,
                 meta: dict[str, Any] | None = None) -> str:
    """Create a new concrete index ``<alias>-<timestamp>``; optionally with the alias.
    ``meta`` goes into the mapping's ``_meta`` (who builds it: see :func:`partial_indices`)."""
    _check_alias(alias)
    name = new_index_name(alias)
    body: dict[str, Any] = {
        "settings": {**index_settings(analysis_support(client), _replicas(client)),
                     **(extra_settings or {})},
        "mappings": {**MAPPING, "_meta": meta or _meta(alias, "live")},
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


# -- partial indices: a rebuild's index the alias does not point to -----------------
#
# A rebuild writes into a new index and moves the alias to it at the end. Its index
# says who builds it in the mapping's ``_meta.toezicht``: state ``building``, host, pid
# and a heartbeat renewed while it loads; ``live`` once the alias points to it (and for
# the indices ``ensure_index`` makes with the alias). An index named like ours that the
# alias does not point to is *building* while its rebuild runs, and *stale* otherwise
# (killed rebuild, or an old index a swap left behind): stale ones are deleted at the
# start of the next rebuild and by ``toezicht index status --clean``.

HEARTBEAT_EVERY = 30.0  # seconds between heartbeats of a rebuild's index
STALE_AFTER = 600.0  # a building index whose heartbeat is older than this is abandoned


def _meta(alias: str, state: str) -> dict[str, Any]:
    info: dict[str, Any] = {"alias": alias, "state": state}
    if state == "building":
        info.update(host=socket.gethostname(), pid=os.getpid(), started=now_iso(),
                    heartbeat=now_iso())
    return {"toezicht": info}


def _is_ours(alias: str, name: str) -> bool:
    """``<alias>-YYYYmmdd-HHMMSSfff``, as :func:`new_index_name` makes them."""
    return name.startswith(alias + "-") and bool(_NAME_TAIL.fullmatch(name[len(alias) + 1:]))


def _age(stamp: Any) -> float | None:
    try:
        when = datetime.fromisoformat(str(stamp))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (datetime.now(UTC) - when).total_seconds()


def _why_stale(meta: dict[str, Any] | None) -> str | None:
    """Why an index the alias does not point to is stale; None while its rebuild runs."""
    info = (meta or {}).get("toezicht") or {}
    if info.get("state") != "building":
        return ("replaced: the alias moved on" if info.get("state") == "live"
                else "left by an interrupted rebuild")
    age = _age(info.get("heartbeat"))
    if age is None or age > STALE_AFTER:
        return f"its rebuild stopped: no heartbeat since {info.get('heartbeat')}"
    if info.get("host") == socket.gethostname() and not pid_alive(int(info.get("pid") or 0)):
        return f"its rebuild (pid {info.get('pid')}) is gone"
    return None


def partial_indices(client: Elasticsearch, alias: str) -> list[dict[str, Any]]:
    """Indices named like ours (``<alias>-<timestamp>``) that the alias does not point
    to, oldest first: ``{"name", "state": "building"|"stale", "why", "docs", "bytes"}``."""
    _check_alias(alias)
    try:
        found = client.indices.get(
            index=f"{alias}-*", expand_wildcards="open,closed",
            filter_path="*.aliases,*.mappings._meta,*.settings.index.creation_date").body
    except NotFoundError:
        return []
    except (ApiError, TransportError) as exc:
        raise backend_error(client, exc, "listing indices") from None
    out: list[dict[str, Any]] = []
    for name in sorted(found):
        info = found[name] or {}
        if not _is_ours(alias, name) or alias in (info.get("aliases") or {}):
            continue
        why = _why_stale((info.get("mappings") or {}).get("_meta"))
        out.append({"name": name, "state": "stale" if why else "building", "why": why or "",
                    "created": (info.get("settings") or {}).get("index", {})
                    .get("creation_date")})
    if out:
        try:
            stats = client.indices.stats(index=",".join(p["name"] for p in out),
                                         metric="docs,store,indexing",
                                         filter_path="indices.*.primaries").body
        except (ApiError, TransportError):
            stats = {}
        for part in out:
            prim = (stats.get("indices") or {}).get(part["name"], {}).get("primaries", {})
            part["docs_loaded"] = int((prim.get("indexing") or {}).get("index_total") or 0)
            part["bytes"] = int((prim.get("store") or {}).get("size_in_bytes") or 0)
    return out


def clean_stale(client: Elasticsearch, alias: str, store: Store | None = None) -> list[str]:
    """Delete the stale partial indices of ``alias`` (never the live one, never one a
    running rebuild is writing) and, with ``store``, the load records of rebuilds whose
    index is gone. Returns the names deleted."""
    stale = [p["name"] for p in partial_indices(client, alias) if p["state"] == "stale"]
    live = set(alias_indices(client, alias))  # again, right before deleting
    deleted = []
    for name in stale:
        if name in live:
            continue
        try:
            client.indices.delete(index=name)
            deleted.append(name)
        except NotFoundError:
            deleted.append(name)
        except (ApiError, TransportError) as exc:
            raise backend_error(client, exc, f"deleting {name}") from None
    if store is not None:
        for name in sync_state.loads_indices(store):
            if _is_ours(alias, name) and (name in deleted or not _call(
                    client, "checking indices", lambda n=name: client.indices.exists(index=n))):
                sync_state.drop_loads(store, name)
    return deleted


class _Heartbeat:
    """Renews the heartbeat in a building index's ``_meta`` (at most every
    :data:`HEARTBEAT_EVERY` seconds), so other processes see its rebuild is alive."""

    def __init__(self, client: Elasticsearch, index: str, meta: dict[str, Any]) -> None:
        self.client, self.index, self.meta = client, index, meta
        self.last = time.monotonic()

    def __call__(self) -> None:
        if time.monotonic() - self.last < HEARTBEAT_EVERY:
            return
        self.last = time.monotonic()
        self.meta["toezicht"]["heartbeat"] = now_iso()
        try:
            self.client.indices.put_mapping(index=self.index, meta=self.meta)
        except (ApiError, TransportError):
            pass  # the load itself reports a dead cluster


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


Mark = Callable[[dict[str, str | None], list[str]], None]  # (versions read, ids indexed)


def _mark_synced_unchanged(store: Store, versions: dict[str, str | None], ids: list[str],
                           when: str, alias: str, index: str) -> None:
    """Mark articles synced unless they changed since they were read, and only while
    ``index`` is the one the marks describe (:func:`index.sync_state.mark_synced_unchanged`)."""
    sync_state.mark_synced_unchanged(store, versions, ids, when, alias, index)


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


def _load(store: Store, client: Elasticsearch, target: str, *, only_unsynced: bool,
          progress: Progress | None, chunk_size: int, mark: Mark,
          on_chunk: Callable[[], None] | None = None) -> dict[str, Any]:
    """Stream articles from the store into ``target``; ``mark(versions, ids)`` gets the
    ids of every chunk Elasticsearch acknowledged (in a thread of its own)."""
    total = store.count_articles(only_unsynced=only_unsynced)
    versions: dict[str, str | None] = {}
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
        marks.append(marker.submit(mark, versions, list(ids)))
        state["done"] += len(ids)
        if on_chunk:
            on_chunk()
        if progress:
            progress(state["done"], total)

    try:
        indexed, errors = bulk_index(client, target, _prefetch(docs(), 2 * chunk_size),
                                     chunk_size=chunk_size, on_success=on_success)
    finally:
        marker.shutdown(wait=True)
    for done in marks:
        done.result()  # a failed update of the store is raised here
    if progress:
        progress(total, total)
    return {"total": total, "indexed": indexed, "failed": len(errors), "errors": errors[:20]}


def _push(store: Store, client: Elasticsearch, alias: str, index: str,
          progress: Progress | None, chunk_size: int) -> dict[str, Any]:
    """Push every unsynced article through ``alias`` (live index ``index``) and mark it.

    A large load (at least :data:`BULK_LOAD_MIN` articles) runs with refresh off and
    refreshes once at the end; the translog stays fsynced per request, since each
    chunk is marked synced in the store as soon as Elasticsearch acknowledges it."""
    stamp = now_iso()
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
                       chunk_size=chunk_size,
                       mark=lambda versions, ids: _mark_synced_unchanged(
                           store, versions, ids, stamp, alias, index))
    finally:
        if bulk_load:
            _restore_settings(client, index)
    if result["indexed"] and not bulk_load:
        _call(client, "refresh", lambda: client.indices.refresh(index=alias))
    return result


def _merge(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    return {"total": first["total"] + second["total"],
            "indexed": first["indexed"] + second["indexed"],
            "failed": first["failed"] + second["failed"],
            "errors": (first["errors"] + second["errors"])[:20]}


# -- comparing the store with the index -----------------------------------------------

ID_BATCH = 5000  # ids per page from Elasticsearch and from the store


def _count(client: Elasticsearch, index: str) -> int:
    return int(_call(client, "counting", lambda: client.count(index=index))["count"])


def _refresh(client: Elasticsearch, index: str) -> None:
    _call(client, "refresh", lambda: client.indices.refresh(index=index))


def _index_ids(client: Elasticsearch, index: str, batch: int = ID_BATCH) -> Iterator[str]:
    """The ids in ``index`` in byte order (the ``id`` keyword field, which equals
    ``_id``), paged with ``search_after`` (flat memory)."""
    after: list[Any] | None = None
    while True:
        resp = _call(client, f"listing the ids in {index}", lambda a=after: client.search(
            index=index, size=batch, sort=[{"id": "asc"}], source=False,
            track_total_hits=False, query={"exists": {"field": "id"}}, search_after=a,
            filter_path="hits.hits._id,hits.hits.sort"))
        hits = (resp.body.get("hits") or {}).get("hits") or []
        if not hits:
            return
        for hit in hits:
            yield str(hit["_id"])
        after = hits[-1]["sort"]


def _ascending(ids: Iterator[str], what: str) -> Iterator[str]:
    previous: str | None = None
    for aid in ids:
        if previous is not None and aid <= previous:
            raise SearchBackendError(f"{what} does not list ids in byte order ({previous!r} "
                                     f"before {aid!r}): cannot compare it with the index")
        previous = aid
        yield aid


def _delete_docs(client: Elasticsearch, alias: str, ids: list[str]) -> int:
    if not ids:
        return 0
    resp = _call(client, "deleting documents", lambda: client.bulk(
        operations=[{"delete": {"_index": alias, "_id": aid}} for aid in ids],
        filter_path="items.*.result,items.*.error"))
    deleted = 0
    for item in resp.body.get("items") or []:
        info = next(iter(item.values()))
        if info.get("error"):
            raise SearchBackendError(f"Elasticsearch refused deleting documents: "
                                     f"{info['error']}"[:500])
        deleted += info.get("result") == "deleted"
    return deleted


def compare(store: Store, client: Elasticsearch, alias: str, index: str | None = None, *,
            repair: bool = False) -> dict[str, int]:
    """Compare the store's article ids with the ids in the live index, both streamed in
    byte order and merged (flat memory, pages of :data:`ID_BATCH`). Returns
    ``{"same", "missing", "extra", "deleted"}``: ``missing`` are stored articles the
    index lacks, ``extra`` documents with no stored article.

    With ``repair``, missing articles lose their synced mark (the next push sends them)
    and extra documents are deleted, each batch looked up in the store once more just
    before (an article stored meanwhile is kept)."""
    index = index or (alias_indices(client, alias) or [None])[-1]
    counts = {"same": 0, "missing": 0, "extra": 0, "deleted": 0}
    if index is None:
        counts["missing"] = store.count_articles()
        return counts
    _refresh(client, index)
    missing: list[str] = []
    extra: list[str] = []

    def flush_missing() -> None:
        if repair and missing:
            sync_state.mark_unsynced(store, missing)
        missing.clear()

    def flush_extra() -> None:
        if repair and extra:
            stored = sync_state.article_ids_among(store, extra)
            counts["deleted"] += _delete_docs(client, alias,
                                              [aid for aid in extra if aid not in stored])
        extra.clear()

    def add(bucket: list[str], aid: str, key: str, flush: Callable[[], None]) -> None:
        counts[key] += 1
        bucket.append(aid)
        if len(bucket) >= sync_state.BATCH:
            flush()

    stored = _ascending(sync_state.iter_article_ids(store, ID_BATCH), "the store")
    indexed = _ascending(_index_ids(client, index), f"index {index}")
    s, e = next(stored, None), next(indexed, None)
    while s is not None or e is not None:
        if e is None or (s is not None and s < e):
            add(missing, s, "missing", flush_missing)  # type: ignore[arg-type]
            s = next(stored, None)
        elif s is None or e < s:
            add(extra, e, "extra", flush_extra)
            e = next(indexed, None)
        else:
            counts["same"] += 1
            s, e = next(stored, None), next(indexed, None)
    flush_missing()
    flush_extra()
    # documents without the ``id`` field are not ours either (none are, normally)
    while True:
        resp = _call(client, f"listing documents in {index}", lambda: client.search(
            index=index, size=1000, source=False, track_total_hits=False,
            query={"bool": {"must_not": {"exists": {"field": "id"}}}},
            filter_path="hits.hits._id"))
        odd = [str(h["_id"]) for h in (resp.body.get("hits") or {}).get("hits") or []]
        counts["extra"] += len(odd)
        if not repair or not odd:
            break
        stored_odd = sync_state.article_ids_among(store, odd)
        sync_state.mark_unsynced(store, stored_odd)  # re-pushed with the field
        counts["deleted"] += _delete_docs(client, alias, odd)
        _refresh(client, index)
    if repair and counts["deleted"]:
        _refresh(client, index)
    return counts


def _reconcile(store: Store, client: Elasticsearch, alias: str, index: str) -> dict[str, Any]:
    """Make the store's marks describe the live ``index`` before pushing:
    ``current`` (they do), ``finalized`` (a rebuild swapped the alias to it and died
    before marking: its load records are applied) or ``compared`` (the marks describe
    another index or none: ids compared, the difference repaired)."""
    recorded = sync_state.synced_index(store, alias)
    if recorded == index:
        return {"marks": "current", "deleted": 0}
    if sync_state.has_loads(store, index):
        sync_state.finalize(store, alias, index)
        return {"marks": "finalized", "deleted": 0}
    _refresh(client, index)
    if _count(client, index) == 0:
        sync_state.unmark_all(store)
        diff = {"deleted": 0}
    else:
        diff = compare(store, client, alias, index, repair=True)
    sync_state.adopt(store, alias, index)
    return {"marks": "compared", "deleted": diff["deleted"]}


# -- sync, rebuild, status ------------------------------------------------------------


def sync(store: Store, client: Elasticsearch, alias: str, progress: Progress | None = None,
         *, chunk_size: int = 1000, repair: bool = False, verify: bool = False
         ) -> dict[str, Any]:
    """Push every article the live index lacks (``es_synced_at`` NULL) and mark it
    synced. Returns ``{"total", "indexed", "failed", "errors", "index", "deleted",
    "already_in_sync", "checked", "marks"}``.

    First the marks are made to describe the live index (see :func:`_reconcile`). With
    ``repair`` the document count of the index is then compared with the store's, and
    on a difference (always, with ``verify``) their ids: what the index lacks is
    pushed, what the store no longer has is deleted from the index (``deleted``)."""
    index = ensure_index(client, alias)
    marks = _reconcile(store, client, alias, index)
    deleted = marks["deleted"]
    checked = "ids" if marks["marks"] == "compared" else "marks"
    result = _push(store, client, alias, index, progress, chunk_size)
    if repair or verify:
        _refresh(client, index)
        if verify or _count(client, index) != store.count_articles():
            diff = compare(store, client, alias, index, repair=True)
            deleted += diff["deleted"]
            if diff["missing"]:
                result = _merge(result, _push(store, client, alias, index, progress,
                                              chunk_size))
            checked = "ids"
        elif checked != "ids":
            checked = "counts"
    already = max(0, store.count_articles() - result["total"])
    return {**result, "index": index, "deleted": deleted, "already_in_sync": already,
            "checked": checked, "marks": marks["marks"]}


def _abandon(client: Elasticsearch, store: Store, alias: str, index: str) -> None:
    """After a failed rebuild: delete its index (unless the swap went through after
    all) and its load records. Best effort: the failure itself is what is raised."""
    try:
        if index in alias_indices(client, alias):
            return  # the next sync finalises it from the load records
        client.indices.delete(index=index)
    except (ApiError, TransportError, SearchBackendError):
        pass
    try:
        sync_state.drop_loads(store, index)
    except Exception:  # noqa: BLE001 (the original failure is the one to report)
        pass


def rebuild(store: Store, client: Elasticsearch, alias: str, progress: Progress | None = None,
            *, chunk_size: int = 1000) -> dict[str, Any]:
    """Load everything from the store into a new concrete index, swap the alias to it
    in one ``update_aliases`` call, then set the store's marks for it in one
    transaction and delete the old indices.

    Stale partial indices (of killed rebuilds) are deleted first. While loading, no
    mark is set: the articles loaded are recorded (with the version read) against the
    new index, and turned into marks only once the alias points to it (see
    :mod:`index.sync_state`), so a rebuild killed at any point leaves marks that are
    true of the live index. What changed while loading is pushed at the end
    (``caught_up``). The new index is loaded with refresh off and an async translog
    (nobody searches it yet); both are back to their defaults, and the index
    refreshed, before the alias moves to it."""
    _check_alias(alias)
    stale = clean_stale(client, alias, store)
    old = alias_indices(client, alias)
    plain = (not old and _call(client, "checking indices",
                               lambda: client.indices.exists(index=alias)))
    meta = _meta(alias, "building")
    new = create_index(client, alias, with_alias=False, extra_settings=REBUILD_SETTINGS,
                       meta=meta)
    try:
        result = _load(store, client, new, only_unsynced=False, progress=progress,
                       chunk_size=chunk_size,
                       mark=lambda versions, ids: sync_state.record_loaded(store, new,
                                                                           versions, ids),
                       on_chunk=_Heartbeat(client, new, meta))
        _restore_settings(client, new)
        old = alias_indices(client, alias)  # what it points to now
        actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": alias}}
                                         for name in old]
        if plain:
            actions.append({"remove_index": {"index": alias}})
        actions.append({"add": {"index": new, "alias": alias, "is_write_index": True}})
        _call(client, "swapping the alias", lambda: client.indices.update_aliases(actions=actions))
    except BaseException:
        _abandon(client, store, alias, new)
        raise
    try:  # live now: once the alias moves on, it is stale at once
        client.indices.put_mapping(index=new, meta=_meta(alias, "live"))
    except (ApiError, TransportError):
        pass
    sync_state.finalize(store, alias, new)
    deleted = []
    for name in old:
        try:
            client.indices.delete(index=name)
            deleted.append(name)
        except NotFoundError:
            pass
        except (ApiError, TransportError) as exc:
            raise backend_error(client, exc, f"deleting old index {name}") from None
    caught_up = _push(store, client, alias, new, None, chunk_size)
    return {**result, "index": new, "previous": old, "deleted": deleted,
            "stale_deleted": stale, "caught_up": caught_up["indexed"]}


def status(client: Elasticsearch, alias: str, store: Store | None = None, *,
           verify: bool = False) -> dict[str, Any]:
    """Alias → index, document counts (index vs. store), cluster and index health,
    partial indices (``building`` by a running rebuild, ``stale``), and whether the
    index is in sync with the store: the store's marks describe the live index
    (``marks_index``), none is unsynced and the counts agree; with ``verify`` the ids
    are compared too (``missing_ids``, ``extra_ids``)."""
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
        _refresh(client, alias)
        out["index_docs"] = _count(client, alias)
        idx_health = _call(client, "index health",
                           lambda: client.cluster.health(index=alias))
        out["index_health"] = idx_health.get("status")
    else:
        out["index_docs"] = 0
        out["index_health"] = None
    partial = partial_indices(client, alias)
    out["building_indices"] = [p["name"] for p in partial if p["state"] == "building"]
    out["stale_indices"] = [p["name"] for p in partial if p["state"] == "stale"]
    out["partial"] = partial
    if store is not None:
        out["store_articles"] = store.count_articles()
        out["unsynced"] = store.count_articles(only_unsynced=True)
        out["marks_index"] = sync_state.synced_index(store, alias)
        out["marks_current"] = bool(indices) and out["marks_index"] == out["index"]
        in_sync = (out["marks_current"] and out["unsynced"] == 0
                   and out["store_articles"] == out["index_docs"])
        if verify:
            diff = compare(store, client, alias, out["index"])
            out["missing_ids"], out["extra_ids"] = diff["missing"], diff["extra"]
            in_sync = in_sync and not diff["missing"] and not diff["extra"]
        out["in_sync"] = bool(in_sync)
    return out


# -- erasure on request (toezicht forget, index/erasure.py) ---------------------------


def _chunked(ids: Iterable[str], size: int = 500) -> Iterator[list[str]]:
    items = sorted(set(ids))
    for start in range(0, len(items), size):
        yield items[start:start + size]


def present(client: Elasticsearch, alias: str, ids: Iterable[str]) -> list[str]:
    """Which of ``ids`` the live index holds."""
    found: list[str] = []
    for chunk in _chunked(ids):
        resp = _call(client, "looking documents up", lambda c=chunk: client.search(
            index=alias, size=len(c), source=False, query={"ids": {"values": c}},
            filter_path="hits.hits._id"))
        found += [str(h["_id"]) for h in (resp.body.get("hits") or {}).get("hits") or []]
    return sorted(found)


def _expunge(client: Elasticsearch, names: list[str]) -> None:
    """Ask each index to drop deleted documents from its segments now (best effort:
    Elasticsearch skips segments with few deletions; a rebuild writes a fresh index)."""
    for name in names:
        try:
            client.indices.forcemerge(index=name, only_expunge_deletes=True)
        except (ApiError, TransportError):
            pass


def erase_documents(client: Elasticsearch, alias: str, ids: Iterable[str],
                    store: Store | None = None) -> dict[str, Any]:
    """Delete the documents ``ids`` from every index of ``alias``: the live one and a
    running rebuild's; stale partial indices (killed rebuilds) are deleted whole
    (:func:`clean_stale`). Refreshed, and deleted documents expunged where
    Elasticsearch agrees (:func:`_expunge`). Returns ``{"deleted", "indices",
    "stale_deleted"}``."""
    _check_alias(alias)
    ids = sorted(set(ids))
    stale = clean_stale(client, alias, store)
    names = alias_indices(client, alias) + [p["name"] for p in partial_indices(client, alias)
                                            if p["state"] == "building"]
    deleted = 0
    for name in names:
        for chunk in _chunked(ids):
            deleted += _delete_docs(client, name, chunk)
        _refresh(client, name)
    if deleted:
        _expunge(client, names)
    return {"deleted": deleted, "indices": names, "stale_deleted": stale}


def index_articles(store: Store, client: Elasticsearch, alias: str, ids: Iterable[str], *,
                   chunk_size: int = 500) -> dict[str, Any]:
    """Index exactly the stored articles ``ids`` now (not every unsynced one) and mark
    them synced unless they changed meanwhile; those of ``ids`` no longer stored as
    articles are deleted from the index. Refreshed. Returns ``{"indexed", "failed",
    "errors", "deleted", "index"}``."""
    from sqlalchemy import select

    from index.store import articles

    index = ensure_index(client, alias)
    stamp = now_iso()
    ids = sorted(set(ids))
    rows: list[dict[str, Any]] = []
    for chunk in _chunked(ids):
        with store.engine.connect() as conn:
            rows += [dict(r) for r in conn.execute(
                select(articles).where(articles.c.id.in_(chunk), articles.c.kind == "article")
            ).mappings()]
    versions = {r["id"]: r.get("updated_at") for r in rows}
    encode = encoder(client)

    def docs() -> Iterator[Encoded]:
        for start in range(0, len(rows), chunk_size):
            batch = rows[start:start + chunk_size]
            stories = assign_stories(store.engine, batch)
            for row in batch:
                yield encode(to_document({**row, "story_id": stories.get(row["id"])}))

    indexed, errors = bulk_index(
        client, alias, docs(), chunk_size=chunk_size,
        on_success=lambda done: _mark_synced_unchanged(store, versions, done, stamp, alias,
                                                       index))
    gone = sorted(set(ids) - {r["id"] for r in rows})
    deleted = sum(_delete_docs(client, alias, chunk) for chunk in _chunked(gone))
    _refresh(client, alias)
    if deleted or indexed:
        _expunge(client, [index])
    return {"indexed": indexed, "failed": len(errors), "errors": errors[:20],
            "deleted": deleted, "index": index}
