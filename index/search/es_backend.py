"""The Elasticsearch search backend (the default)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError

from index import es as es_index
from index.search.base import Progress, SearchBackend, SearchResults, export_row
from index.search.query import (
    And,
    Node,
    Not,
    Or,
    Phrase,
    SearchParams,
    Term,
)

# facet / filter name -> document field
FIELDS = {"lang": "lang", "countries": "countries", "regulators": "regulators.id",
          "platforms": "platforms", "measures": "measures", "statuses": "statuses",
          "source": "source"}
ATTR_FIELD = {"langs": "lang", "countries": "countries", "regulators": "regulators.id",
              "platforms": "platforms", "measures": "measures", "statuses": "statuses",
              "sources": "source"}
CASE_INSENSITIVE = {"platforms", "sources"}
_SOURCE_EXCLUDES = ["text", "events.evidence"]


def _text_fields(langs: list[str], scope: str | None = None) -> list[str]:
    """The analysed fields to search: one language's stemmed fields when the search is
    restricted to it, both languages' otherwise (plus the unstemmed field); ``scope``
    ``title`` or ``text`` keeps that part's fields only. The body's stemmed fields are
    ``text_nl``/``text_en``; ``text.nl``/``text.en`` are their names in indices made
    before that layout (absent, so matching nothing, in newer ones)."""
    if langs == ["nl"]:
        title, text = ["title.nl^3", "title^2"], ["text_nl", "text.nl", "text"]
    elif langs == ["en"]:
        title, text = ["title.en^3", "title^2"], ["text_en", "text.en", "text"]
    else:
        title = ["title.nl^3", "title.en^3", "title^2"]
        text = ["text_nl", "text_en", "text.nl", "text.en", "text"]
    return title if scope == "title" else text if scope == "text" else title + text


def _near(node: Phrase, fields: list[str]) -> dict[str, Any]:
    """``"a b"~N``: every word within N words of the others, in any order, in one
    field (an intervals query per field; FTS5 NEAR means the same)."""
    rules = []
    for spec in fields:
        name, _, boost = spec.partition("^")
        rule: dict[str, Any] = {"match": {"query": " ".join(node.words), "max_gaps": node.slop,
                                          "ordered": False}}
        if boost:
            rule["boost"] = float(boost)
        rules.append({"intervals": {name: rule}})
    return {"dis_max": {"queries": rules}}


def render(node: Node, langs: list[str]) -> dict[str, Any]:
    """The query tree as Elasticsearch DSL: leaves are simple_query_string over the
    nl/en/plain fields (words are letters and digits only, so nothing to escape), or
    intervals queries for proximity."""
    if isinstance(node, Term | Phrase):
        fields = _text_fields(langs, node.field)
        if isinstance(node, Phrase) and node.slop:
            return _near(node, fields)
        text = (f"{node.text}*" if node.prefix else node.text) if isinstance(node, Term) \
            else '"' + " ".join(node.words) + '"'
        return {"simple_query_string": {"query": text, "fields": fields,
                                        "default_operator": "and", "analyze_wildcard": True,
                                        "flags": "PHRASE|PREFIX|WHITESPACE"}}
    if isinstance(node, Not):
        return {"bool": {"must_not": [render(node.child, langs)]}}
    if isinstance(node, And):
        must = [render(c, langs) for c in node.children if not isinstance(c, Not)]
        must_not = [render(c.child, langs) for c in node.children if isinstance(c, Not)]
        body: dict[str, Any] = {"must": must} if must else {}
        if must_not:
            body["must_not"] = must_not
        return {"bool": body}
    if isinstance(node, Or):
        return {"bool": {"should": [render(c, langs) for c in node.children],
                         "minimum_should_match": 1}}
    raise TypeError(node)


def _terms(attr: str, values: list[str]) -> dict[str, Any]:
    field = ATTR_FIELD[attr]
    if attr in CASE_INSENSITIVE:
        return {"bool": {"should": [{"term": {field: {"value": v, "case_insensitive": True}}}
                                    for v in values], "minimum_should_match": 1}}
    return {"terms": {field: values}}


def build_query(p: SearchParams) -> dict[str, Any]:
    """The bool query for normalised params."""
    filters: list[dict[str, Any]] = []
    must_not: list[dict[str, Any]] = []
    if p.relevant_only:
        filters.append({"term": {"relevant": True}})
    for attr in ATTR_FIELD:
        values = getattr(p, attr)
        if values:
            filters.append(_terms(attr, values))
    for attr, values in p.exclude.items():
        must_not.append(_terms(attr, values))
    if p.start or p.end:
        rng: dict[str, Any] = {"format": "strict_date_optional_time"}
        if p.start:
            rng["gte"] = p.start
        if p.end:
            rng["lt"] = p.end
        filters.append({"range": {"published": rng}})
    must = [render(p.tree, p.langs)] if p.tree is not None else [{"match_all": {}}]
    return {"bool": {"must": must, "filter": filters, "must_not": must_not}}


def _snippet(hit: dict[str, Any]) -> str:
    highlight = hit.get("highlight") or {}
    for field in ("text.nl", "text.en", "text"):  # text.nl/.en: older indices
        if highlight.get(field):
            return " … ".join(highlight[field])
    return ""


def _title(hit: dict[str, Any], src: dict[str, Any]) -> str:
    highlight = hit.get("highlight") or {}
    for field in ("title.nl", "title.en", "title"):
        if highlight.get(field) and "«" in highlight[field][0]:
            return highlight[field][0]
    return src.get("title") or ""


def to_hit(hit: dict[str, Any]) -> dict[str, Any]:
    src = hit.get("_source") or {}
    events = src.get("events") or []
    out = {
        "id": hit["_id"],
        "score": hit.get("_score"),
        "url": src.get("url"),
        "title": src.get("title"),
        "source": src.get("source"),
        "lang": src.get("lang"),
        "published": src.get("published"),
        "indexed_at": src.get("indexed_at"),
        "relevant": src.get("relevant"),
        "relevance_score": src.get("relevance_score"),
        "countries": src.get("countries") or [],
        "regulators": [r.get("id") for r in src.get("regulators") or []],
        "platforms": src.get("platforms") or [],
        "measures": src.get("measures") or [],
        "statuses": src.get("statuses") or sorted({e.get("status") for e in events
                                                   if e.get("status")}),
        "action_ids": sorted({e.get("action_id") for e in events if e.get("action_id")}),
        "story_id": src.get("story_id") or hit["_id"],
    }
    if "text" in src:
        out["text"] = src["text"]
    return out


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"

    def __init__(self, client: Elasticsearch, alias: str) -> None:
        self.client = client
        self.alias = alias

    @classmethod
    def from_config(cls, cfg: Any) -> ElasticsearchBackend:
        return cls(es_index.make_client(cfg), cfg.es_index)

    def _call(self, doing: str, **body: Any) -> Any:
        try:
            return self.client.search(index=self.alias, **body)
        except NotFoundError as exc:
            if "index_not_found" in str(exc.info):
                raise es_index.SearchBackendError(
                    f"there is no index {self.alias!r} yet: run `toezicht index sync`") from None
            raise es_index.backend_error(self.client, exc, doing) from None
        except (ApiError, TransportError) as exc:
            raise es_index.backend_error(self.client, exc, doing) from None

    def search(self, params: SearchParams) -> SearchResults:
        p = params.normalised()
        body: dict[str, Any] = {
            "query": build_query(p),
            "from": (p.page - 1) * p.size,
            "size": p.size,
            "track_total_hits": True,
            "_source": {"excludes": _SOURCE_EXCLUDES},
        }
        if p.highlight and p.size:
            body["highlight"] = {
                "pre_tags": ["«"], "post_tags": ["»"], "require_field_match": False,
                "fields": {
                    "title.nl": {"number_of_fragments": 0},
                    "title.en": {"number_of_fragments": 0},
                    # the body's stemmed fields are not in _source: their matches
                    # are highlighted in ``text`` (the same string)
                    "text": {"fragment_size": 160, "number_of_fragments": 2,
                             "no_match_size": 160, "require_field_match": True,
                             "matched_fields": ["text", "text_nl", "text_en"]},
                },
            }
        if p.facets:
            body["aggs"] = {name: {"terms": {"field": field, "size": p.facet_size}}
                            for name, field in FIELDS.items()}
        if p.stories:
            body["collapse"] = {"field": "story_id",
                                "inner_hits": {"name": "story", "size": 0, "_source": False}}
            body.setdefault("aggs", {})["stories"] = {
                "cardinality": {"field": "story_id", "precision_threshold": 40000}}
        if p.sort == "date":
            body["sort"] = [{"published": {"order": "desc", "missing": "_last"}}, "_score"]
        elif p.sort == "date_asc":
            body["sort"] = [{"published": {"order": "asc", "missing": "_last"}}, "_score"]
        else:
            body["sort"] = ["_score", {"published": {"order": "desc", "missing": "_last"}}]
            body["track_scores"] = True
        resp = self._call("the search", **body)
        hits = []
        for hit in resp["hits"]["hits"]:
            row = to_hit(hit)
            if p.highlight:
                row["title"] = _title(hit, hit.get("_source") or {})
                row["snippet"] = _snippet(hit)
            if p.stories:
                inner = (hit.get("inner_hits") or {}).get("story") or {}
                row["story_size"] = int(((inner.get("hits") or {}).get("total") or {})
                                        .get("value", 1))
            hits.append(row)
        aggs = resp.get("aggregations") or {}
        facets = {name: [{"key": b["key"], "count": b["doc_count"]}
                         for b in aggs[name]["buckets"]] for name in FIELDS if name in aggs}
        total = resp["hits"]["total"]["value"]
        return SearchResults(
            query=p.query, total=total, page=p.page, size=p.size,
            hits=hits, facets=facets, stories=p.stories,
            total_stories=int(aggs["stories"]["value"]) if "stories" in aggs else None,
            took_ms=resp.get("took"), backend=self.name, warnings=list(p.warnings),
            suggestion=self.suggestion(p, total))

    def _corrections(self, words: list[str]) -> dict[str, str]:
        """One request: does each word match any article (a filters aggregation over
        the same fields a search uses), and the term suggester's candidates for it
        on the unstemmed ``title`` and ``text`` fields, ranked by
        :func:`index.search.suggest.best`."""
        from index.search import suggest

        names = {f"w{i}": w for i, w in enumerate(words)}
        body: dict[str, Any] = {
            "size": 0, "track_total_hits": False, "query": {"match_all": {}},
            "aggs": {"known": {"filters": {"filters": {
                key: render(Term(w), []) for key, w in names.items()}}}},
            "suggest": {f"{key}_{field}": {"text": w, "term": {
                "field": field, "suggest_mode": "always", "max_edits": suggest.MAX_EDITS,
                "prefix_length": 1, "min_word_length": suggest.MIN_WORD, "size": 10,
                "sort": "frequency", "string_distance": "damerau_levenshtein"}}
                for key, w in names.items() for field in ("title", "text")},
        }
        resp = self._call("the spelling suggestions", **body)
        known = resp["aggregations"]["known"]["buckets"]
        out: dict[str, str] = {}
        for key, word in names.items():
            if known[key]["doc_count"]:
                continue
            candidates: dict[str, int] = {}
            for field in ("title", "text"):
                for entry in resp.get("suggest", {}).get(f"{key}_{field}", []):
                    for option in entry.get("options", []):
                        text, freq = option["text"], int(option.get("freq", 0))
                        candidates[text] = max(candidates.get(text, 0), freq)
            fix = suggest.best(word, candidates)
            if fix:
                out[word] = fix
        return out

    def count(self, params: SearchParams) -> int:
        p = params.normalised()
        try:
            return int(self.client.count(index=self.alias, query=build_query(p))["count"])
        except (ApiError, TransportError) as exc:
            raise es_index.backend_error(self.client, exc, "counting") from None

    def _timeline_rows(self, p: SearchParams, interval: str,
                       by: str) -> list[tuple[str, str | None, int]]:
        hist: dict[str, Any] = {"date_histogram": {
            "field": "published", "calendar_interval": interval, "format": "yyyy-MM-dd",
            "min_doc_count": 1}}
        if by != "none":
            hist["aggs"] = {"by": {"terms": {"field": "lang" if by == "lang" else "countries",
                                             "size": 50}}}
        resp = self._call("the timeline", query=build_query(p), size=0,
                          aggs={"timeline": hist})
        rows: list[tuple[str, str | None, int]] = []
        for b in resp["aggregations"]["timeline"]["buckets"]:
            rows.append((b["key_as_string"], None, b["doc_count"]))
            for s in (b.get("by") or {}).get("buckets", []):
                rows.append((b["key_as_string"], str(s["key"]), s["doc_count"]))
        return rows

    def iter_all(self, params: SearchParams, *, batch: int = 1000,
                 progress: Progress | None = None) -> Iterator[dict[str, Any]]:
        """Point-in-time + search_after, oldest first: every hit exactly once even
        while the index is being written or its alias swapped."""
        p = params.normalised()
        query = build_query(p)
        try:
            pit = self.client.open_point_in_time(index=self.alias, keep_alive="2m")["id"]
        except NotFoundError:
            raise es_index.SearchBackendError(
                f"there is no index {self.alias!r} yet: run `toezicht index sync`") from None
        except (ApiError, TransportError) as exc:
            raise es_index.backend_error(self.client, exc, "opening a point in time") from None
        total = None
        done = 0
        after: list[Any] | None = None
        try:
            while True:
                body: dict[str, Any] = {
                    "query": query, "size": batch, "pit": {"id": pit, "keep_alive": "2m"},
                    "sort": [{"published": {"order": "asc", "missing": "_last"}},
                             {"_shard_doc": "asc"}],
                    "_source": {"excludes": ["events.evidence"]},
                    "track_total_hits": total is None,
                }
                if after is not None:
                    body["search_after"] = after
                try:
                    resp = self.client.search(**body)
                except (ApiError, TransportError) as exc:
                    raise es_index.backend_error(self.client, exc, "the export") from None
                pit = resp.get("pit_id", pit)
                if total is None:
                    total = resp["hits"]["total"]["value"]
                hits = resp["hits"]["hits"]
                if not hits:
                    break
                for hit in hits:
                    yield export_row(to_hit(hit))
                done += len(hits)
                if progress:
                    progress(done, total)
                after = hits[-1]["sort"]
                if len(hits) < batch:
                    break
        finally:
            try:
                self.client.close_point_in_time(id=pit)
            except (ApiError, TransportError):
                pass

    def sync(self, store: Any, progress: Progress | None = None) -> dict[str, Any]:
        return es_index.sync(store, self.client, self.alias, progress)

    def close(self) -> None:
        self.client.close()
