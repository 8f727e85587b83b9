"""Nothing a crawl drops goes uncounted (issue 15, item 5): `toezicht crawl` as a real
subprocess against a hostile site on 127.0.0.1 (tests/faults/hostilesite.py), a real
SQLite store, no mocks.

- An entity-expansion bomb (nested entities, or one entity amplified past libxml2's
  limit) and a sitemap with external entities (XXE) are refused, nothing expanded or
  loaded, and counted: ``discovery_xml_entity_bomb``, ``discovery_xml_external_entity``.
- A two-page redirect cycle fails at once as ``redirect_cycle`` (for an article and
  for a feed), a longer chain than REDIRECT_MAX_TIMES as ``redirect_limit``, an
  article redirecting to a listing page already requested as ``redirect_seen``.
- A sitemap over 10 MB (DOWNLOAD_MAXSIZE) is read like the same one gzipped, or
  served with Content-Encoding gzip: each is streamed up to its cap of 50,000 URLs,
  the rest counted (``discovery_sitemap_truncated``); with a byte cap the plain
  download stops there and all three yield the same entries.
- Feed items without a link or with an invalid one are counted too, and the good
  pages of the same run are all stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faults.hostilesite import GOOD_ARTICLES, HostileSite, write_big_sitemap
from faults.procs import crawl_env, query, runs, toezicht

pytestmark = pytest.mark.faults

BIG_URLS = 130_000  # about 11 MB of sitemap: over DOWNLOAD_MAXSIZE (10 MB)
MAX_URLS = 50_000  # TOEZICHT_SITEMAP_MAX_URLS, the default
LIMIT = 6  # --limit: new article requests per source
BIG = ("big", "big-gz", "big-encoded")

SOURCES = """\
[[source]]
name = "good"
type = "feed"
url = "{base}/feed.xml"
lang = "en"

[[source]]
name = "bomb"
type = "feed"
url = "{base}/bomb.xml"

[[source]]
name = "quadratic"
type = "feed"
url = "{base}/quadratic.xml"

[[source]]
name = "loopfeed"
type = "feed"
url = "{base}/loopfeed.xml"

[[source]]
name = "xxe"
type = "sitemap"
url = "{base}/xxe.xml"

[[source]]
name = "big"
type = "sitemap"
url = "{base}/big.xml"

[[source]]
name = "big-gz"
type = "sitemap"
url = "{base}/big.xml.gz"

[[source]]
name = "big-encoded"
type = "sitemap"
url = "{base}/big-encoded.xml"

[[source]]
name = "pages"
type = "pages"
url = "{base}/index.html"
allow = ['/p/']
follow = ['/list/']
depth = 1
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileSite]:
    directory = tmp_path_factory.mktemp("hostile")
    with HostileSite(directory) as server:
        plain, packed = write_big_sitemap(directory, server.base_url, BIG_URLS)
        assert plain.stat().st_size > 10 * 1024 * 1024 > packed.stat().st_size
        yield server


def crawl(site: HostileSite, data_dir: Path, sources: str, *args: str,
          env: dict[str, str] | None = None) -> tuple[Any, dict[str, Any]]:
    path = data_dir / "sources.toml"
    path.write_text(sources, encoding="utf-8")
    result = toezicht(["crawl", "--sources", str(path), "--base", site.base_url,
                       "--workers", "0", "--limit", str(LIMIT), *args],
                      {**crawl_env(data_dir), **(env or {})}, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    (run,) = runs(data_dir)
    assert run["status"] == "finished"
    return result, run["stats"]


def counts(stats: dict[str, Any], name: str) -> dict[str, Any]:
    keys = ("discovered", "requested", "fetched", "new", "failed", "errors")
    return {k: stats[name][k] for k in keys}


def stored_paths(data_dir: Path) -> set[str]:
    return {re.sub(r"^https?://[^/]+", "", url) for (url,) in
            query(data_dir, "SELECT canonical_url FROM articles")}


@pytest.fixture(scope="module")
def hostile_crawl(site: HostileSite, tmp_path_factory: pytest.TempPathFactory
                  ) -> dict[str, Any]:
    data_dir = tmp_path_factory.mktemp("crawl")
    before = len(site.paths)
    result, stats = crawl(site, data_dir, SOURCES)
    return {"data_dir": data_dir, "stdout": result.stdout, "stderr": result.stderr,
            "stats": stats, "paths": list(site.paths[before:])}


def test_hostile_xml_is_refused_and_counted(hostile_crawl: dict[str, Any]) -> None:
    stats, paths = hostile_crawl["stats"], hostile_crawl["paths"]
    refused = {"discovered": 0, "requested": 0, "fetched": 0, "new": 0, "failed": 1}
    assert counts(stats, "bomb") == {**refused,
                                     "errors": {"discovery_xml_entity_bomb": 1}}
    assert counts(stats, "quadratic") == {**refused,
                                          "errors": {"discovery_xml_entity_bomb": 1}}
    assert counts(stats, "xxe") == {**refused,
                                    "errors": {"discovery_xml_external_entity": 1}}
    # refused whole: not even their harmless links were requested, nothing was loaded
    assert not {"/a/100.html", "/a/101.html", "/a/102.html", "/evil.dtd"} & set(paths)
    assert not [p for p in paths if "passwd" in p or "&" in p]


def test_redirect_cycles_and_chains_are_counted(hostile_crawl: dict[str, Any]) -> None:
    stats, paths = hostile_crawl["stats"], hostile_crawl["paths"]
    assert counts(stats, "good") == {
        "discovered": GOOD_ARTICLES + 2, "requested": GOOD_ARTICLES + 2,
        "fetched": GOOD_ARTICLES, "new": GOOD_ARTICLES, "failed": 5,
        "errors": {"entry_without_link": 1, "invalid_url": 2, "redirect_cycle": 1,
                   "redirect_limit": 1}}
    assert counts(stats, "loopfeed") == {
        "discovered": 0, "requested": 0, "fetched": 0, "new": 0, "failed": 1,
        "errors": {"discovery_redirect_cycle": 1}}
    assert counts(stats, "pages") == {
        "discovered": 4, "requested": 4, "fetched": 3, "new": 3, "failed": 1,
        "errors": {"redirect_seen": 1}}
    # a cycle fails at its first repeat, not after REDIRECT_MAX_TIMES round trips
    for path in ("/loop/a.html", "/loop/b.html", "/loopfeed.xml", "/loopfeed2.xml"):
        assert paths.count(path) == 1, (path, paths.count(path))
    # 5 redirects followed (REDIRECT_MAX_TIMES), the 6th not
    assert [p for p in paths if p.startswith("/chain/")] == [f"/chain/{i}.html"
                                                            for i in range(6)]


def test_large_sitemaps_plain_or_gzipped_are_read_up_to_the_cap(
        hostile_crawl: dict[str, Any]) -> None:
    stats, paths = hostile_crawl["stats"], hostile_crawl["paths"]
    for name in BIG:
        assert counts(stats, name) == {
            "discovered": MAX_URLS, "requested": LIMIT, "fetched": LIMIT, "new": LIMIT,
            "failed": 1, "errors": {"discovery_sitemap_truncated": 1}}, name
    # the three list the same URLs: each source requested LIMIT others, from the start
    fetched = sorted(int(p[3:-5]) for p in paths if p.startswith("/s/"))
    assert fetched == list(range(LIMIT * len(BIG)))


def test_no_good_page_is_lost_and_the_summary_says_why(hostile_crawl: dict[str, Any]
                                                       ) -> None:
    stats, data_dir = hostile_crawl["stats"], hostile_crawl["data_dir"]
    good = ({f"/a/{i}.html" for i in range(GOOD_ARTICLES)}
            | {f"/p/{i}.html" for i in (1, 2, 3)}
            | {f"/s/{i}.html" for i in range(LIMIT * len(BIG))})
    assert stored_paths(data_dir) == good
    assert sum(s["new"] for s in stats.values()) == len(good)
    total = sum(s["failed"] for s in stats.values())
    assert total == 13
    # `toezicht crawl` prints the reasons in its summary
    summary = hostile_crawl["stdout"]
    line = next(x for x in summary.splitlines() if " failed" in x and " new, " in x)
    assert f"{len(good)} new, 0 updated, {total} failed (" in line, summary
    for reason, n in {"discovery_xml_entity_bomb": 2, "discovery_sitemap_truncated": 3,
                      "invalid_url": 2, "redirect_cycle": 1, "redirect_seen": 1}.items():
        assert f"{reason} {n}" in line, line
    # and `toezicht runs` the failed count
    result = toezicht(["runs"], crawl_env(data_dir))
    assert result.returncode == 0, result.stderr
    row = next(x for x in result.stdout.splitlines() if x.split()[:1] == ["1"])
    assert row.split()[3:7] == ["finished", str(len(good)), str(len(good)), str(total)], row


def test_a_byte_cap_cuts_plain_and_gzipped_sitemaps_alike(site: HostileSite,
                                                          tmp_path: Path) -> None:
    """With a 4 MiB cap the plain download stops there, the gzipped ones are
    decompressed no further: all three yield the entries complete in the first
    4 MiB, counted as truncated."""
    cap = 4 * 1024 * 1024
    big = "\n".join(block for block in SOURCES.split("\n\n") if any(
        f'name = "{name}"' in block for name in BIG)) + "\n"
    before = len(site.paths)
    _result, stats = crawl(site, tmp_path, big, env={"TOEZICHT_SITEMAP_MAX_BYTES": str(cap)})
    with (site.directory / "big.xml").open("rb") as f:
        expected = f.read(cap).count(b"</url>")
    assert 0 < expected < MAX_URLS
    for name in BIG:
        assert counts(stats, name) == {
            "discovered": expected, "requested": LIMIT, "fetched": LIMIT, "new": LIMIT,
            "failed": 1, "errors": {"discovery_sitemap_truncated": 1}}, name
    assert site.paths[before:].count("/big.xml") == 1
