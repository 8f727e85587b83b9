"""Extraction you can trust, end to end: a real crawl (subprocess, real HTTP, real
SQLite) of the quality test site in tests/sites/quality — every date form (JSON-LD,
meta, feed only, URL only, Dutch and English written dates, relative dates, none), a
consent wall, a paywall teaser, a soft 404, a tag page, a login page, a short stub —
then the stored metadata and reasons, exactly; and source health over a sequence of
runs (one source drops to zero, another starts answering 403)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from index.store import Store
from toezicht.sitesrv import SiteServer

SITE = Path(__file__).parent / "sites" / "quality"
LABELS: dict[str, dict[str, Any]] = json.loads((SITE / "_labels.json").read_text("utf-8"))


def toezicht(args: list[str], env: dict[str, str], timeout: float = 300
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "toezicht.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def cli_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEZICHT_")}
    env.update(TOEZICHT_DATA_DIR=str(data_dir), TOEZICHT_ES_URL="http://127.0.0.1:9",
               TOEZICHT_DOWNLOAD_DELAY="0", TOEZICHT_CONCURRENT_PER_DOMAIN="4")
    return env


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data = tmp_path_factory.mktemp("quality")
    env = cli_env(data)
    with SiteServer(SITE) as site:
        result = toezicht(["crawl", "--sources", str(SITE / "sources.toml"), "--base",
                           site.base_url, "--format", "json", "--workers", "0"], env)
        assert result.returncode == 0, result.stderr[-3000:]
        base = site.base_url
    store = Store(f"sqlite:///{data / 'toezicht.db'}")
    rows = {urlsplit(r["canonical_url"]).path: r for r in store.iter_articles(kind=None)}
    return {"env": env, "stats": json.loads(result.stdout), "store": store, "rows": rows,
            "base": base}


def _path(label_path: str) -> str:
    return label_path[:-len("index.html")] if label_path.endswith("index.html") else label_path


def _expected_published(label: dict[str, Any], row: dict[str, Any]) -> str | None:
    if "relative_days" in label or "relative_hours" in label:
        zone = ZoneInfo("Europe/Amsterdam" if row["lang"] == "nl" else "Europe/London")
        fetched = datetime.fromisoformat(row["fetched_at"]).astimezone(zone)
        back = timedelta(days=label.get("relative_days", 0),
                         hours=label.get("relative_hours", 0))
        return (fetched - back).date().isoformat()
    return label["published"]


def test_every_page_stored_once(crawled: dict[str, Any]) -> None:
    assert sorted(crawled["rows"]) == sorted(_path(p) for p in LABELS)


@pytest.mark.parametrize("path", sorted(LABELS))
def test_stored_date_kind_and_reason(crawled: dict[str, Any], path: str) -> None:
    label = LABELS[path]
    row = crawled["rows"][_path(path)]
    assert (row["kind"], row["reason"]) == (label.get("kind", "article"), label.get("reason"))
    assert row["published"] == _expected_published(label, row)
    assert row["published_precision"] == label["precision"]


def test_jsonld_page_metadata(crawled: dict[str, Any]) -> None:
    row = crawled["rows"]["/nieuws/ofcom-onderzoekt-x.html"]
    base = crawled["base"]
    assert row["title"] == "Ofcom onderzoekt X om Grok-beelden"
    assert row["authors"] == ["Anne de Vries"]  # the Organization author is the publisher
    assert row["modified"] == "2026-01-13T08:00:00+01:00"
    assert row["section"] == "Tech"
    assert row["image"] == f"{base}/img/ofcom.jpg"
    assert row["lang"] == "nl"
    assert row["canonical_url"] == f"{base}/nieuws/ofcom-onderzoekt-x.html"


def test_meta_page_metadata(crawled: dict[str, Any]) -> None:
    row = crawled["rows"]["/news/ofcom-opens-investigation.html"]
    assert row["title"] == "Ofcom opens investigation into X"
    assert row["authors"] == ["Sam Carter"]
    assert row["modified"] == "2026-01-11T20:00:00+01:00"
    assert row["section"] == "Technology"
    assert row["image"] == f"{crawled['base']}/img/meta.jpg"
    assert row["lang"] == "en"


def test_byline_authors_are_names(crawled: dict[str, Any]) -> None:
    rows = crawled["rows"]
    assert rows["/nieuws/rechter-veroordeelt-maker-deepfakes.html"]["authors"] == ["Mark Visser"]
    assert rows["/news/regulator-warns-platforms.html"]["authors"] == ["Priya Nair"]
    assert rows["/nieuws/om-eist-werkstraf.html"]["authors"] == []  # "Gepubliceerd: ..."


def test_not_articles_are_neither_analysed_nor_indexed(crawled: dict[str, Any]) -> None:
    store: Store = crawled["store"]
    not_articles = [r for r in crawled["rows"].values() if r["kind"] == "not_article"]
    assert len(not_articles) == sum(1 for lb in LABELS.values() if lb.get("kind"))
    assert all(r["analysis"] is None and r["relevant"] is None for r in not_articles)
    indexable = {r["id"] for r in store.iter_articles(only_unsynced=True)}  # what ES gets
    assert not indexable & {r["id"] for r in not_articles}
    assert store.raw_html(not_articles[0]["id"])  # kept for reprocessing all the same


def test_crawl_stats_per_source(crawled: dict[str, Any]) -> None:
    sources = crawled["stats"]["sources"]
    n_pages = len(LABELS)
    n_not = sum(1 for lb in LABELS.values() if lb.get("kind"))
    ok = sources["kwaliteit"]
    assert (ok["discovered"], ok["fetched"], ok["new"], ok["not_article"], ok["failed"]) == (
        n_pages, n_pages, n_pages, n_not, 0)
    blocked = sources["geblokkeerd"]
    assert (blocked["fetched"], blocked["failed"], blocked["errors"]) == (
        0, 1, {"discovery_http_403": 1})


def test_sources_health_after_the_crawl(crawled: dict[str, Any]) -> None:
    result = toezicht(["sources", "health", "--format", "json"], crawled["env"])
    assert result.returncode == 0, result.stderr
    health = {h["source"]: h for h in json.loads(result.stdout)}
    assert set(health) == {"kwaliteit", "geblokkeerd"}
    blocked, ok = health["geblokkeerd"], health["kwaliteit"]
    assert blocked["flagged"] and blocked["flags"] == ["fails_every_request"]
    assert blocked["failures"] == {"403": 1} and blocked["last_success"] is None
    assert blocked["reason"] == "every request failed (403 1)"
    assert not ok["flagged"] and ok["last_success"] and ok["new"] == len(LABELS)
    assert ok["not_article_reasons"] == {"consent_wall": 1, "listing_page": 1,
                                         "login_page": 1, "paywall": 1, "soft_404": 1,
                                         "too_short": 1}
    table = toezicht(["sources", "health"], crawled["env"])
    assert table.returncode == 0 and "1 of 2 sources flagged: geblokkeerd" in table.stdout
    fail = toezicht(["sources", "health", "--fail-on-flag"], crawled["env"])
    assert fail.returncode == 3


# -- health over a sequence of runs -------------------------------------------------------
def _stats(new: int, *, fetched: int | None = None, errors: dict[str, int] | None = None
           ) -> dict[str, Any]:
    errors = errors or {}
    fetched = new + 2 if fetched is None else fetched
    return {"discovered": fetched + 5, "skipped_known": 5, "requested": fetched,
            "fetched": fetched, "new": new, "updated": 0, "not_article": 0, "indexed": 0,
            "failed": sum(errors.values()), "errors": errors}


def _run_sequence(store: Store) -> None:
    """14 ordinary runs of four sources, then one where "stil" delivers nothing new and
    "dicht" answers 403 to everything."""
    usual = {"stil": [9, 11, 10, 12, 8, 10, 11, 9, 10, 12, 10, 9, 11, 10],
             "dicht": [5, 6, 4, 5, 7, 5, 6, 5, 4, 6, 5, 5, 6, 4],
             "rustig": [0, 1, 0, 2, 0, 0, 1, 0, 3, 0, 1, 0, 0, 1],  # quiet by nature
             "gewoon": [20, 22, 19, 25, 21, 20, 23, 22, 18, 20, 21, 24, 22, 20]}
    names = list(usual)
    for i in range(14):
        store.finish_run(store.start_run(names), {n: _stats(usual[n][i]) for n in names})
    store.finish_run(store.start_run(names), {
        "stil": _stats(0, fetched=0),
        "dicht": _stats(0, fetched=0, errors={"discovery_http_403": 1}),
        "rustig": _stats(0, fetched=0),
        "gewoon": _stats(21, errors={"http_404": 1, "timeout": 1}),
    })


def test_health_flags_the_drop_and_the_403(store: Store) -> None:
    from crawler.health import assess

    _run_sequence(store)
    found = {h.source: h for h in assess(store.runs(limit=50))}
    assert {n for n, h in found.items() if h.flagged} == {"stil", "dicht"}
    assert found["stil"].flags == ["new_below_usual"]
    assert found["stil"].reason == "0 new articles, usually 10.1 ± 1.1 (last 14 runs)"
    assert found["dicht"].flags == ["fails_every_request", "new_below_usual"]
    assert found["dicht"].failures == {"403": 1}
    assert found["gewoon"].failures == {"404": 1, "timeout": 1}
    assert found["gewoon"].last_success == store.runs(limit=1)[0]["finished_at"]
    assert found["stil"].last_success == store.runs(limit=2)[1]["finished_at"]


def test_health_cli_and_alert(tmp_path: Path) -> None:
    from index.alert_store import check_source_health, list_outbox

    env = cli_env(tmp_path / "data")
    store = Store(f"sqlite:///{tmp_path / 'data' / 'toezicht.db'}")
    _run_sequence(store)
    result = toezicht(["sources", "health", "--format", "json"], env)
    assert result.returncode == 0, result.stderr
    flagged = sorted(h["source"] for h in json.loads(result.stdout) if h["flagged"])
    assert flagged == ["dicht", "stil"]

    class Sub:
        name, source_health, channel_names = "redactie", True, ["atom"]

        def matches(self, event: dict[str, Any], article: dict[str, Any]) -> bool:
            return False

    assert check_source_health(store.engine, [Sub()]) == 2
    assert check_source_health(store.engine, [Sub()]) == 0  # each run is checked once
    items = list_outbox(store.engine)
    assert sorted(i["payload"]["source"] for i in items) == ["dicht", "stil"]
    assert {i["kind"] for i in items} == {"source_health"}
    dicht = next(i["payload"] for i in items if i["payload"]["source"] == "dicht")
    assert dicht["flags"] == ["fails_every_request", "new_below_usual"]
    assert dicht["failures"] == {"403": 1}
