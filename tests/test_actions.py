"""Canonical actions from the store's events over the synthetic corpus: each
action once, strongest status, first seen, sources in both languages."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from support.search_fixtures import cli_env

from index.search.actions import ActionFilter, list_actions
from index.search.query import SearchError


def actions(store, **kw):
    return list_actions(store.engine, ActionFilter(**kw))


def key(a):
    return (a["actor"], a["measure"], a["target"], a["jurisdiction"])


def test_each_action_once_with_strongest_status_and_sources(corpus_store):
    found = actions(corpus_store)
    assert len(found) == 11
    by = {key(a): a for a in found}
    assert len(by) == 11
    ofcom = by[("ofcom", "investigation", "X", "GB")]
    assert ofcom["status"] == "actual" and ofcom["source_count"] == 5
    assert ofcom["sources_by_lang"] == {"en": 3, "nl": 2} and ofcom["langs"] == ["en", "nl"]
    assert ofcom["first_seen"] == "2026-01-12T09:30:00+00:00"  # UTC unless a tz is given
    assert [s["lang"] for s in ofcom["sources"]] == ["en", "en", "en", "nl", "nl"]
    law = by[("uk-government", "legislation", "", "GB")]  # planned twice, then actual
    assert law["status"] == "actual" and law["source_count"] == 3
    assert law["first_seen"] == "2025-12-18T11:00:00+00:00"
    assert [s["status"] for s in law["sources"]] == ["planned", "planned", "actual"]
    assert by[("EU", "block", "Grok", "EU")]["status"] == "potential"
    ec = by[("european-commission", "order", "X", "EU")]
    assert ec["sources_by_lang"] == {"en": 1, "nl": 1}
    # newest first reported first
    assert [a["first_seen"][:10] for a in found][:3] == ["2026-01-14", "2026-01-12",
                                                         "2026-01-11"]


@pytest.mark.parametrize("kw,expected", [
    ({"measures": ["block"]}, 3),
    ({"statuses": ["actual"]}, 9),
    ({"statuses": ["planned"]}, 1),
    ({"statuses": ["planned", "potential"]}, 2),
    ({"jurisdictions": ["gb"]}, 2),
    ({"targets": ["grok"]}, 4),
    ({"actors": ["esafety-commissioner"]}, 2),
    ({"langs": ["nl"]}, 5),
    ({"date_from": "2026-01-10"}, 4),
    ({"date_to": "2025-12"}, 5),
    ({"measures": ["legislation"], "jurisdictions": ["NL"]}, 1),
    ({"limit": 2}, 2),
])
def test_action_filters(corpus_store, kw, expected):
    assert len(actions(corpus_store, **kw)) == expected


def test_bad_action_filters(corpus_store):
    for kw, message in (({"measures": ["ban"]}, "measure"), ({"statuses": ["done"]}, "status"),
                        ({"date_from": "gisteren"}, "not a date"), ({"limit": 0}, "limit")):
        with pytest.raises(SearchError, match=message):
            actions(corpus_store, **kw)


def test_cli_actions_formats(corpus_dir, es_url):
    from toezicht.cli import cli

    env = cli_env(corpus_dir, es_url, "unused", "sqlite")
    run = CliRunner().invoke
    table = run(cli, ["actions", "--target", "Grok"], env=env)
    assert table.exit_code == 0, table.output
    assert "4 action(s); times in Europe/Amsterdam" in table.stdout
    assert "Malaysian Communications and Multimedia Commission · block → Grok · Malaysia (MY)" \
        in table.stdout
    data = json.loads(run(cli, ["actions", "--country", "GB", "--format", "json"], env=env).stdout)
    assert [a["actor"] for a in data] == ["ofcom", "uk-government"]
    rows = list(csv.DictReader(io.StringIO(run(cli, ["actions", "--format", "csv"],
                                               env=env).stdout)))
    assert len(rows) == 11
    ofcom = next(r for r in rows if r["actor"] == "ofcom")
    assert (ofcom["sources_en"], ofcom["sources_nl"], ofcom["langs"]) == ("3", "2", "en;nl")
    assert len(ofcom["source_urls"].split(";")) == 5
    assert (ofcom["actor_name"], ofcom["jurisdiction_name"]) == ("Ofcom", "United Kingdom")
    assert ofcom["first_seen"] == "2026-01-12T10:30:00+01:00"  # the config's timezone
    lines = run(cli, ["actions", "--format", "jsonl", "--status", "planned"], env=env).stdout
    assert len(lines.splitlines()) == 1
    bad = run(cli, ["actions", "--measure", "ban"], env=env)
    assert bad.exit_code == 1 and len(bad.stderr.strip().splitlines()) == 1


# -- names, evidence, first seen, sources, CSV and paging over articles made here ------

LONG = ("De Autoriteit Persoonsgegevens is een onderzoek begonnen naar de app «Naaktfix», "
        "die van gewone foto's van vrouwen en meisjes zonder hun toestemming naaktbeelden "
        "maakt; de toezichthouder wil weten waar de foto's worden bewaard, wie ze kan inzien, "
        "hoe lang ze blijven staan en of de makers van de app zich aan de privacywet houden, "
        "zei een woordvoerder dinsdag in Den Haag.")


def _article(url: str, lang: str, published: str | None, events: list[dict],
             regulators: list[dict] | None = None, source: str = "testkrant") -> dict:
    from index.ids import article_id

    return {"id": article_id(url), "url": url, "canonical_url": url, "source": source,
            "title": f"Test article {url.rsplit('/', 1)[-1]}", "text": "Tekst.", "lang": lang,
            "published": published, "nlp_version": "test",
            "analysis": {"lang": lang, "relevant": True, "relevance_score": 0.9,
                         "regulators": regulators or [], "events": events}}


def _event(actor: str, measure: str, target: str, jurisdiction: str, status: str,
           evidence: str = "") -> dict:
    return {"actor": actor, "jurisdiction": jurisdiction, "measure": measure,
            "target": target, "status": status, "date": None, "evidence": evidence,
            "confidence": 0.8}


AP = "autoriteit-persoonsgegevens"


@pytest.fixture(scope="module")
def made_store(tmp_path_factory):
    """Four actions: the AP's investigation of Naaktfix (planned in one Dutch paper,
    actual in a second and in an English one), a Dutch court case with the country as
    actor, a city council only the article's regulators name, and an EU order."""
    from index.store import Store

    store = Store(f"sqlite:///{tmp_path_factory.mktemp('made') / 'toezicht.db'}")
    store.save_articles([
        _article("https://krant.example/ap-gepland", "nl", "2026-02-02T08:00:00+01:00",
                 [_event(AP, "investigation", "Naaktfix", "NL", "planned",
                         "De AP wil de app Naaktfix gaan onderzoeken.")]),
        _article("https://krant.example/ap-onderzoek", "nl", "2026-02-03T09:00:00+01:00",
                 [_event(AP, "investigation", "Naaktfix", "NL", "actual", LONG)],
                 source="dagblad"),
        _article("https://paper.example/ap-probe", "en", "2026-02-04",
                 [_event(AP, "investigation", "Naaktfix", "NL", "actual",
                         "The Dutch privacy watchdog AP has opened an investigation.")],
                 source="dailypaper"),
        _article("https://krant.example/rechtszaak", "nl", "2026-03-10T14:00:00+01:00",
                 [_event("NL", "legal_action", "", "NL", "actual",
                         "Een man uit Zwolle is aangeklaagd voor het maken van nepnaaktbeelden.")]),
        _article("https://krant.example/gemeente", "nl", "2026-03-12T10:00:00+01:00",
                 [_event("gemeente-testdorp", "warning", "", "NL", "actual",
                         "De gemeente waarschuwt ouders voor nudify-apps.")],
                 regulators=[{"id": "gemeente-testdorp", "name": "Gemeente Testdorp",
                              "country": "NL"}]),
        _article("https://paper.example/eu-order", "en", "2026-01-20T12:00:00+00:00",
                 [_event("EU", "order", "Naaktfix", "EU", "actual",
                         "Brussels ordered the app's operator to hand over documents.")]),
    ])
    return store


def made(store, lang="en", **kw):
    from zoneinfo import ZoneInfo

    found = list_actions(store.engine, ActionFilter(**kw), lang=lang,
                         tz=ZoneInfo("Europe/Amsterdam"))
    return {a["actor"]: a for a in found}


def test_names_instead_of_ids(made_store):
    en, nl = made(made_store), made(made_store, lang="nl")
    assert en[AP]["actor_name"] == nl[AP]["actor_name"] == "Dutch Data Protection Authority"
    assert (en["NL"]["actor_name"], nl["NL"]["actor_name"]) == ("Netherlands", "Nederland")
    assert (en["NL"]["jurisdiction_name"], nl["NL"]["jurisdiction_name"]) == ("Netherlands",
                                                                              "Nederland")
    assert (en["EU"]["actor_name"], nl["EU"]["actor_name"]) == ("European Union",
                                                                "Europese Unie")
    assert en["gemeente-testdorp"]["actor_name"] == "Gemeente Testdorp"  # from the article
    assert en[AP]["actor"] == AP and en["NL"]["jurisdiction"] == "NL"  # ids kept


def test_country_names():
    from index.search.action_names import country_name

    assert [country_name(c) for c in ("GB", "US", "KR", "EU", "ZZ")] == [
        "United Kingdom", "United States", "South Korea", "European Union", "ZZ"]
    assert [country_name(c, "nl") for c in ("GB", "DE", "KR", "MY")] == [
        "Verenigd Koninkrijk", "Duitsland", "Zuid-Korea", "Maleisië"]


def test_evidence_first_seen_and_every_source(made_store):
    ap = made(made_store)[AP]
    assert ap["status"] == "actual" and ap["source_count"] == 3
    # the strongest status first, then the earliest: the second Dutch article, trimmed
    assert ap["evidence"].startswith("De Autoriteit Persoonsgegevens is een onderzoek")
    assert ap["evidence"].endswith("…") and len(ap["evidence"]) <= 280
    assert "«" not in ap["evidence"] and " " + ap["evidence"][:-1].split()[-1] + " " in LONG
    assert ap["first_seen"] == "2026-02-02T08:00:00+01:00"
    assert [(s["source"], s["lang"], s["status"]) for s in ap["sources"]] == [
        ("testkrant", "nl", "planned"), ("dagblad", "nl", "actual"),
        ("dailypaper", "en", "actual")]
    assert all(s["id"] and s["url"] and s["published"] and s["evidence"]
               for s in ap["sources"])
    # a source published on a bare date is first seen at midnight in the timezone
    from index.search.actions import local_iso

    assert local_iso("2026-02-04", __import__("zoneinfo").ZoneInfo("Europe/Amsterdam")) \
        == "2026-02-04T00:00:00+01:00"
    assert local_iso("2026-07-01T10:00:00Z", __import__("zoneinfo").ZoneInfo(
        "Europe/Amsterdam")) == "2026-07-01T12:00:00+02:00"


def test_paging_keeps_the_total(made_store):
    from index.search.actions import find_actions

    everything = find_actions(made_store.engine).actions
    pages = [find_actions(made_store.engine, ActionFilter(limit=3, offset=o)) for o in (0, 3)]
    assert [p.total for p in pages] == [4, 4]
    assert [len(p.actions) for p in pages] == [3, 1]  # the last page is short
    ids = [a["action_id"] for p in pages for a in p.actions]
    assert ids == [a["action_id"] for a in everything] and len(set(ids)) == 4
    assert find_actions(made_store.engine, ActionFilter(offset=10)).actions == []
    with pytest.raises(SearchError, match="offset"):
        find_actions(made_store.engine, ActionFilter(offset=-1))
    with pytest.raises(SearchError, match="limit must be 1 to 1000"):
        find_actions(made_store.engine, ActionFilter(limit=1001), max_limit=1000)


def _made_env(made_store, tmp_path):
    import os

    env = {k: None for k in os.environ if k.startswith("TOEZICHT_")}
    env.update(TOEZICHT_STORE_URL=str(made_store.engine.url), TOEZICHT_DATA_DIR=str(tmp_path),
               TOEZICHT_SEARCH_BACKEND="sqlite")
    return env


def test_cli_csv_one_row_per_action_and_per_source(made_store, tmp_path):
    from index.search.action_export import ACTION_COLUMNS, SOURCE_COLUMNS
    from toezicht.cli import cli

    env = _made_env(made_store, tmp_path)
    run = CliRunner().invoke
    out = run(cli, ["actions", "--format", "csv"], env=env)
    assert out.exit_code == 0, out.output
    reader = csv.DictReader(io.StringIO(out.stdout))
    rows = list(reader)
    assert reader.fieldnames == ACTION_COLUMNS and len(rows) == 4
    assert "«" not in out.stdout and "»" not in out.stdout
    ap = next(r for r in rows if r["actor"] == AP)
    assert (ap["actor_name"], ap["jurisdiction"], ap["jurisdiction_name"]) == (
        "Dutch Data Protection Authority", "NL", "Netherlands")
    assert ap["first_seen"] == "2026-02-02T08:00:00+01:00" and ap["source_count"] == "3"
    assert len(ap["source_ids"].split(";")) == 3 and ap["evidence"].endswith("…")

    per = run(cli, ["actions", "--format", "csv", "--per-source"], env=env)
    reader = csv.DictReader(io.StringIO(per.stdout))
    srows = list(reader)
    assert reader.fieldnames == SOURCE_COLUMNS
    assert len(srows) == sum(int(r["source_count"]) for r in rows) == 6
    ap_rows = [r for r in srows if r["action_id"] == ap["action_id"]]
    assert [(r["lang"], r["status"]) for r in ap_rows] == [("nl", "planned"), ("nl", "actual"),
                                                           ("en", "actual")]
    assert {r["article_id"] for r in ap_rows} == set(ap["source_ids"].split(";"))
    assert all(r["url"] and r["published"] and r["evidence"] for r in ap_rows)

    jsonl = run(cli, ["actions", "--format", "jsonl", "--per-source", "--names", "nl"],
                env=env).stdout.splitlines()
    assert len(jsonl) == 6
    assert {json.loads(x)["jurisdiction_name"] for x in jsonl} == {"Nederland", "Europese Unie"}
    page = json.loads(run(cli, ["actions", "--format", "json", "--limit", "2", "--offset", "3"],
                          env=env).stdout)
    assert len(page) == 1


def test_cli_table_shows_names_quote_time_and_sources(made_store, tmp_path):
    from toezicht.cli import cli

    out = CliRunner().invoke(cli, ["actions", "--actor", AP], env=_made_env(made_store,
                                                                          tmp_path))
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert lines[0] == "1 action(s); times in Europe/Amsterdam"
    assert "Dutch Data Protection Authority · investigation → Naaktfix · Netherlands (NL) · " \
           "actual" in lines
    assert any(x.startswith("  first seen 2026-02-02T08:00:00+01:00 · 3 source(s) (en 1, nl 2)")
               for x in lines)
    assert any(x.startswith("  “De Autoriteit Persoonsgegevens") for x in lines)
    assert sum(1 for x in lines if x.startswith("  - ")) == 3
    assert "https://paper.example/ap-probe" in out.stdout


@pytest.mark.parametrize("args,message", [
    (["--offset", "-1"], "-1"),
    (["--limit", "0"], "0"),
    (["--per-source"], "--per-source needs --format csv, json or jsonl"),
    (["--format", "xml"], "xml"),
    (["--names", "de"], "de"),
    (["--from", "gisteren"], "not a date"),
])
def test_cli_bad_input_is_one_line(made_store, tmp_path, args, message):
    from toezicht.cli import cli

    out = CliRunner().invoke(cli, ["actions", *args], env=_made_env(made_store, tmp_path))
    assert out.exit_code == 1 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and message in out.stderr


def test_cli_help_explains_every_option():
    from toezicht.cli import cli

    out = CliRunner().invoke(cli, ["actions", "--help"])
    assert out.exit_code == 0
    for option in ("--actor", "--measure", "--status", "--country", "--target", "--lang",
                   "--from", "--to", "--all", "--limit", "--offset", "--format",
                   "--per-source", "--names"):
        assert option in out.stdout
    assert "one row per (action, source)" in " ".join(out.stdout.split())
