"""Export streams every hit once (ES point-in-time + search_after, SQLite keyset),
in CSV and JSON Lines, through the library and the command, on both backends."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner
from support.search_fixtures import cli_env

from index.search import SearchParams


@pytest.mark.parametrize("batch", [1, 4, 1000])
def test_iter_all_yields_every_hit_once(search_backend, batch):
    rows = list(search_backend.iter_all(SearchParams(relevant_only=False), batch=batch))
    assert len(rows) == 21 and len({r["id"] for r in rows}) == 21
    grok = list(search_backend.iter_all(SearchParams("grok"), batch=batch))
    assert len(grok) == 12
    assert all(r["text"] for r in grok)


def test_iter_all_reports_progress(search_backend):
    seen = []
    rows = list(search_backend.iter_all(SearchParams("ofcom"), batch=2,
                                        progress=lambda done, total: seen.append((done, total))))
    assert len(rows) == 5 and seen[-1] == (5, 5) and seen[0] == (2, 5)


@pytest.mark.parametrize("backend", ["elasticsearch", "sqlite"])
def test_cli_export_csv_and_jsonl(backend, corpus_dir, corpus_alias, es_url, tmp_path):
    from toezicht.cli import cli

    env = cli_env(corpus_dir, es_url, corpus_alias, backend)
    out = tmp_path / "ofcom.csv"
    result = CliRunner().invoke(cli, ["export", "ofcom", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "exported 5 article(s)" in result.stderr
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5
    assert set(rows[0]) >= {"id", "url", "title", "lang", "countries", "platforms", "story_id",
                            "action_ids", "text"}
    assert {r["countries"] for r in rows} == {"GB"}
    assert {tuple(sorted(r["platforms"].split(";"))) for r in rows} == {("Grok", "X")}
    assert len({r["story_id"] for r in rows}) == 2
    jl = tmp_path / "nl.jsonl"
    result = CliRunner().invoke(cli, ["export", "--lang", "nl", "--all", "--format", "jsonl",
                                      "--no-text", "--out", str(jl), "-q"], env=env)
    assert result.exit_code == 0, result.output
    items = [json.loads(line) for line in jl.read_text(encoding="utf-8").splitlines()]
    assert len(items) == 7 and all("text" not in i for i in items)
    assert isinstance(items[0]["countries"], list)
    stdout = CliRunner().invoke(cli, ["export", "maleisie", "--format", "jsonl"], env=env)
    assert len(stdout.stdout.splitlines()) == 1


def test_cli_export_bad_input_leaves_no_file(corpus_dir, corpus_alias, es_url, tmp_path):
    from toezicht.cli import cli

    env = cli_env(corpus_dir, es_url, corpus_alias, "sqlite")
    out = tmp_path / "x.csv"
    for args in (["export", "(grok", "--out", str(out)],
                 ["export", "--from", "gisteren", "--out", str(out)],
                 ["export", "grok", "--out", str(tmp_path / "missing" / "x.csv")]):
        result = CliRunner().invoke(cli, args, env=env)
        assert result.exit_code == 1, args
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert list(tmp_path.iterdir()) == []
