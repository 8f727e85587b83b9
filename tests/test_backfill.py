"""`toezicht backfill` (issue 13): WARC files and CC-NEWS through the crawl's own
extract → NLP → store → index steps, a prefilter on the raw bytes, per-file progress
and per-(domain, day) counts in the store, no alerts from the archive by default."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from support.warcs import OFF_TOPIC, ON_TOPIC, make_warc, page_html

from crawler.backfill.prefilter import Prefilter, spellings
from crawler.backfill.warc import WarcReader
from index import backfill_state
from index.store import Store, articles
from toezicht.cli import cli
from toezicht.sitesrv import SiteServer


def run(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "backfill", *args],
                                env={"TOEZICHT_CONFIG": "", **(env or {})},
                                catch_exceptions=False)
    return result


def summary(data_dir: Path, *args: str, **kw: Any) -> dict[str, Any]:
    result = run(data_dir, *args, "--format", "json", "--no-progress", **kw)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout[result.stdout.index("{"):])


def stored(data_dir: Path) -> list[dict[str, Any]]:
    store = Store(f"sqlite:///{data_dir / 'toezicht.db'}")
    with store.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(articles)).mappings()]
    store.engine.dispose()
    return rows


# -- the prefilter --------------------------------------------------------------------
def test_cue_regexes_expand_to_literal_spellings() -> None:
    assert sorted(spellings("nudif(y|ied)")) == [("nudified", False), ("nudify", False)]
    assert spellings("porn[a-z]*") == [("porn", True)]
    assert sorted(spellings("synthes(is|i[sz]ing)")) == [
        ("synthesis", False), ("synthesising", False), ("synthesizing", False)]
    assert sorted(spellings("foto('s)?")) == [("foto", False), ("foto's", False)]


def test_prefilter_keeps_on_topic_pages_and_drops_off_topic_ones() -> None:
    pf = Prefilter()
    for page in ON_TOPIC:
        assert pf.match(page_html(*page)), page[2]
    for page in OFF_TOPIC:
        assert pf.match(page_html(*page)) is None, page[2]


def test_prefilter_counts_words_in_the_text_only() -> None:
    pf = Prefilter()
    assert pf.match(b"<p>Nudify apps are spreading</p>") == ("nudify",)
    assert pf.match(b"<P>NUDIFY apps</P>") == ("nudify",)  # case-folded
    assert pf.match(b"<p>Essex and Sussex AI news</p>") is None  # not inside words
    assert pf.match(b'<a href="/nudify/">home</a>') is None  # not in attributes
    assert pf.match(b"<script>var nudify = 1;</script><p>x</p>") is None
    # sexual imagery alone is another story; with an AI cue it may be the topic
    assert pf.match(b"<p>The court heard of sexual abuse.</p>") is None
    assert pf.match(b"<p>Sexual images made with AI.</p>") == ("sexual", "ai")


# -- reading WARC files ---------------------------------------------------------------
@pytest.mark.parametrize("compress", [True, False])
def test_reader_classifies_records_and_resumes_at_an_offset(tmp_path: Path,
                                                            compress: bool) -> None:
    path = make_warc(tmp_path / ("a.warc.gz" if compress else "a.warc"), compress=compress,
                     gzip_payload=True)
    seen = list(WarcReader(str(path)))
    kinds = [k for _, k, _ in seen]
    assert kinds.count("html") == len(ON_TOPIC) + len(OFF_TOPIC)
    assert {"request", "metadata", "non_html", "robots"} <= set(kinds)
    pages = [p for _, k, p in seen if k == "html"]
    assert all(p.body.startswith(b"<!doctype html>") for p in pages)  # gzip decoded
    assert pages[0].warc_date == "2026-01-25T10:00:00+00:00"
    middle = seen[len(seen) // 2][0]
    rest = list(WarcReader(str(path), middle))
    assert [(o, k) for o, k, _ in rest] == [(o, k) for o, k, _ in seen if o >= middle]


# -- the command ----------------------------------------------------------------------
def test_backfill_gzip_and_plain_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    gz = make_warc(tmp_path / "a.warc.gz", gzip_payload=True)
    plain = make_warc(tmp_path / "b.warc", ON_TOPIC[:2], compress=False)
    out = summary(data, str(gz), str(plain), "--workers", "0", "--no-index")
    assert out["files_done"] == 2 and out["errors"] == []
    assert out["html"] == len(ON_TOPIC) + len(OFF_TOPIC) + 2
    assert out["passed_prefilter"] == len(ON_TOPIC) + 2
    assert out["stored"] == len(ON_TOPIC) and out["already_stored"] == 2
    assert out["relevant"] == len(ON_TOPIC) and out["events"] >= len(ON_TOPIC)
    assert out["skipped"]["request"] == len(ON_TOPIC) + len(OFF_TOPIC) + 2
    assert {"metadata", "non_html", "robots"} <= set(out["skipped"])
    rows = stored(data)
    assert len(rows) == len(ON_TOPIC)
    assert len({r["canonical_url"] for r in rows}) == len(rows)
    assert {r["fetched_at"] for r in rows} == {"2026-01-25T10:00:00+00:00"}
    by_url = {r["canonical_url"]: r for r in rows}
    guardian = by_url[ON_TOPIC[3][1]]
    assert guardian["source"].startswith("guardian")  # the configured source of that domain
    assert by_url[ON_TOPIC[2][1]]["source"] in ("nu.nl", "nu")
    assert guardian["published"].startswith("2026-02-03")
    store = Store(f"sqlite:///{data / 'toezicht.db'}")
    days = backfill_state.day_counts(store)
    assert days[("nos.nl", "2026-01-25")] == 3  # every HTML record, prefiltered ones too
    assert sum(days.values()) == out["html"]
    assert {f["status"] for f in backfill_state.files(store)} == {"done"}
    assert store.raw_html(guardian["id"])  # kept for `toezicht reprocess`
    # the same command again: both files are done, nothing is read or stored twice
    again = summary(data, str(gz), str(plain), "--workers", "0", "--no-index")
    assert again["records"] == 0 and again["stored"] == 0
    assert again["skipped"] == {"file_already_done": 2}
    assert sum(backfill_state.day_counts(store).values()) == out["html"]


def test_dates_langs_and_domains_filter(tmp_path: Path) -> None:
    data = tmp_path / "data"
    gz = make_warc(tmp_path / "a.warc.gz")
    out = summary(data, str(gz), "--workers", "0", "--no-index", "--from", "2026-01",
                  "--to", "2026-01", "--lang", "nl")
    urls = {r["canonical_url"] for r in stored(data)}
    assert urls == {ON_TOPIC[0][1], ON_TOPIC[2][1]}  # Dutch, January
    assert out["skipped"]["other_lang"] == 1 and out["skipped"]["outside_dates"] == 1
    data2 = tmp_path / "data2"
    out = summary(data2, str(gz), "--workers", "0", "--no-index", "--domain", "bbc.co.uk")
    assert {r["canonical_url"] for r in stored(data2)} == {ON_TOPIC[1][1]}
    assert out["skipped"]["other_domain"] > 0


def test_backfill_with_workers_indexes_into_elasticsearch(tmp_path: Path, es_client,
                                                          es_alias: str, es_env) -> None:
    data = Path(es_env["TOEZICHT_DATA_DIR"])
    files = [make_warc(tmp_path / f"{i}.warc.gz", [page]) for i, page in
             enumerate(ON_TOPIC + OFF_TOPIC)]
    out = summary(data, *map(str, files), "--workers", "2",
                  env={**es_env, "TOEZICHT_ES_INDEX": es_alias})
    assert out["files_done"] == len(files) and out["stored"] == len(ON_TOPIC)
    assert out["indexed"] == len(ON_TOPIC)
    es_client.indices.refresh(index=es_alias)
    assert es_client.count(index=es_alias)["count"] == len(ON_TOPIC)


def test_cc_news_listing_served_locally(tmp_path: Path) -> None:
    site = tmp_path / "site"
    month_dirs = {(2026, 1): [ON_TOPIC[:2], OFF_TOPIC], (2026, 2): [ON_TOPIC[2:]],
                  (2026, 3): [ON_TOPIC]}
    for (year, month), groups in month_dirs.items():
        folder = site / "crawl-data" / "CC-NEWS" / f"{year}" / f"{month:02d}"
        folder.mkdir(parents=True)
        paths = []
        for i, pages in enumerate(groups):
            name = f"CC-NEWS-{year}{month:02d}01000000-{i:05d}.warc.gz"
            make_warc(folder / name, pages)
            paths.append(f"crawl-data/CC-NEWS/{year}/{month:02d}/{name}")
        (folder / "warc.paths.gz").write_bytes(gzip.compress("\n".join(paths).encode()))
    data = tmp_path / "data"
    with SiteServer(site) as server:
        out = summary(data, "--cc-news", "--from", "2026-01", "--to", "2026-02",
                      "--cc-news-url", server.base_url + "/", "--domain", "nos.nl,nu.nl",
                      "--lang", "nl", "--workers", "0", "--no-index")
        assert server.count("/crawl-data/CC-NEWS/2026/03/warc.paths.gz") == 0
    assert out["files"] == 3 and out["files_done"] == 3
    assert {r["canonical_url"] for r in stored(data)} == {ON_TOPIC[0][1], ON_TOPIC[2][1]}
    store = Store(f"sqlite:///{data / 'toezicht.db'}")
    assert all(f["file"].startswith("http://127.0.0.1:") for f in backfill_state.files(store))


def test_a_missing_listing_is_one_line(tmp_path: Path) -> None:
    with SiteServer(tmp_path) as server:
        result = run(tmp_path / "data", "--cc-news", "--from", "2026-01", "--cc-news-url",
                     server.base_url, "--no-progress", "--no-index")
    assert result.exit_code == 1
    assert "cannot fetch the CC-NEWS listing" in result.output
    assert "Traceback" not in result.output


class _Everything:
    name, source_health, channel_names = "all", False, ["atom"]

    def matches(self, event: dict[str, Any], article: dict[str, Any]) -> bool:
        return True


def _fold(data: Path) -> Any:
    from index.alert_store import fold_events

    store = Store(f"sqlite:///{data / 'toezicht.db'}")
    return fold_events(store.engine, [_Everything()], relevant_only=False)


def test_backfilled_actions_do_not_alert_by_default(tmp_path: Path) -> None:
    gz = make_warc(tmp_path / "a.warc.gz", ON_TOPIC)
    data = tmp_path / "data"
    out = summary(data, str(gz), "--workers", "0", "--no-index")
    assert out["events"] > 0
    folded = _fold(data)
    assert folded.events > 0 and folded.new_actions  # folded into actions ...
    assert folded.enqueued == 0  # ... and nobody alerted
    # --alerts: only actions reported within --alert-since
    data2 = tmp_path / "data2"
    summary(data2, str(gz), "--workers", "0", "--no-index", "--alerts",
            "--alert-since", "2026-01-21")
    recent = _fold(data2)
    assert 0 < recent.enqueued
    data3 = tmp_path / "data3"
    summary(data3, str(gz), "--workers", "0", "--no-index", "--alerts",
            "--alert-since", "2025-01-01")
    assert _fold(data3).enqueued > recent.enqueued


def test_help_explains_every_option() -> None:
    result = CliRunner().invoke(cli, ["backfill", "--help"])
    assert result.exit_code == 0
    for option in ("--cc-news", "--cc-news-url", "--from", "--to", "--domain", "--lang",
                   "--alerts", "--alert-since", "--workers", "--no-index", "--progress",
                   "--format"):
        assert option in result.output


def test_no_input_is_a_usage_error(tmp_path: Path) -> None:
    result = run(tmp_path / "data")
    assert result.exit_code == 1 and "give WARC files" in result.output
    result = run(tmp_path / "data", "--cc-news")
    assert result.exit_code == 1 and "--cc-news needs --from" in result.output


def test_count_helpers(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    backfill_state.start_file(store, "f")
    backfill_state.checkpoint(store, "f", records=3, offset=10, days={("a.nl", "2026-01-02"): 2},
                              stats={"html": 2, "skipped": {"request": 1}})
    backfill_state.checkpoint(store, "f", records=5, offset=20, days={("a.nl", "2026-01-02"): 1},
                              stats={"html": 1, "skipped": {"request": 1}}, status="done")
    state = backfill_state.file_state(store, "f")
    assert state["records"] == 5 and state["byte_offset"] == 20 and state["status"] == "done"
    assert state["stats"] == {"html": 3, "skipped": {"request": 2}}
    assert backfill_state.day_counts(store) == {("a.nl", "2026-01-02"): 3}
    with store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(articles)) == 0
