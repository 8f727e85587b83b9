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
    assert ofcom["first_seen"] == "2026-01-12T09:30:00"
    assert [s["lang"] for s in ofcom["sources"]] == ["en", "en", "en", "nl", "nl"]
    law = by[("uk-government", "legislation", "", "GB")]  # planned twice, then actual
    assert law["status"] == "actual" and law["source_count"] == 3
    assert law["first_seen"] == "2025-12-18T11:00:00"
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
    assert "4 action(s)" in table.stdout and "mcmc" in table.stdout
    data = json.loads(run(cli, ["actions", "--country", "GB", "--format", "json"], env=env).stdout)
    assert [a["actor"] for a in data] == ["ofcom", "uk-government"]
    rows = list(csv.DictReader(io.StringIO(run(cli, ["actions", "--format", "csv"],
                                               env=env).stdout)))
    assert len(rows) == 11
    ofcom = next(r for r in rows if r["actor"] == "ofcom")
    assert (ofcom["sources_en"], ofcom["sources_nl"], ofcom["langs"]) == ("3", "2", "en;nl")
    assert len(ofcom["source_urls"].split(";")) == 5
    lines = run(cli, ["actions", "--format", "jsonl", "--status", "planned"], env=env).stdout
    assert len(lines.splitlines()) == 1
    bad = run(cli, ["actions", "--measure", "ban"], env=env)
    assert bad.exit_code == 1 and len(bad.stderr.strip().splitlines()) == 1
