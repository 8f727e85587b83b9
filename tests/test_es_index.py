"""The Elasticsearch index layer against the real node: mapping, stemming, facets,
sync, rebuild, search and its errors. No mocks."""

from __future__ import annotations

import json
import socket
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from index import es
from index.documents import clean_date, to_document
from index.ids import article_id
from index.search.es_backend import ElasticsearchBackend
from index.search.query import SearchError, SearchParams

ANALYSIS_NL = {
    "lang": "nl", "relevant": True, "relevance_score": 0.92,
    "regulators": [{"id": "mcmc", "name": "Malaysian Communications and Multimedia Commission",
                    "country": "MY"},
                   {"id": "ofcom", "name": "Ofcom", "country": "GB"}],
    "countries": ["MY", "GB", "NL"], "platforms": ["Grok", "X"],
    "measures": ["block", "investigation"],
    "events": [
        {"actor": "mcmc", "jurisdiction": "MY", "measure": "block", "target": "Grok",
         "status": "actual", "date": "2026-01-11",
         "evidence": "Maleisië heeft de toegang tot Grok voorlopig beperkt.", "confidence": 0.9},
        {"actor": "ofcom", "jurisdiction": "GB", "measure": "investigation", "target": "Grok",
         "status": "actual", "date": None,
         "evidence": "Ofcom is inmiddels een onderzoek naar Grok gestart.", "confidence": 0.85},
    ],
}
ANALYSIS_EN = {
    "lang": "en", "relevant": True, "relevance_score": 0.88,
    "regulators": [{"id": "ofcom", "name": "Ofcom", "country": "GB"}],
    "countries": ["GB"], "platforms": ["Grok", "xAI"], "measures": ["investigation"],
    "events": [{"actor": "ofcom", "jurisdiction": "GB", "measure": "investigation",
                "target": "X", "status": "actual", "date": "2026-01-12",
                "evidence": "Ofcom opened investigations into X.", "confidence": 0.9}],
}
ANALYSIS_OFF = {"lang": "en", "relevant": False, "relevance_score": 0.1, "countries": ["US"],
                "platforms": [], "measures": [], "events": []}


def article(url: str, title: str, text: str, *, lang: str, published: str | None,
            analysis: dict[str, Any], source: str = "fixture") -> dict[str, Any]:
    return {"id": article_id(url), "url": url, "canonical_url": url, "source": source,
            "title": title, "text": text, "lang": lang, "published": published,
            "analysis": analysis, "nlp_version": "test"}


NL_ARTICLE = article(
    "https://nieuws.example/grok-maleisie",
    "Maleisië en Indonesië blokkeren Grok",
    "Toezichthouders openen onderzoeken naar Grok. De dienst is in Maleisië geblokkeerd "
    "nadat nepnaaktbeelden werden gemaakt. Er volgen mogelijk meer maatregelen.",
    lang="nl", published="2026-01-12", analysis=ANALYSIS_NL, source="nieuws")
EN_ARTICLE = article(
    "https://news.example/ofcom-x",
    "Ofcom opens investigations into X over Grok images",
    "The regulator's investigations concern sexualised deepfake images made with Grok.",
    lang="en", published="2026-01-13T09:30:00+00:00", analysis=ANALYSIS_EN, source="news")
OFF_ARTICLE = article(
    "https://news.example/sports", "Local team wins the cup",
    "A report about football, with no investigations at all.",
    lang="en", published="2025-12-01", analysis=ANALYSIS_OFF, source="news")


def ids(result: dict[str, Any]) -> set[str]:
    return {hit["id"] for hit in result["hits"]}


def search(client: Any, alias: str, query: str, *, lang: str | None = None,
           countries: list[str] | None = None, **params: Any) -> dict[str, Any]:
    """One search through the Elasticsearch backend the CLI and API use."""
    backend = ElasticsearchBackend(client, alias)
    wanted = SearchParams(query=query, langs=[lang] if lang else [],
                          countries=countries or [], **params)
    return backend.search(wanted).as_dict()


@pytest.fixture()
def loaded(store, es_client, es_alias):
    store.save_articles([NL_ARTICLE, EN_ARTICLE, OFF_ARTICLE])
    result = es.sync(store, es_client, es_alias)
    assert result["indexed"] == 3, result
    return store


# -- mapping ------------------------------------------------------------------------


def test_alias_and_explicit_mapping(es_client, es_alias):
    index = es.ensure_index(es_client, es_alias)
    assert index.startswith(es_alias + "-")
    assert es.alias_indices(es_client, es_alias) == [index]
    assert es.ensure_index(es_client, es_alias) == index  # idempotent
    mappings = es_client.indices.get_mapping(index=es_alias)[index]["mappings"]
    props = mappings["properties"]
    assert props["title"]["type"] == "text"
    assert props["title"]["fields"]["nl"]["analyzer"] == "toezicht_nl"
    assert props["title"]["fields"]["en"]["analyzer"] == "toezicht_en"
    # the body: plain, plus stemmed in its own language only (not kept in _source)
    assert props["text"]["analyzer"] == "toezicht_plain" and "fields" not in props["text"]
    assert props["text_nl"]["analyzer"] == "toezicht_nl"
    assert props["text_en"]["analyzer"] == "toezicht_en"
    assert set(mappings["_source"]["excludes"]) == {"text_nl", "text_en"}
    for facet in ("lang", "source", "countries", "platforms", "measures"):
        assert props[facet]["type"] == "keyword", facet
    assert props["regulators"]["properties"]["id"]["type"] == "keyword"
    assert props["relevant"]["type"] == "boolean"
    assert props["published"]["type"] == "date"
    assert props["indexed_at"]["type"] == "date"
    assert props["url"]["type"] == "keyword"
    assert props["events"]["type"] == "nested"
    events = props["events"]["properties"]
    for field in ("actor", "jurisdiction", "measure", "target", "status", "action_id"):
        assert events[field]["type"] == "keyword", field
    assert events["date"]["type"] == "date"
    assert events["evidence"]["type"] == "text"


def test_the_node_has_real_stemmers(es_client, es_alias):
    es.ensure_index(es_client, es_alias)
    assert es.analysis_support(es_client) in ("toezicht-analysis", "analysis-common")

    def tokens(analyzer: str, text: str) -> list[str]:
        resp = es_client.indices.analyze(index=es_alias, analyzer=analyzer, text=text)
        return [t["token"] for t in resp["tokens"]]

    assert tokens("toezicht_nl", "De onderzoeken naar Maleisië") == ["onderzoek", "maleisie"]
    assert tokens("toezicht_en", "The regulator's investigations") == ["regul", "investig"]


# -- stemming through search ------------------------------------------------------------


@pytest.mark.parametrize("query", ["onderzoek", "onderzoeken", "toezichthouder", "maatregel",
                                   "geblokkeerde", "Maleisie", "nepnaaktbeeld"])
def test_dutch_stemming_finds_inflected_forms(loaded, es_client, es_alias, query):
    assert article_id(NL_ARTICLE["url"]) in ids(search(es_client, es_alias, query))


@pytest.mark.parametrize("query", ["investigating", "investigation", "regulators", "image"])
def test_english_stemming_finds_inflected_forms(loaded, es_client, es_alias, query):
    assert article_id(EN_ARTICLE["url"]) in ids(search(es_client, es_alias, query))


def test_language_restricts_fields_and_filters(loaded, es_client, es_alias):
    assert ids(search(es_client, es_alias, "grok", lang="nl")) == {NL_ARTICLE["id"]}
    assert ids(search(es_client, es_alias, "grok", lang="en")) == {EN_ARTICLE["id"]}


def test_highlighted_snippets(loaded, es_client, es_alias):
    hit = search(es_client, es_alias, "geblokkeerde")["hits"][0]
    assert "«geblokkeerd»" in hit["snippet"]
    assert hit["title"] == NL_ARTICLE["title"]
    assert hit["published"] == "2026-01-12"


# -- filters and facets -------------------------------------------------------------------


def test_facets_count_right(loaded, es_client, es_alias):
    result = search(es_client, es_alias, "*")
    assert result["total"] == 2  # the irrelevant article is filtered by default
    facets = {name: {b["key"]: b["count"] for b in buckets}
              for name, buckets in result["facets"].items()}
    assert facets["lang"] == {"nl": 1, "en": 1}
    assert facets["countries"] == {"GB": 2, "MY": 1, "NL": 1}
    assert facets["regulators"] == {"ofcom": 2, "mcmc": 1}
    assert facets["platforms"] == {"Grok": 2, "X": 1, "xAI": 1}
    assert facets["measures"] == {"investigation": 2, "block": 1}
    assert facets["source"] == {"nieuws": 1, "news": 1}

    everything = search(es_client, es_alias, "", relevant_only=False)
    assert everything["total"] == 3
    assert {b["key"]: b["count"] for b in everything["facets"]["countries"]}["US"] == 1


def test_country_and_date_filters(loaded, es_client, es_alias):
    assert ids(search(es_client, es_alias, "*", countries=["my"])) == {NL_ARTICLE["id"]}
    assert len(search(es_client, es_alias, "*", countries=["MY", "GB"])["hits"]) == 2
    day = search(es_client, es_alias, "*", date_from="2026-01-13", date_to="2026-01-13")
    assert ids(day) == {EN_ARTICLE["id"]}  # a datetime falls within its day
    assert ids(search(es_client, es_alias, "*", date_to="2026-01-12")) == {NL_ARTICLE["id"]}
    assert search(es_client, es_alias, "*", date_from="2027-01-01")["total"] == 0


def test_nested_events_are_queryable(loaded, es_client, es_alias):
    query = {"nested": {"path": "events", "query": {"bool": {"filter": [
        {"term": {"events.measure": "block"}}, {"term": {"events.status": "actual"}},
        {"term": {"events.jurisdiction": "MY"}}]}}}}
    resp = es_client.search(index=es_alias, query=query)
    assert [h["_id"] for h in resp["hits"]["hits"]] == [NL_ARTICLE["id"]]
    # actor and jurisdiction of different events must not combine
    cross = {"nested": {"path": "events", "query": {"bool": {"filter": [
        {"term": {"events.actor": "ofcom"}}, {"term": {"events.jurisdiction": "MY"}}]}}}}
    assert es_client.search(index=es_alias, query=cross)["hits"]["total"]["value"] == 0


def test_paging_and_date_sort(loaded, es_client, es_alias):
    first = search(es_client, es_alias, "*", size=1, page=1, sort="date")
    second = search(es_client, es_alias, "*", size=1, page=2, sort="date")
    assert [h["id"] for h in first["hits"] + second["hits"]] == [EN_ARTICLE["id"],
                                                                  NL_ARTICLE["id"]]


# -- sync and rebuild ----------------------------------------------------------------


def test_sync_pushes_only_unsynced_then_nothing(store, es_client, es_alias):
    store.save_articles([NL_ARTICLE, EN_ARTICLE])
    first = es.sync(store, es_client, es_alias)
    assert (first["total"], first["indexed"], first["failed"]) == (2, 2, 0)
    assert store.count_articles(only_unsynced=True) == 0
    again = es.sync(store, es_client, es_alias)
    assert (again["total"], again["indexed"]) == (0, 0)

    store.save_articles([OFF_ARTICLE])  # new while the index was "down"
    changed = dict(ANALYSIS_EN, countries=["GB", "IE"])
    store.save_analysis(EN_ARTICLE["id"], changed, "test-2")
    third = es.sync(store, es_client, es_alias)
    assert (third["total"], third["indexed"]) == (2, 2)
    assert es_client.count(index=es_alias)["count"] == 3
    assert ids(search(es_client, es_alias, "*", countries=["IE"])) == {EN_ARTICLE["id"]}
    status = es.status(es_client, es_alias, store)
    assert status["in_sync"] and status["index_docs"] == status["store_articles"] == 3


def test_sync_reports_progress(store, es_client, es_alias):
    rows = [article(f"https://bulk.example/{i}", f"Bericht {i}", "tekst over onderzoeken",
                    lang="nl", published="2026-01-01", analysis=ANALYSIS_NL)
            for i in range(25)]
    store.save_articles(rows)
    seen: list[tuple[int, int]] = []
    result = es.sync(store, es_client, es_alias, lambda done, total: seen.append((done, total)),
                     chunk_size=10)
    assert result["indexed"] == 25
    assert seen[-1] == (25, 25) and (10, 25) in seen


def _load_settings(es_client, index):
    settings = es_client.indices.get_settings(index=index, flat_settings=True)[index]["settings"]
    return {k: settings.get(k) for k in ("index.refresh_interval",
                                         "index.translog.durability")}


def test_a_large_sync_loads_with_refresh_off_then_restores(store, es_client, es_alias,
                                                           monkeypatch):
    monkeypatch.setattr(es, "BULK_LOAD_MIN", 2)  # "large" for this test
    index = es.ensure_index(es_client, es_alias)
    seen: list[dict] = []
    real = es._mark_synced_unchanged

    def spy(*args):  # runs while the load is in progress
        seen.append(_load_settings(es_client, index))
        return real(*args)

    monkeypatch.setattr(es, "_mark_synced_unchanged", spy)
    store.save_articles([NL_ARTICLE, EN_ARTICLE, OFF_ARTICLE])
    result = es.sync(store, es_client, es_alias, chunk_size=2)
    assert result["indexed"] == 3 and store.count_articles(only_unsynced=True) == 0
    assert seen and all(s["index.refresh_interval"] == "-1" for s in seen)
    assert all(s["index.translog.durability"] is None for s in seen)  # per request
    assert _load_settings(es_client, index) == {"index.refresh_interval": None,
                                                "index.translog.durability": None}
    assert es_client.count(index=es_alias)["count"] == 3  # refreshed at the end


def test_rebuild_swaps_alias_and_keeps_search_working(loaded, es_client, es_alias):
    old = es.alias_indices(es_client, es_alias)
    result = es.rebuild(loaded, es_client, es_alias)
    assert result["indexed"] == 3 and result["previous"] == old
    assert es.alias_indices(es_client, es_alias) == [result["index"]] != old
    assert not es_client.indices.exists(index=old[0])
    assert article_id(NL_ARTICLE["url"]) in ids(search(es_client, es_alias, "onderzoek"))
    assert loaded.count_articles(only_unsynced=True) == 0
    # loaded with refresh off and an async translog, both back to the defaults
    assert _load_settings(es_client, result["index"]) == {"index.refresh_interval": None,
                                                          "index.translog.durability": None}
    # writes through the alias go to the new index
    store_again = es.sync(loaded, es_client, es_alias)
    assert store_again["index"] == result["index"]


def test_an_interrupted_rebuild_leaves_the_live_index_and_the_marks_as_they_were(
        store, es_client, es_alias):
    store.save_articles([NL_ARTICLE, EN_ARTICLE])
    es.sync(store, es_client, es_alias)
    old = es.alias_indices(es_client, es_alias)
    store.save_articles([OFF_ARTICLE])  # not in the live index yet

    def crash(done: int, total: int) -> None:
        raise KeyboardInterrupt  # the user stops the rebuild half-way

    with pytest.raises(KeyboardInterrupt):
        es.rebuild(store, es_client, es_alias, crash, chunk_size=1)
    assert es.alias_indices(es_client, es_alias) == old
    assert [i for i in es_client.indices.get(index=f"{es_alias}-*")] == old  # new one gone
    unsynced = {r["id"] for r in store.iter_articles(kind=None, only_unsynced=True)}
    assert unsynced == {OFF_ARTICLE["id"]}  # so the next sync still pushes it
    assert es.sync(store, es_client, es_alias)["indexed"] == 1


def test_sync_repairs_refresh_left_off_by_a_crashed_bulk_load(store, es_client, es_alias):
    index = es.ensure_index(es_client, es_alias)
    es_client.indices.put_settings(index=index, settings={"index.refresh_interval": "-1"})
    store.save_articles([NL_ARTICLE])
    es.sync(store, es_client, es_alias)
    assert _load_settings(es_client, index)["index.refresh_interval"] is None
    assert es_client.count(index=es_alias)["count"] == 1


def test_rebuild_replaces_a_plain_index_with_the_alias_name(store, es_client, es_alias):
    es_client.indices.create(index=es_alias)
    with pytest.raises(es.SearchBackendError, match="rebuild"):
        es.ensure_index(es_client, es_alias)
    store.save_articles([NL_ARTICLE])
    result = es.rebuild(store, es_client, es_alias)
    assert es.alias_indices(es_client, es_alias) == [result["index"]]
    assert search(es_client, es_alias, "onderzoek")["total"] == 1


def test_a_rejected_document_is_reported_not_fatal(es_client, es_alias):
    es.ensure_index(es_client, es_alias)
    good = to_document(NL_ARTICLE)
    bad = dict(to_document(EN_ARTICLE), relevance_score="veel")  # not a float
    done: list[str] = []
    indexed, errors = es.bulk_index(es_client, es_alias, [bad, good], on_success=done.extend,
                                    refresh=True)
    assert indexed == 1 and done == [good["id"]]
    assert [e["id"] for e in errors] == [bad["id"]]
    assert "relevance_score" in errors[0]["error"]
    assert es_client.count(index=es_alias)["count"] == 1


# -- documents ------------------------------------------------------------------------


def test_body_is_stemmed_in_its_own_language_only(loaded, es_client, es_alias):
    def hits(field: str, word: str) -> set[str]:
        resp = es_client.search(index=es_alias, query={"match": {field: word}})
        return {h["_id"] for h in resp["hits"]["hits"]}

    assert hits("text_nl", "onderzoeken") == {NL_ARTICLE["id"]}
    assert hits("text_en", "investigating") == {EN_ARTICLE["id"], OFF_ARTICLE["id"]}
    assert hits("text_en", "onderzoeken") == set()  # the Dutch body is not in text_en
    source = es_client.get(index=es_alias, id=NL_ARTICLE["id"])["_source"]
    assert source["text"] == NL_ARTICLE["text"]
    assert "text_nl" not in source and "text_en" not in source
    other = to_document({**NL_ARTICLE, "lang": "fr"})  # another language: both fields
    assert other["text_nl"] == other["text_en"] == NL_ARTICLE["text"]


def test_to_document_flattens_the_analysis():
    row = dict(NL_ARTICLE, published="12 januari 2026", relevant=None, relevance_score=None)
    doc = to_document(row)
    assert doc["published"] is None  # unparseable dates are dropped, never guessed
    assert doc["relevant"] is True and doc["relevance_score"] == 0.92
    assert [r["id"] for r in doc["regulators"]] == ["mcmc", "ofcom"]
    assert doc["measures"] == ["block", "investigation"]
    assert len({e["action_id"] for e in doc["events"]}) == 2
    assert doc["events"][1]["date"] is None
    assert clean_date("2026-01") == "2026-01"
    assert clean_date("2026-02-30") is None
    assert clean_date("2026-01-12 10:00:00") == "2026-01-12T10:00:00"


# -- bad input and errors -------------------------------------------------------------


BAD_QUERIES = ['"unclosed', "((", "a AND OR", "-", "+-+", "\\", "title:foo]", "~~~", "*?*",
               "onderzoek~2", "/regex[/", "a" * 3000, "ünïcødé 😀", "NOT", "|", '"" ""']


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_malformed_queries_never_raise_a_traceback(loaded, es_client, es_alias, query):
    try:
        result = search(es_client, es_alias, query)
    except (SearchError, es.SearchBackendError) as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(result["total"], int)


def test_bad_arguments_are_value_errors(es_client, es_alias):
    with pytest.raises(ValueError, match="not a date"):
        search(es_client, es_alias, "x", date_from="12-01-2026")
    with pytest.raises(ValueError, match="not a date"):
        search(es_client, es_alias, "x", date_to="2026-13-01")
    with pytest.raises(ValueError):
        search(es_client, es_alias, "x", page=0)
    with pytest.raises(ValueError):
        search(es_client, es_alias, "x", size=100, page=101)


def test_missing_index_is_a_clear_error(es_client, es_alias):
    with pytest.raises(es.SearchBackendError, match="index sync"):
        search(es_client, es_alias, "grok")


def test_unreachable_elasticsearch_is_a_clear_error(store):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cfg = SimpleNamespace(resolved_es_url=f"http://127.0.0.1:{port}", es_api_key="",
                          es_username="", es_password="", es_ca_certs="")
    client = es.make_client(cfg, timeout=2)
    assert not es.ping(client)
    message = f"Elasticsearch at http://127.0.0.1:{port} is not reachable: " \
              "start it with `toezicht es start`"
    with pytest.raises(es.SearchBackendError) as err:
        search(client, "toezicht-articles", "grok")
    assert str(err.value) == message
    store.save_articles([NL_ARTICLE])
    with pytest.raises(es.SearchBackendError, match="not reachable"):
        es.sync(store, client, "toezicht-articles")
    assert store.count_articles(only_unsynced=True) == 1  # nothing lost, nothing marked


def test_invalid_alias_name(es_client):
    with pytest.raises(es.SearchBackendError, match="not valid"):
        es.ensure_index(es_client, "Bad Name")


# -- the commands ---------------------------------------------------------------------


def run_cli(env: dict[str, str], *args: str) -> Any:
    import os

    from toezicht.cli import cli

    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("TOEZICHT_")}
    return CliRunner().invoke(cli, list(args), env={**unset, **env}, catch_exceptions=False)


@pytest.fixture()
def cli_env(es_env, es_alias, tmp_path):
    from index.store import Store

    env = dict(es_env, TOEZICHT_ES_INDEX=es_alias)
    data = tmp_path / "data"
    Store(f"sqlite:///{data / 'toezicht.db'}").save_articles([NL_ARTICLE, EN_ARTICLE,
                                                              OFF_ARTICLE])
    return env


def test_cli_index_and_search(cli_env):
    status = run_cli(cli_env, "index", "status", "--format", "json")
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["unsynced"] == 3

    sync = run_cli(cli_env, "index", "sync", "--quiet")
    assert sync.exit_code == 0, sync.stderr
    assert "indexed 3, deleted 0, already in sync 0" in sync.stdout

    found = run_cli(cli_env, "search", "onderzoek", "--format", "json")
    assert found.exit_code == 0, found.stderr
    data = json.loads(found.stdout)
    assert [h["id"] for h in data["hits"]] == [NL_ARTICLE["id"]]

    table = run_cli(cli_env, "search", "investigating", "--lang", "en", "--country", "GB",
                    "--from", "2026-01-01")
    assert table.exit_code == 0, table.stderr
    assert "1 result(s)" in table.stdout and "Ofcom opens" in table.stdout
    assert "countries" in table.stdout

    rebuilt = run_cli(cli_env, "index", "rebuild", "--format", "json")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    assert json.loads(rebuilt.stdout)["indexed"] == 3


def test_cli_errors_are_one_line(cli_env):
    bad_date = run_cli(cli_env, "search", "grok", "--from", "gisteren")
    assert bad_date.exit_code != 0
    assert bad_date.stderr.strip().splitlines() == [
        "Error: --from 'gisteren' is not a date: use YYYY-MM-DD"]

    no_index = run_cli(cli_env, "search", "grok")
    assert no_index.exit_code == 1
    assert len(no_index.stderr.strip().splitlines()) == 1 and "index sync" in no_index.stderr

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = dict(cli_env, TOEZICHT_ES_URL=f"http://127.0.0.1:{port}")
    for args in (("search", "grok"), ("index", "sync", "-q"), ("index", "status")):
        result = run_cli(down, *args)
        assert result.exit_code == 1, args
        assert result.stderr.strip().splitlines() == [
            f"Error: Elasticsearch at http://127.0.0.1:{port} is not reachable: "
            "start it with `toezicht es start`"], args
