"""Crawl → store → Elasticsearch with the real Elasticsearch: articles are indexed as
they are stored, and what a crawl stored while Elasticsearch was down is caught up by
`toezicht index sync`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from index.store import Store
from toezicht.config import PACKAGE_DIR
from toezicht.sitesrv import SiteServer


def toezicht(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "toezicht.cli", *args], env=env,
                          capture_output=True, text=True, timeout=240, check=False)

DEMO = PACKAGE_DIR / "demo"


@pytest.fixture(scope="module")
def site() -> Any:
    with SiteServer(DEMO / "site") as server:
        yield server


def _env(es_env: dict[str, str], alias: str, **extra: str) -> dict[str, str]:
    return {**es_env, "TOEZICHT_ES_INDEX": alias, "TOEZICHT_DOWNLOAD_DELAY": "0",
            "TOEZICHT_CONCURRENT_PER_DOMAIN": "4", **extra}


def _crawl(site: SiteServer, env: dict[str, str]) -> dict[str, Any]:
    result = toezicht(["crawl", "--sources", str(DEMO / "sources.toml"), "--base",
                       site.base_url, "--format", "json"], env)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_crawl_indexes_as_it_stores(site: SiteServer, es_env: dict[str, str], es_client: Any,
                                    es_alias: str) -> None:
    stats = _crawl(site, _env(es_env, es_alias))
    assert stats["index_available"] is True
    assert stats["totals"]["new"] == 20 and stats["totals"]["indexed"] == 20
    es_client.indices.refresh(index=es_alias)
    assert es_client.count(index=es_alias)["count"] == 20
    store = Store(f"sqlite:///{Path(es_env['TOEZICHT_DATA_DIR']) / 'toezicht.db'}")
    assert store.count_articles(only_unsynced=True) == 0
    langs = es_client.search(index=es_alias, size=0, aggs={"l": {"terms": {"field": "lang"}}})
    buckets = {b["key"]: b["doc_count"] for b in langs["aggregations"]["l"]["buckets"]}
    assert buckets == {"nl": 11, "en": 9}


def test_sync_catches_up_after_es_was_down(site: SiteServer, es_env: dict[str, str],
                                           es_client: Any, es_alias: str) -> None:
    down = _env(es_env, es_alias, TOEZICHT_ES_URL="http://127.0.0.1:9")
    stats = _crawl(site, down)
    assert stats["totals"]["new"] == 20 and stats["index_available"] is False
    result = toezicht(["index", "sync"], _env(es_env, es_alias))
    assert result.returncode == 0, result.stderr[-2000:]
    es_client.indices.refresh(index=es_alias)
    assert es_client.count(index=es_alias)["count"] == 20
