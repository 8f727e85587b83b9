"""The HTTP API over real HTTP (uvicorn in a thread on a free port), on both
backends: search, facets, timeline, actions, articles, export, OpenAPI, errors."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import httpx
import pytest
from support.web_fixtures import serve_app


@pytest.fixture(scope="module")
def api(search_backend, corpus_store) -> Iterator[httpx.Client]:
    from index.search.api import create_app

    served = serve_app(create_app(search_backend, corpus_store))
    with httpx.Client(base_url=served.url, timeout=30) as client:
        yield client
    served.stop()


def test_search(api, search_backend):
    r = api.get("/api/search", params={"q": "grok", "country": "GB", "stories": "true"})
    assert r.status_code == 200
    data = r.json()
    assert (data["total"], data["total_stories"], data["backend"]) == (5, 2, search_backend.name)
    assert sorted(h["story_size"] for h in data["hits"]) == [2, 3]
    assert "«" in data["hits"][0]["snippet"]
    both = api.get("/api/search", params=[("lang", "nl"), ("lang", "en"), ("size", "0")]).json()
    assert both["total"] == 18 and both["hits"] == []
    assert api.get("/api/search", params={"q": "investigation", "all": "true"}).json()[
        "total"] == 4
    assert api.get("/api/search", params={"from": "2026-01-13", "to": "2026-01-13"}).json()[
        "total"] == 2


def test_search_answers_warnings_and_suggestion(api):
    plain = api.get("/api/search", params={"q": "grok"}).json()
    assert (plain["warnings"], plain["suggestion"]) == ([], None)
    typo = api.get("/api/search", params={"q": "Ofcomm", "country": "GB"}).json()
    assert (typo["total"], typo["suggestion"], typo["warnings"]) == (0, "ofcom", [])
    assert api.get("/api/search", params={"q": typo["suggestion"], "country": "GB"}).json()[
        "total"] == 5
    lower = api.get("/api/search", params={"q": "grok or clothoff"}).json()
    assert lower["warnings"] == ["'or' is searched as a word; use OR for either term"]
    assert lower["total"] == 0 and lower["suggestion"] is None
    assert api.get("/api/search", params={"q": "title:grok"}).json()["total"] == 10
    assert api.get("/api/search", params={"q": '"ofcom grok"~5'}).json()["total"] == 3


def test_unknown_field_is_a_documented_400(api):
    doc = api.get("/openapi.json").json()
    for path in ("/api/search", "/api/facets", "/api/timeline", "/api/export"):
        assert "unknown field" in doc["paths"][path]["get"]["responses"]["400"]["description"]
    r = api.get("/api/search", params={"q": "grok foo:bar"})
    assert r.status_code == 400 and set(r.json()) == {"error"}


def test_facets_and_timeline(api):
    facets = api.get("/api/facets", params={"q": "grok", "lang": "nl"}).json()
    assert facets["total"] == 5
    assert {b["key"]: b["count"] for b in facets["facets"]["countries"]} == {
        "GB": 2, "EU": 1, "MY": 1, "NL": 1}
    tl = api.get("/api/timeline", params={"interval": "week", "by": "lang"}).json()
    assert tl["series"] == ["en", "nl"] and len(tl["buckets"]) == 23
    assert tl["buckets"][-1] == {"key": "2026-01-12", "total": 7, "by": {"en": 5, "nl": 2}}


def test_actions_and_article(api, corpus_store):
    data = api.get("/api/actions", params={"target": "Grok", "measure": "block"}).json()
    assert data["total"] == 3
    assert {a["actor"] for a in data["actions"]} == {"EU", "mcmc", "komdigi"}
    source = data["actions"][0]["sources"][0]
    article = api.get(f"/api/articles/{source['id']}").json()
    assert article["url"] == source["url"] and article["text"]
    assert article["events"][0]["action_id"] == data["actions"][0]["action_id"]
    assert api.get("/api/articles/0123abcd").status_code == 404


def test_actions_show_names_beside_ids(api):
    data = api.get("/api/actions", params={"target": "Grok", "measure": "block"}).json()
    names = {a["actor"]: (a["actor_name"], a["jurisdiction_name"]) for a in data["actions"]}
    assert names["mcmc"] == ("Malaysian Communications and Multimedia Commission", "Malaysia")
    assert names["EU"] == ("European Union", "European Union")  # a code, not a body
    nl = api.get("/api/actions", params={"actor": "ofcom", "names": "nl"}).json()["actions"]
    assert nl[0]["jurisdiction_name"] == "Verenigd Koninkrijk" and nl[0]["actor"] == "ofcom"
    ofcom = nl[0]
    assert ofcom["first_seen"] == "2026-01-12T10:30:00+01:00"  # Europe/Amsterdam by default
    assert {"id", "url", "source", "lang", "published", "status", "evidence"} <= set(
        ofcom["sources"][0])


def test_actions_pages_with_offset_and_limit(api):
    everything = api.get("/api/actions").json()
    assert everything["total"] == len(everything["actions"]) == 11
    assert (everything["offset"], everything["limit"]) == (0, 100)
    pages = [api.get("/api/actions", params={"offset": o, "limit": 4}).json()
             for o in (0, 4, 8)]
    assert [p["total"] for p in pages] == [11, 11, 11]  # the real total on every page
    assert [len(p["actions"]) for p in pages] == [4, 4, 3]  # the last page is short
    ids = [a["action_id"] for p in pages for a in p["actions"]]
    assert len(set(ids)) == 11 and ids == [a["action_id"] for a in everything["actions"]]
    past = api.get("/api/actions", params={"offset": 50, "limit": 4}).json()
    assert (past["total"], past["actions"]) == (11, [])
    filtered = api.get("/api/actions", params={"lang": "nl", "limit": 2}).json()
    assert filtered["total"] == 5 and len(filtered["actions"]) == 2


def test_export_streams_every_hit(api):
    r = api.get("/api/export", params={"q": "ofcom", "format": "csv", "text": "false"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 5 and "text" not in rows[0]
    r = api.get("/api/export", params={"all": "true"})
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert len(lines) == 21 and len({x["id"] for x in lines}) == 21


def test_openapi_document(api):
    doc = api.get("/openapi.json").json()
    assert {"/api/search", "/api/facets", "/api/timeline", "/api/actions",
            "/api/articles/{article_id}", "/api/export"} <= set(doc["paths"])
    names = {p["name"] for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert {"q", "from", "to", "lang", "country", "regulator", "platform", "measure", "status",
            "source", "all", "sort", "page", "size", "stories"} <= names
    get = doc["paths"]["/api/actions"]["get"]
    params = {p["name"]: p for p in get["parameters"]}
    assert (params["limit"]["schema"]["minimum"], params["limit"]["schema"]["maximum"]) == (1,
                                                                                          1000)
    assert params["offset"]["schema"]["minimum"] == 0
    assert {"200", "400", "422"} <= set(get["responses"])
    ref = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert {"total", "offset", "limit", "actions"} <= set(page["properties"])
    action = doc["components"]["schemas"]["Action"]["properties"]
    assert {"actor", "actor_name", "jurisdiction_name", "evidence", "first_seen",
            "sources"} <= set(action)


@pytest.mark.parametrize("path,params,status,message", [
    ("/api/search", {"q": "(grok"}, 400, "unbalanced '('"),
    ("/api/search", {"q": "country:USA"}, 400, "not an ISO code"),
    ("/api/search", {"from": "gisteren"}, 400, "not a date"),
    ("/api/search", {"size": "5000"}, 422, "size"),
    ("/api/search", {"page": "0"}, 422, "page"),
    ("/api/search", {"page": "abc"}, 422, "page"),
    ("/api/search", {"sort": "oldest"}, 422, "sort"),
    ("/api/search", {"measure": "ban"}, 400, "measure 'ban' is unknown"),
    ("/api/timeline", {"interval": "year"}, 422, "interval"),
    ("/api/timeline", {"by": "source"}, 422, "by"),
    ("/api/actions", {"status": "done"}, 400, "status"),
    ("/api/actions", {"limit": "-1"}, 400, "limit must be 1 to 1000"),
    ("/api/actions", {"limit": "0"}, 400, "limit must be 1 to 1000"),
    ("/api/actions", {"limit": "1001"}, 400, "limit must be 1 to 1000"),
    ("/api/actions", {"offset": "-1"}, 400, "offset must be 0 or more"),
    ("/api/actions", {"limit": "ten"}, 422, "limit"),
    ("/api/actions", {"names": "de"}, 422, "names"),
    ("/api/export", {"format": "xml"}, 422, "format"),
    ("/api/export", {"q": "a |"}, 400, "both sides"),
    ("/api/search", {"q": "foo:bar"}, 400, "unknown field 'foo': use one of title, text, lang, "
                                           "country, regulator, platform, measure, status, "
                                           "source"),
    ("/api/search", {"q": "grok title:"}, 400, "give a word or a phrase after 'title:'"),
    ("/api/search", {"q": '"a b"~500'}, 400, "give a distance of 0 to 100 words"),
    ("/api/facets", {"q": "foo:bar"}, 400, "unknown field 'foo'"),
    ("/api/timeline", {"q": "foo:bar"}, 400, "unknown field 'foo'"),
    ("/api/export", {"q": "foo:bar"}, 400, "unknown field 'foo'"),
    ("/api/articles/not-an-id!", {}, 422, "article_id"),
])
def test_bad_input_is_a_clear_4xx(api, path, params, status, message):
    r = api.get(path, params=params)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert message in error and "\n" not in error


@pytest.mark.parametrize("path,params,message", [
    ("/api/search", {"from": "gisteren"}, "from 'gisteren' is not a date: use YYYY-MM-DD"),
    ("/api/search", {"to": "2026-13-45"}, "to '2026-13-45' is not a date: use YYYY-MM-DD"),
    ("/api/facets", {"from": "2026-02-30"}, "from '2026-02-30' is not a date"),
    ("/api/timeline", {"to": "morgen"}, "to 'morgen' is not a date"),
    ("/api/export", {"from": "gisteren"}, "from 'gisteren' is not a date"),
    ("/api/actions", {"from": "gisteren"}, "from 'gisteren' is not a date"),
    ("/api/actions", {"to": "2026-13"}, "to '2026-13' is not a date"),
])
def test_errors_name_the_query_parameter_not_the_cli_option(api, path, params, message):
    r = api.get(path, params=params)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error == message or error.startswith(message + ":"), error
    assert "--" not in error


@pytest.mark.parametrize("path,statuses", [
    ("/api/search", {"200", "400", "422", "503"}),
    ("/api/facets", {"200", "400", "422", "503"}),
    ("/api/timeline", {"200", "400", "422", "503"}),
    ("/api/actions", {"200", "400", "422"}),
    ("/api/articles/{article_id}", {"200", "404", "422"}),
    ("/api/export", {"200", "400", "422", "503"}),
    ("/api/health", {"200", "503"}),
])
def test_openapi_lists_every_status(api, path, statuses):
    responses = api.get("/openapi.json").json()["paths"][path]["get"]["responses"]
    assert set(responses) == statuses
    for code in statuses - {"200"}:  # every error is {"error": "..."}, not FastAPI's default
        assert responses[code]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ApiError"}, (path, code)


def test_openapi_lists_the_export_media_types(api):
    ok = api.get("/openapi.json").json()["paths"]["/api/export"]["get"]["responses"]["200"]
    assert set(ok["content"]) == {"text/csv", "application/x-ndjson"}
    for fmt, media in (("csv", "text/csv"), ("jsonl", "application/x-ndjson")):
        r = api.get("/api/export", params={"q": "ofcom", "format": fmt})
        assert r.headers["content-type"].split(";")[0] == media
