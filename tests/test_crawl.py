"""`toezicht crawl` end to end against the bundled demo site served on 127.0.0.1:
real HTTP, real SQLite, a real subprocess (Twisted's reactor runs once per process).

Elasticsearch points at a closed port here, so these tests also show that a crawl
stores everything while the index is down.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from crawler.urls import canonicalize
from index.store import Store
from toezicht.config import PACKAGE_DIR
from toezicht.demo.build import UI, load_articles
from toezicht.sitesrv import SiteServer

DEMO = PACKAGE_DIR / "demo"
ARTICLES = load_articles()
ARTICLE_PATHS = {a["path"] for a in ARTICLES}


def toezicht(args: list[str], env: dict[str, str], timeout: float = 240
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "toezicht.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def crawl_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEZICHT_")}
    env.update(TOEZICHT_DATA_DIR=str(data_dir), TOEZICHT_ES_URL="http://127.0.0.1:9",
               TOEZICHT_DOWNLOAD_DELAY="0", TOEZICHT_CONCURRENT_PER_DOMAIN="4")
    return env


@pytest.fixture(scope="module")
def site() -> Any:
    with SiteServer(DEMO / "site") as server:
        yield server


@pytest.fixture(scope="module")
def first_crawl(site: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data = tmp_path_factory.mktemp("crawl")
    env = crawl_env(data)
    before = len(site.requests)
    result = toezicht(["crawl", "--sources", str(DEMO / "sources.toml"), "--base",
                       site.base_url, "--format", "json", "--workers", "2"], env)
    assert result.returncode == 0, result.stderr[-3000:]
    stats = json.loads(result.stdout)
    return {"env": env, "data": data, "stats": stats, "stderr": result.stderr,
            "requests": list(site.requests[before:]),
            "store": Store(f"sqlite:///{data / 'toezicht.db'}")}


def rows(store: Store) -> list[dict[str, Any]]:
    return list(store.iter_articles(kind=None))


def by_path(store: Store) -> dict[str, dict[str, Any]]:
    from urllib.parse import urlsplit

    return {urlsplit(r["canonical_url"]).path: r for r in rows(store)}


def test_every_article_stored_once(first_crawl: dict[str, Any]) -> None:
    stored = rows(first_crawl["store"])
    paths = sorted(p for p in by_path(first_crawl["store"]))
    assert paths == sorted(ARTICLE_PATHS)
    assert len(stored) == len(ARTICLES) == 20
    assert all(r["kind"] == "article" for r in stored)
    # the utm duplicate in the feed collapsed into one article, under its clean URL
    telegram = [r for r in stored if "telegram" in r["url"]]
    assert len(telegram) == 1 and "utm_" not in telegram[0]["url"]
    totals = first_crawl["stats"]["totals"]
    assert totals["new"] == 20 and totals["updated"] == 0


def test_languages_sections_authors(first_crawl: dict[str, Any]) -> None:
    pages = by_path(first_crawl["store"])
    for a in ARTICLES:
        row = pages[a["path"]]
        assert row["lang"] == a["lang"], a["path"]
        assert row["title"] == a["title"]
        assert row["authors"] == [a["author"]]
        assert row["section"] == a["section"]
        assert row["http_status"] == 200
        assert row["indexed_at"] and row["fetched_at"]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_boilerplate_not_in_text(first_crawl: dict[str, Any], lang: str) -> None:
    ui = UI[lang]
    pages = by_path(first_crawl["store"])
    for a in (a for a in ARTICLES if a["lang"] == lang):
        text = pages[a["path"]]["text"]
        for paragraph in a["body"]:
            assert paragraph in text, a["path"]
        assert ui["cookie"] not in text and ui["accept"] not in text
        assert ui["newsletter"] not in text
        assert " ".join(ui["nav"][1:4]) not in text
        for user, comment in ui["comment_list"]:
            assert comment not in text and user not in text
        assert ui["footer"][:30] not in text


@pytest.mark.parametrize("article", ARTICLES, ids=[a["slug"][:40] for a in ARTICLES])
def test_publication_dates(first_crawl: dict[str, Any], article: dict[str, Any]) -> None:
    row = by_path(first_crawl["store"])[article["path"]]
    assert row["published_precision"] == "day"
    assert row["published"][:10] == article["date"][:10]
    if article["date_style"] in ("jsonld", "meta", "feed", "sitemap"):
        # the page's own date wins over the feed's later timestamp
        assert row["published"] == article["dt"].isoformat()


def test_robots_disallowed_path_not_fetched(first_crawl: dict[str, Any]) -> None:
    fetched = [p for _m, p, _s in first_crawl["requests"]]
    assert "/robots.txt" in fetched
    assert not [p for p in fetched if p.startswith("/private/")]
    errors = first_crawl["stats"]["sources"]["demo-archief"]["errors"]
    assert errors.get("robots_txt") == 1


def test_404_and_pdf_not_stored(first_crawl: dict[str, Any]) -> None:
    urls = {r["url"] for r in rows(first_crawl["store"])}
    assert not [u for u in urls if "verdwenen" in u or "factsheet" in u or u.endswith(".pdf")]
    # the .pdf link is never requested; the extensionless PDF is dropped at its headers
    fetched = [p for _m, p, _s in first_crawl["requests"]]
    assert "/docs/jaarverslag-2025.pdf" not in fetched
    errors = first_crawl["stats"]["sources"]["demo-rss"]["errors"]
    assert errors == {"http_404": 1, "not_html": 1}


def test_server_error_recovers_on_retry(first_crawl: dict[str, Any]) -> None:
    path = "/nieuws/xai-beperkt-beeldgenerator-tot-betalende-gebruikers.html"
    statuses = [s for _m, p, s in first_crawl["requests"] if p == path]
    assert statuses == [500, 200]
    assert by_path(first_crawl["store"])[path]["text"]


def test_redirected_article_keeps_its_link(first_crawl: dict[str, Any]) -> None:
    row = by_path(first_crawl["store"])["/nieuws/maleisie-beperkt-toegang-tot-grok.html"]
    assert row["url"].endswith("/artikel/1042")


def test_windows_1252_page_decoded(first_crawl: dict[str, Any]) -> None:
    path = "/nieuws/rechter-veroordeelt-student-voor-deepfakes-van-medestudentes.html"
    row = by_path(first_crawl["store"])[path]
    for word in ("één", "Eén", "geëist", "€ 2.500", "café"):
        assert word in row["text"]
    raw = first_crawl["store"].raw_page(row["id"])
    assert "€".encode("cp1252") in raw["html"]  # kept as fetched, in its own encoding
    assert raw["encoding"] == "cp1252"


def test_raw_html_and_analysis_kept(first_crawl: dict[str, Any]) -> None:
    store = first_crawl["store"]
    for row in rows(store):
        raw = store.raw_html(row["id"])
        assert raw and b"<html" in raw[:200].lower()
        assert row["analysis"] is not None and row["nlp_version"]
        assert row["es_synced_at"] is None  # Elasticsearch was down
    relevant = {r["canonical_url"].rsplit("/", 1)[-1] for r in rows(store) if r["relevant"]}
    assert "storm-zorgt-voor-vertragingen-op-het-spoor.html" not in relevant
    assert "ofcom-opens-formal-investigation-into-x-over-grok.html" in relevant


def test_es_down_reported_once(first_crawl: dict[str, Any]) -> None:
    assert first_crawl["stderr"].count("toezicht index sync") == 1
    assert "Traceback" not in first_crawl["stderr"]
    assert first_crawl["stats"]["index_available"] is False


def test_crawl_run_recorded(first_crawl: dict[str, Any]) -> None:
    (run,) = first_crawl["store"].runs()
    assert run["status"] == "finished" and run["finished_at"]
    assert sorted(run["sources"]) == ["demo-archief", "demo-atom", "demo-rss", "demo-sitemap"]
    stats = run["stats"]
    assert sum(s["new"] for s in stats.values()) == 20
    assert stats["demo-rss"]["failed"] == 2
    assert stats["demo-atom"] == {**stats["demo-atom"], "fetched": 6, "new": 6, "failed": 0}
    assert all(s["discovered"] >= s["new"] for s in stats.values())


def test_reprocess_needs_no_network(site: SiteServer, first_crawl: dict[str, Any]) -> None:
    before = len(site.requests)
    result = toezicht(["reprocess", "--all", "--workers", "0"], first_crawl["env"])
    assert result.returncode == 0, result.stderr
    assert "reprocessed 20 pages (20 articles, 0 failed)" in result.stdout
    assert len(site.requests) == before
    pages = by_path(first_crawl["store"])
    assert len(pages) == 20
    # dates that only the feed knew survive reprocessing
    feed_only = next(a for a in ARTICLES if a["date_style"] == "feed")
    assert pages[feed_only["path"]]["published"] == feed_only["dt"].isoformat()


def test_recrawl_fetches_no_stored_article(site: SiteServer, first_crawl: dict[str, Any]
                                           ) -> None:
    before = len(site.requests)
    result = toezicht(["crawl", "--sources", str(DEMO / "sources.toml"), "--base",
                       site.base_url, "--format", "json"], first_crawl["env"])
    assert result.returncode == 0, result.stderr[-3000:]
    stats = json.loads(result.stdout)
    assert stats["totals"]["new"] == 0 and stats["totals"]["fetched"] == 0
    fetched = {p.split("?")[0] for _m, p, _s in site.requests[before:]}
    assert not fetched & ARTICLE_PATHS
    assert "/artikel/1042" not in fetched  # the redirecting link is remembered too
    assert len(rows(first_crawl["store"])) == 20
    assert len(first_crawl["store"].runs()) == 2
    # feeds and sitemaps were revalidated, not downloaded again: conditional GETs
    # answered 304 Not Modified from the HTTP cache's validators
    discovery = {p: status for _m, p, status in site.requests[before:]
                 if p in {"/feed.xml", "/atom.xml", "/sitemap.xml"}}
    assert discovery and set(discovery.values()) == {304}, discovery


def test_limit_and_single_source(site: SiteServer, tmp_path: Path) -> None:
    env = crawl_env(tmp_path)
    result = toezicht(["crawl", "--sources", str(DEMO / "sources.toml"), "--base",
                       site.base_url, "--source", "demo-atom", "--limit", "2", "--format",
                       "json", "--workers", "0"], env)
    assert result.returncode == 0, result.stderr[-3000:]
    stats = json.loads(result.stdout)
    assert list(stats["sources"]) == ["demo-atom"]
    assert stats["totals"]["new"] == 2


def test_unknown_source_is_one_line_error(tmp_path: Path) -> None:
    result = toezicht(["crawl", "--source", "nope"], crawl_env(tmp_path))
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "unknown source 'nope'" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("content", [
    "[[source]\nname = 'kapot'",
    '[[source]]\nname = "kapot"\ntype = "rss"\nurl = "https://a.nl/feed"\n',
    '[[source]]\nname = "kapot"\ntype = "feed"\n',
], ids=["toml", "type", "url"])
def test_broken_sources_file_is_one_line_error(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "sources.toml"
    bad.write_text(content, encoding="utf-8")
    for args in (["crawl", "--sources", str(bad)], ["sources", "check", "--sources", str(bad)]):
        result = toezicht(args, crawl_env(tmp_path))
        assert result.returncode != 0
        assert result.stderr.strip().count("\n") == 0, result.stderr
        assert str(bad) in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "toezicht.db").exists() or not Store(
        f"sqlite:///{tmp_path / 'toezicht.db'}").runs()


def test_sources_list_and_check(tmp_path: Path) -> None:
    env = crawl_env(tmp_path)
    check = toezicht(["sources", "check"], env)
    assert check.returncode == 0 and check.stdout.startswith("ok: ")
    listing = toezicht(["sources", "list", "--format", "json", "--sources",
                        str(DEMO / "sources.toml")], env)
    assert listing.returncode == 0
    names = [s["name"] for s in json.loads(listing.stdout)]
    assert names == ["demo-rss", "demo-atom", "demo-sitemap", "demo-archief"]
    demo = tomllib.loads((DEMO / "sources.toml").read_text(encoding="utf-8"))
    assert len(demo["source"]) == len(names)


def test_canonical_urls_are_canonical(first_crawl: dict[str, Any]) -> None:
    for row in rows(first_crawl["store"]):
        assert canonicalize(row["canonical_url"]) == row["canonical_url"]


def test_a_second_crawl_waits_for_the_running_one(tmp_path: Path) -> None:
    """Two crawls of one data dir never run at once (a manual one beside a scheduled
    one): the second stops at once with one line, and stores nothing."""
    from toezicht.config import load_config
    from toezicht.schedule import crawl_run_lock

    with crawl_run_lock(load_config(None, data_dir=tmp_path)):
        result = toezicht(["crawl", "--limit", "1"], crawl_env(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: another crawl is running (pid {os.getpid()}): wait for it to finish"]
    assert not (tmp_path / "toezicht.db").exists() or not rows(
        Store(f"sqlite:///{tmp_path / 'toezicht.db'}"))


def test_the_committed_demo_site_is_what_its_articles_build(tmp_path: Path) -> None:
    """The demo site's HTML is generated from toezicht/demo/articles.toml: a change to
    either without `python -m toezicht.demo.build` fails here."""
    from toezicht.demo.build import SITE, build

    build(tmp_path / "site")
    built = {p.relative_to(tmp_path / "site"): p.read_bytes()
             for p in (tmp_path / "site").rglob("*") if p.is_file()}
    committed = {p.relative_to(SITE): p.read_bytes() for p in SITE.rglob("*") if p.is_file()}
    assert built.keys() == committed.keys()
    assert [str(k) for k in built if built[k] != committed[k]] == []
