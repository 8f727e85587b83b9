"""Search over the synthetic corpus (index/search/synthetic.py), run against
both backends: Elasticsearch (the real node) and SQLite FTS5. Exact counts.

Corpus: 18 relevant articles in 13 stories (12 en, 6 nl) + 3 off-topic."""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner
from support.search_fixtures import cli_env

from index.search import SearchError, SearchParams


def P(query: str = "", **kw) -> SearchParams:
    return SearchParams(query=query, **kw)


QUERIES = [  # query, articles, stories
    ("", 18, 13),
    ("*", 18, 13),
    ("grok", 12, 8),
    ("GROK", 12, 8),
    ("ofcom", 5, 2),
    ("investigation", 3, 1),
    ("onderzoek", 2, 1),
    ('"formal investigation"', 3, 1),
    ("maleisie", 1, 1),  # accents folded: Maleisië
    ("Maleisië", 1, 1),
    ("nudif*", 5, 4),
    ("deepfake*", 7, 5),
    ("grok -ofcom", 7, 6),
    ("grok NOT ofcom", 7, 6),
    ("-grok", 6, 5),
    ("grok | clothoff", 13, 9),
    ("grok OR clothoff", 13, 9),
    ("(ofcom OR commission) AND x", 6, 3),
    ("+ofcom +x", 5, 2),
    ("reuters", 4, 3),
    ("women", 6, 3),
    ("verbod", 0, 0),
    ("grok country:GB", 5, 2),
    ("country:gb -platform:grok", 3, 2),
    ("lang:nl grok", 5, 4),
    ("measure:legislation", 4, 3),
    ("status:planned", 3, 2),
    ("regulator:ofcom lang:en", 3, 1),
    ("source:dagblad", 3, 3),
    ("platform:grok platform:clothoff", 14, 10),
]


@pytest.mark.parametrize("query,articles,stories", QUERIES)
def test_query_counts(search_backend, query, articles, stories):
    result = search_backend.search(P(query, stories=True, size=20))
    assert (result.total, result.total_stories) == (articles, stories)
    assert len(result.hits) == min(stories, 20)
    assert sum(h["story_size"] for h in result.hits) == articles


def test_relevant_only_by_default(search_backend):
    assert search_backend.count(P("investigation")) == 3
    assert search_backend.count(P("investigation", relevant_only=False)) == 4
    assert search_backend.count(P(relevant_only=False)) == 21


FILTERS = [
    ({"langs": ["nl"]}, 6),
    ({"langs": ["en", "nl"]}, 18),
    ({"countries": ["GB"]}, 8),
    ({"countries": ["gb", "EU"]}, 11),
    ({"regulators": ["uk-government"]}, 3),
    ({"platforms": ["grok"]}, 12),
    ({"platforms": ["xAI"]}, 4),
    ({"measures": ["block"]}, 4),
    ({"statuses": ["potential"]}, 1),
    ({"sources": ["wire-uk"]}, 3),
    ({"date_from": "2026-01-12"}, 7),
    ({"date_from": "2026-01", "date_to": "2026-01-11"}, 6),
    ({"date_to": "2025-12"}, 5),
    ({"date_from": "2025", "date_to": "2025"}, 5),
    ({"date_from": "2026-01-13", "date_to": "2026-01-13"}, 2),
    ({"exclude": {"langs": ["en"]}}, 6),
    ({"countries": ["GB"], "measures": ["legislation"], "statuses": ["actual"]}, 1),
]


@pytest.mark.parametrize("filters,expected", FILTERS)
def test_filters(search_backend, filters, expected):
    assert search_backend.count(P(**filters)) == expected
    assert search_backend.search(P(**filters, size=0)).total == expected


def test_facets_for_every_filter_field(search_backend):
    facets = search_backend.facets(P())
    as_dict = {name: {b["key"]: b["count"] for b in buckets} for name, buckets in facets.items()}
    assert as_dict["lang"] == {"en": 12, "nl": 6}
    assert as_dict["countries"] == {"GB": 8, "EU": 3, "ID": 2, "NL": 2, "AU": 1, "MY": 1,
                                    "US": 1}
    assert as_dict["platforms"] == {"Grok": 12, "X": 7, "xAI": 4, "Clothoff": 2}
    assert as_dict["regulators"] == {
        "ofcom": 5, "uk-government": 3, "european-commission": 2, "komdigi": 2,
        "esafety-commissioner": 1, "mcmc": 1, "ministerie-van-justitie-en-veiligheid": 1,
        "san-francisco-city-attorney": 1}
    assert as_dict["measures"] == {"investigation": 5, "block": 4, "legislation": 4, "order": 2,
                                   "fine": 1, "legal_action": 1, "platform_measure": 1,
                                   "warning": 1}
    assert as_dict["statuses"] == {"actual": 14, "planned": 3, "potential": 1}
    assert as_dict["source"] == {"dagblad": 3, "nieuwsdienst": 3, "wire-uk": 3,
                                 "brusselsreport": 2, "dailynews": 2, "techpost": 2,
                                 "ausnews": 1, "uswire": 1, "wire-asia": 1}
    # ordered by count, then key (both backends)
    assert [b["key"] for b in facets["countries"]] == ["GB", "EU", "ID", "NL", "AU", "MY", "US"]


def test_facets_follow_the_query(search_backend):
    facets = search_backend.facets(P("grok", langs=["nl"]))
    assert {b["key"]: b["count"] for b in facets["countries"]} == {"GB": 2, "EU": 1, "MY": 1,
                                                                   "NL": 1}


def test_week_timeline_by_lang(search_backend):
    tl = search_backend.timeline(P(), "week", "lang")
    assert tl.series == ["en", "nl"]
    assert len(tl.buckets) == 23  # 2025-08-11 .. 2026-01-12, empty weeks included
    nonzero = {b["key"]: (b["total"], b["by"]["en"], b["by"]["nl"]) for b in tl.buckets
               if b["total"]}
    assert nonzero == {"2025-08-11": (1, 1, 0), "2025-09-29": (1, 1, 0),
                       "2025-11-17": (1, 0, 1), "2025-12-15": (2, 2, 0),
                       "2026-01-05": (6, 3, 3), "2026-01-12": (7, 5, 2)}


def test_month_and_day_timelines(search_backend):
    month = search_backend.timeline(P(), "month", "country")
    assert [(b["key"], b["total"]) for b in month.buckets] == [
        ("2025-08-01", 1), ("2025-09-01", 0), ("2025-10-01", 1), ("2025-11-01", 1),
        ("2025-12-01", 2), ("2026-01-01", 13)]
    jan = month.buckets[-1]["by"]
    assert (jan["GB"], jan["EU"], jan["ID"], jan["MY"], jan["NL"]) == (6, 3, 2, 1, 1)
    day = search_backend.timeline(P("grok", date_from="2026-01-08"), "day", "none")
    assert [(b["key"], b["total"]) for b in day.buckets] == [
        ("2026-01-08", 1), ("2026-01-09", 2), ("2026-01-10", 2), ("2026-01-11", 1),
        ("2026-01-12", 3), ("2026-01-13", 2), ("2026-01-14", 1)]


def test_stories_collapse_syndicated_copies(search_backend):
    result = search_backend.search(P("ofcom", stories=True, sort="date"))
    assert [(h["lang"], h["story_size"]) for h in result.hits] == [("nl", 2), ("en", 3)]
    plain = search_backend.search(P("ofcom", sort="date", size=10))
    assert len({h["story_id"] for h in plain.hits}) == 2


def test_story_ids_are_shared_by_both_backends(search_backend, corpus_store):
    from index.search.stories import story_ids

    hits = search_backend.search(P(size=50, relevant_only=False)).hits
    stored = story_ids(corpus_store.engine, [h["id"] for h in hits])
    assert {h["id"]: h["story_id"] for h in hits} == stored
    assert len(set(stored.values())) == 16  # 13 stories + 3 off-topic


def test_sort_paging_and_highlight(search_backend):
    first = search_backend.search(P(sort="date", size=5))
    second = search_backend.search(P(sort="date", size=5, page=2))
    dates = [h["published"] for h in first.hits + second.hits]
    assert dates[0].startswith("2026-01-15") and len(set(h["id"] for h in first.hits
                                                         + second.hits)) == 10
    assert search_backend.search(P(sort="date_asc", size=1)).hits[0]["published"] \
        .startswith("2025-08-15")
    hit = search_backend.search(P("maleisie", size=1)).hits[0]
    assert "«Maleisië»" in hit["snippet"] and "«Maleisië»" in hit["title"]
    assert search_backend.search(P("ofcom", size=1)).hits[0]["title"].count("«") >= 1
    plain = search_backend.search(P("ofcom", size=1, highlight=False)).hits[0]
    assert "«" not in plain["title"]
    assert search_backend.search(P(page=3, size=10)).hits == []


BAD_QUERIES = ['"unclosed', "((grok", "grok)", "a AND", "OR b", "NOT", "|", "x*",
               "country:USA", "measure:ban", "status:maybe", "lang:dutch", "(lang:nl)",
               "lang:nl | grok", "+-+", "a" * 2001, "foo:bar", "title:", '"a b"~101',
               "country:(GB OR NL)"]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_malformed_queries_are_one_line_errors(search_backend, query):
    with pytest.raises(SearchError) as err:
        search_backend.search(P(query))
    assert "\n" not in str(err.value) and str(err.value)


SURVIVING = ["\\", "~~~", "*?*", "onderzoek~2", "/regex[/", "ünïcødé 😀", '"" ""',
             "title:foo]", "a - b", "grok --", "AND_OR", "x.com", "e-mail", "Ofcom: grok",
             "https://x.com/a", "10:30", '""~3', '"grok"~2']


@pytest.mark.parametrize("query", SURVIVING)
def test_odd_queries_still_search(search_backend, query):
    assert isinstance(search_backend.search(P(query)).total, int)


FIELDS_LIST = "title, text, lang, country, regulator, platform, measure, status, source"


@pytest.mark.parametrize("query,message", [
    ("foo:bar", f"unknown field 'foo': use one of {FIELDS_LIST} "
                '(or put "foo:bar" in quotes to search its words)'),
    ("grok Titel:grok", f"unknown field 'Titel': use one of {FIELDS_LIST} "
                        '(or put "Titel:grok" in quotes to search its words)'),
    ('foo:"a b"', f"unknown field 'foo': use one of {FIELDS_LIST}"),
    ("(grok OR foo:bar)", "unknown field 'foo'"),
    ("title:", "'title:': give a word or a phrase after 'title:'"),
    ("grok text:", "'text:': give a word or a phrase after 'text:'"),
    ("title:*", "'title:*': give a word or a phrase after 'title:'"),
    ("country:", "'country:': give a value after 'country:'"),
    ("country:(GB OR NL)", "'country:(': a filter takes one value, as country:VALUE"),
    ('"ofcom grok"~101', "'~101' after a phrase: give a distance of 0 to 100 words"),
])
def test_unknown_fields_and_empty_values_are_one_line_errors(search_backend, query, message):
    with pytest.raises(SearchError) as err:
        search_backend.search(P(query))
    assert str(err.value) == message or str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)


TITLE_QUERIES = [  # query, articles, stories: title: / text: search one part
    ("title:grok", 10, 7),  # 12 articles mention Grok; two only in their text
    ("TITLE:Grok", 10, 7),
    ("headline:grok", 10, 7),  # an alias
    ("title:grok country:GB", 4, 2),
    ("title:grok lang:nl", 3, 3),
    ("title:ofcom", 3, 2),
    ("text:ofcom", 5, 2),
    ("body:ofcom", 5, 2),
    ('title:"formal investigation"', 0, 0),
    ('text:"formal investigation"', 3, 1),
    ("title:(ofcom OR commission)", 4, 3),
    ("title:(grok OR clothoff) -title:ofcom", 7, 6),
    ("grok -title:grok", 2, 2),
    ("title:grok text:ofcom", 4, 2),
    ("title:nudif*", 4, 4),
    ('title:"ofcom grok"~5', 3, 2),
]


@pytest.mark.parametrize("query,articles,stories", TITLE_QUERIES)
def test_title_and_text_fields(search_backend, query, articles, stories):
    result = search_backend.search(P(query, stories=True, size=20))
    assert (result.total, result.total_stories) == (articles, stories)


PROXIMITY = [  # "a b"~N: the words at most N words apart, in any order, in one field
    ('"ofcom investigation"~0', 1, 1),  # ~0 is the phrase ("Ofcom investigates")
    ('"ofcom investigation"~1', 2, 1),  # + "Ofcom opens investigation"
    ('"ofcom investigation"~3', 2, 1),
    ('"ofcom investigation"~4', 3, 1),  # + "Ofcom has opened a formal investigation"
    ('"investigation ofcom"~4', 3, 1),  # any order
    ('"grok images"~0', 1, 1),
    ('"grok images"~1', 2, 1),
    ('"images grok"~1', 2, 1),
    ('"images grok"~2', 3, 2),
    ('"ofcom grok"~5', 3, 2),
    ('"grok ofcom"~5', 3, 2),
    ('"ofcom grok"~30', 5, 2),
    ('"women girls"~0', 0, 0),
    ('"women girls"~1', 4, 2),  # "women and girls"
    ('"girls women"~1', 4, 2),
    ('"grok chatbot"~1', 8, 4),
    ('"toegang grok"~3', 1, 1),
    ('"x grok"~2 country:GB', 4, 2),
    ('"ofcom x"~3 OR "commission x"~3', 4, 3),
]


@pytest.mark.parametrize("query,articles,stories", PROXIMITY)
def test_proximity(search_backend, query, articles, stories):
    result = search_backend.search(P(query, stories=True, size=20))
    assert (result.total, result.total_stories) == (articles, stories)


def test_proximity_totals_agree_between_backends(corpus_alias, es_client, corpus_store):
    from index.search.es_backend import ElasticsearchBackend
    from index.search.sqlite_backend import SqliteBackend

    es, lite = ElasticsearchBackend(es_client, corpus_alias), SqliteBackend(corpus_store)
    try:
        for query, _, _ in PROXIMITY + TITLE_QUERIES:
            for params in (P(query), P(query, relevant_only=False), P(query, langs=["nl"])):
                assert es.count(params) == lite.count(params), params
    finally:
        lite.close()


OR_WARNING = "'or' is searched as a word; use OR for either term"
AND_WARNING = "'and' is searched as a word; leave it out (words are ANDed) or use AND"
NOT_WARNING = "'not' is searched as a word; use NOT or -word to exclude a term"


@pytest.mark.parametrize("query,warnings,articles", [
    ("grok or clothoff", [OR_WARNING], 0),  # "or" is a word: no article has all three
    ("grok OR clothoff", [], 13),
    ("grok | clothoff", [], 13),
    ("grok Or clothoff", [OR_WARNING.replace("'or'", "'Or'")], 0),
    ("grok and ofcom", [AND_WARNING], 3),
    ("grok AND ofcom", [], 5),
    ("grok not ofcom", [NOT_WARNING], 0),
    ("grok NOT ofcom", [], 7),
    ("grok or x and ofcom or clothoff", [OR_WARNING, AND_WARNING], 0),
    ('"women or girls" grok', [], None),  # inside a phrase: a word, no warning
    ("or grok", [], 0),  # not between two terms
    ("grok or", [], 0),
])
def test_lower_case_operators_are_words_with_a_warning(search_backend, query, warnings,
                                                         articles):
    result = search_backend.search(P(query))
    assert result.warnings == warnings
    if articles is not None:
        assert result.total == articles
    assert search_backend.facets(P(query)) is not None  # facets take the same query


@pytest.mark.parametrize("query,suggestion", [
    ("Ofcomm", "ofcom"),
    ("ofcomm", "ofcom"),
    ("ocfom", "ofcom"),  # two letters swapped: one edit
    ("Grokk", "grok"),
    ("regulater", "regulator"),
    ("investigaton", "investigation"),
    ("onderzoekk", "onderzoek"),
    ("toezichthoudr", "toezichthouder"),
    ("Comission", "commission"),
    ("nudifcation apps", "nudification apps"),
    ("ofcomm country:GB", "ofcom country:GB"),
    ('"formal investigaton"', '"formal investigation"'),
    ("title:ofcomm", "title:ofcom"),
    ("ofcomm -grokk", "ofcom -grokk"),  # an excluded word is left alone
    ("zzzzqqq", None),  # nothing close
    ("ofcom", None),  # 5 hits: nothing to correct
    ("grok OR ofcomm", None),  # 12 hits
    ("ofcomm*", None),  # prefixes are not corrected
])
def test_did_you_mean(search_backend, query, suggestion):
    result = search_backend.search(P(query))
    assert result.suggestion == suggestion
    if suggestion:
        assert result.total == 0
        assert search_backend.count(P(suggestion)) > 0


def test_no_suggestion_when_not_asked(search_backend):
    assert search_backend.search(P("Ofcomm", suggest=False)).suggestion is None
    assert search_backend.search(P("Ofcomm", size=0)).suggestion == "ofcom"


@pytest.mark.parametrize("params,message", [
    ({"page": 0}, "page"), ({"size": 1001}, "size"), ({"size": 100, "page": 101}, "beyond"),
    ({"sort": "oldest"}, "sort"), ({"date_from": "12-01-2026"}, "not a date"),
    ({"date_to": "2026-13-01"}, "not a date"),
    ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "after"),
    ({"measures": ["ban"]}, "measure"), ({"countries": ["Nederland"]}, "country"),
])
def test_bad_parameters_are_one_line_errors(search_backend, params, message):
    with pytest.raises(SearchError, match=message):
        search_backend.search(P(**params))


def test_bad_timeline_arguments(search_backend):
    with pytest.raises(SearchError, match="interval"):
        search_backend.timeline(P(), "year", "lang")
    with pytest.raises(SearchError, match="split"):
        search_backend.timeline(P(), "week", "source")


def test_sqlite_index_follows_the_store(corpus_store, tmp_path):
    """New and changed articles reach the FTS index through the trigger queue."""
    from index.search.sqlite_backend import SqliteBackend
    from index.search.synthetic import corpus
    from index.store import Store

    store = Store(f"sqlite:///{tmp_path / 'fresh.db'}")
    arts = corpus()
    store.save_articles(arts[:5])
    backend = SqliteBackend(store)
    assert backend.count(P(relevant_only=False)) == 5
    store.save_articles(arts[5:])
    assert backend.pending() == 16
    assert backend.count(P(relevant_only=False)) == 21 and backend.pending() == 0
    changed = dict(arts[0], title="Volledig nieuwe kop over zeldzaamwoord")
    store.save_articles([changed])
    assert backend.count(P("zeldzaamwoord")) == 1
    store.mark_synced([arts[0]["id"]])  # Elasticsearch bookkeeping does not queue
    assert backend.pending() == 0
    backend.close()


def test_sqlite_facets_follow_the_store(tmp_path):
    """Facet counts come from in-memory postings: a change to the index (in this
    process or another) is counted at the next search."""
    from index.search.sqlite_backend import SqliteBackend
    from index.search.synthetic import corpus
    from index.store import Store

    store = Store(f"sqlite:///{tmp_path / 'facets.db'}")
    arts = corpus()
    store.save_articles(arts[:5])
    backend, other = SqliteBackend(store), SqliteBackend(store)
    before = {b["key"]: b["count"] for b in backend.facets(P(relevant_only=False))["lang"]}
    assert sum(before.values()) == 5
    store.save_articles(arts[5:])
    other.sync()  # another backend (process) folds the queue in
    after = {b["key"]: b["count"] for b in backend.facets(P(relevant_only=False))["lang"]}
    assert after == {"en": 14, "nl": 7}
    backend.rebuild()
    assert {b["key"]: b["count"] for b in other.facets(P(relevant_only=False))["lang"]} == after
    backend.close()
    other.close()


def test_sqlite_story_pages_read_on_when_the_first_hits_are_few_stories(
        corpus_store, monkeypatch):
    from index.search import sqlite_backend
    from index.search.sqlite_backend import SqliteBackend

    backend = SqliteBackend(corpus_store)
    params = [P("grok", stories=True, size=3, page=page, sort=sort)
              for page in (1, 2, 3) for sort in ("relevance", "date")]
    expected = [[(h["id"], h["story_size"]) for h in backend.search(p).hits] for p in params]
    monkeypatch.setattr(sqlite_backend, "STORY_READ_AHEAD", 0)  # read-ahead finds nothing
    assert [[(h["id"], h["story_size"]) for h in backend.search(p).hits]
            for p in params] == expected
    assert sum(len(page) for page in expected) == 2 * 8  # 8 grok stories, two orders
    backend.close()


# -- the command --------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["elasticsearch", "sqlite"])
def test_cli_search_timeline_chart_and_formats(backend, corpus_dir, corpus_alias, es_url,
                                                tmp_path):
    import csv
    import io
    import json

    from toezicht.cli import cli

    env = cli_env(corpus_dir, es_url, corpus_alias, backend)
    run = CliRunner().invoke
    table = run(cli, ["search", "grok", "--stories", "--country", "GB"], env=env)
    assert table.exit_code == 0, table.output
    assert "5 article(s) in 2 stor(ies) for 'grok'" in table.stdout
    data = json.loads(run(cli, ["search", "grok country:GB", "--format", "json"],
                          env=env).stdout)
    assert data["total"] == 5 and data["backend"] == backend
    rows = list(csv.DictReader(io.StringIO(run(cli, ["search", "ofcom", "--format", "csv"],
                                               env=env).stdout)))
    assert len(rows) == 5 and rows[0]["platforms"] in ("X;Grok", "Grok;X")
    chart = tmp_path / "grok.svg"
    tl = run(cli, ["search", "grok", "--timeline", "week", "--by", "lang", "--chart",
                   str(chart)], env=env)
    assert tl.exit_code == 0, tl.output
    assert "2026-01-12" in tl.stdout and chart.read_text().lstrip().startswith("<?xml")
    png = tmp_path / "all.png"
    assert run(cli, ["search", "--timeline", "month", "--chart", str(png)],
               env=env).exit_code == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    tl_csv = run(cli, ["search", "--timeline", "month", "--by", "lang", "--format", "csv"],
                 env=env).stdout.splitlines()
    assert tl_csv[0] == "bucket,total,en,nl" and tl_csv[-1] == "2026-01-01,13,8,5"
    for args, message in ((["search", "(grok"], "unbalanced '('"),
                          (["search", "--from", "gisteren"], "not a date"),
                          (["search", "--chart", "x.png"], "needs --timeline"),
                          (["search", "--timeline", "week", "--chart", "x.pdf"], "png or .svg"),
                          (["search", "--measure", "ban"], "measure 'ban' is unknown")):
        bad = run(cli, args, env=env)
        assert bad.exit_code == 1, args
        assert len(bad.stderr.strip().splitlines()) == 1 and message in bad.stderr, bad.stderr


@pytest.mark.parametrize("backend", ["elasticsearch", "sqlite"])
def test_cli_query_traps(backend, corpus_dir, corpus_alias, es_url):
    """Unknown fields are one line and exit 1; warnings and "did you mean" go to
    stderr, so stdout stays the results in any format."""
    import json

    from toezicht.cli import cli

    env = cli_env(corpus_dir, es_url, corpus_alias, backend)
    run = CliRunner().invoke
    for args in (["search", "foo:bar"], ["search", "grok title:"],
                 ["search", "foo:bar", "--timeline", "week"], ["export", "foo:bar"]):
        bad = run(cli, args, env=env)
        assert bad.exit_code == 1, (args, bad.output)
        assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr
        assert bad.stderr.startswith("Error: ") and ("unknown field 'foo': use one of title, "
                                                     "text, lang" in bad.stderr
                                                     or "after 'title:'" in bad.stderr)
    typo = run(cli, ["search", "Ofcomm"], env=env)
    assert typo.exit_code == 0, typo.output
    assert "0 result(s) for 'Ofcomm'" in typo.stdout
    assert typo.stderr.strip() == "did you mean: ofcom?"
    data = run(cli, ["search", "ofcomm country:GB", "--format", "json"], env=env)
    assert json.loads(data.stdout)["suggestion"] == "ofcom country:GB"
    assert data.stderr.strip() == "did you mean: ofcom country:GB?"
    lower = run(cli, ["search", "grok or clothoff"], env=env)
    assert lower.exit_code == 0
    assert lower.stderr.strip() == "warning: 'or' is searched as a word; use OR for either term"
    tl = run(cli, ["search", "grok or clothoff", "--timeline", "week"], env=env)
    assert tl.exit_code == 0 and "warning: 'or' is searched as a word" in tl.stderr
    near = run(cli, ["search", '"ofcom grok"~5', "--stories"], env=env)
    assert "3 article(s) in 2 stor(ies)" in near.stdout and near.stderr == ""
    title = run(cli, ["search", "title:grok", "--format", "csv"], env=env)
    assert len(title.stdout.strip().splitlines()) == 1 + 10


# -- rebuild without downtime -------------------------------------------------------


def test_rebuild_never_interrupts_searches(es_client, es_alias, tmp_path):
    """Threads keep searching while `rebuild` loads a new index and swaps the alias
    (twice): no search fails and none sees fewer hits than before."""
    import threading

    from index import es
    from index.search.es_backend import ElasticsearchBackend
    from index.search.synthetic import bulk, corpus
    from index.store import Store

    store = Store(f"sqlite:///{tmp_path / 'rebuild.db'}")
    store.save_articles(corpus())
    batch: list = []
    for art in bulk(1000, seed=7):
        batch.append(art)
        if len(batch) == 500:
            store.save_articles(batch)
            batch = []
    es.sync(store, es_client, es_alias)
    backend = ElasticsearchBackend(es_client, es_alias)
    queries = [P("grok"), P("ofcom", stories=True), P(countries=["GB"]), P("toezichthouder")]
    expected = [backend.search(q).total for q in queries]
    assert min(expected) > 0
    stop = threading.Event()
    seen: list[tuple[int, int]] = []
    errors: list[str] = []

    def searcher(offset: int) -> None:
        i = offset
        while not stop.is_set():
            try:
                seen.append((i % len(queries), backend.search(queries[i % len(queries)]).total))
            except Exception as exc:  # noqa: BLE001 (any failure is the finding)
                errors.append(f"{exc.__class__.__name__}: {exc}")
            i += 1

    threads = [threading.Thread(target=searcher, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    try:
        indices = []
        for _ in range(2):
            result = es.rebuild(store, es_client, es_alias, chunk_size=100)
            assert result["indexed"] == 1021 and result["failed"] == 0
            indices.append(result["index"])
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert len(seen) > 20
    assert {(q, n) for q, n in seen} == {(q, expected[q]) for q in range(len(queries))}
    assert es.alias_indices(es_client, es_alias) == [indices[-1]]


# -- one analysis for both backends (issue 15) -----------------------------------------

ANALYSIS_QUERIES = [
    "deepfake", "deepfakes", "Deepfake", "deepfake -grok", "deepfakes -grok", "deepfake*",
    "deepfakes*", '"deepfake apps"', '"deepfakes maakt"', "onderzoek", "onderzoeken",
    "onderzocht", "onderzoekt", "onderzoek*", "investigate", "investigates",
    "investigated", "investigating", "investigation", "investigations", "investigat*",
    '"formal investigation"', "regel", "regels", "regelgeving", "rule", "rules", "verbod",
    "verboden", "verbiedt", "ban", "banned", "banning", "technology", "technologies",
    "technologie", "cafe", "café", "Maleisië", "maleisie", "naieve", "naïeve", "musk",
    "company", "minister", "apps", "app", "3", "5", "title:deepfake", "text:deepfakes",
    "lang:nl deepfake", "lang:en deepfakes", "lang:nl onderzoeken", "lang:en investigate",
    '"deepfake onderzoek"~2', "grok | deepfakes", "onderzoek OR investigation",
]


@pytest.fixture(scope="module")
def analysis_backends(tmp_path_factory, es_client):
    """The analysis corpus plus the search corpus in a store, on both backends."""
    from index import es
    from index.search.es_backend import ElasticsearchBackend
    from index.search.sqlite_backend import SqliteBackend
    from index.search.synthetic import analysis_corpus, corpus
    from index.store import Store

    store = Store(f"sqlite:///{tmp_path_factory.mktemp('analysis') / 'toezicht.db'}")
    store.save_articles(corpus() + analysis_corpus())
    alias = f"toezicht-test-analysis-{uuid.uuid4().hex[:8]}"
    assert es.sync(store, es_client, alias)["indexed"] == 30
    sqlite = SqliteBackend(store)
    yield ElasticsearchBackend(es_client, alias), sqlite
    sqlite.close()
    es.drop(es_client, alias)


@pytest.mark.parametrize("query", ANALYSIS_QUERIES)
def test_both_backends_find_the_same_articles(analysis_backends, query):
    """Same analysis (Snowball Dutch, Porter English, folding) on both backends:
    the same articles for words in either language, their forms and accents."""
    elastic, sqlite = analysis_backends
    params = P(query, size=30, relevant_only=False, highlight=False)
    ids = [{h["id"] for h in b.search(params).hits} for b in (elastic, sqlite)]
    assert ids[0] == ids[1]
    assert elastic.count(params) == sqlite.count(params) == len(ids[0])


def test_stems_as_the_analysers_make_them(analysis_backends):
    """The Dutch stemmer keeps "deepfakes" (not "deepfake"), the English one merges
    them; Dutch forms of onderzoek, English forms of investigate."""
    elastic, sqlite = analysis_backends
    for backend in (elastic, sqlite):
        n = {q: backend.count(P(q, relevant_only=False)) for q in
             ("onderzoek", "onderzoeken", "investigate", "investigation", "lang:en deepfake",
              "lang:en deepfakes", "lang:nl deepfake", "lang:nl deepfakes")}
        assert n["lang:en deepfake"] == n["lang:en deepfakes"] > 0  # English merges them
        assert n["lang:nl deepfake"] != n["lang:nl deepfakes"]  # Dutch does not
        assert n["onderzoek"] == n["onderzoeken"] > 0
        assert n["investigate"] == n["investigation"] > 0


def test_an_index_of_another_analysis_is_rebuilt(tmp_path):
    """A store indexed with the old porter tokenizer (no analysis version) is
    indexed again when the backend opens it."""
    import sqlite3

    from index.search.sqlite_backend import ANALYSIS_VERSION, SqliteBackend
    from index.search.synthetic import analysis_corpus
    from index.store import Store

    store = Store(f"sqlite:///{tmp_path / 'old.db'}")
    store.save_articles(analysis_corpus())
    backend = SqliteBackend(store)
    assert backend.count(P("onderzoeken")) == 4
    backend.close()
    with sqlite3.connect(tmp_path / "old.db") as db:  # what an old index looked like
        db.execute("DROP TABLE search_fts")
        db.execute("CREATE VIRTUAL TABLE search_fts USING fts5(title, text, "
                   "tokenize = 'porter unicode61 remove_diacritics 2')")
        db.execute("DELETE FROM search_meta WHERE key = 'analysis'")
    backend = SqliteBackend(store)
    assert backend.count(P("onderzoeken")) == 4
    with sqlite3.connect(tmp_path / "old.db") as db:
        assert db.execute("SELECT value FROM search_meta WHERE key = 'analysis'"
                          ).fetchone()[0] == ANALYSIS_VERSION
        assert "x_nl" in db.execute("SELECT sql FROM sqlite_master WHERE name = 'search_fts'"
                                    ).fetchone()[0]
    backend.close()
