"""Shared fixtures: the real Elasticsearch (CI starts it first) and a tmp store.

Elasticsearch is never mocked: ``es_client`` talks to ``$TOEZICHT_TEST_ES_URL``
(default http://127.0.0.1:9200) and fails loudly when nothing answers there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

# Fixtures shared by several test files (the search corpus in both backends; the web
# app over it), registered for every test module.
pytest_plugins = ["support.search_fixtures", "support.web_fixtures"]

TEST_ES_URL = os.environ.get("TOEZICHT_TEST_ES_URL", "http://127.0.0.1:9200").rstrip("/")


@pytest.fixture(scope="session")
def es_url() -> str:
    """URL of the Elasticsearch the tests use."""
    return TEST_ES_URL


@pytest.fixture(scope="session")
def es_client(es_url: str):
    """A client for the test Elasticsearch; fails (never skips) when it is down."""
    from index.es import IncompatibleServerError, SearchBackendError, check_reachable, make_client

    cfg = SimpleNamespace(
        resolved_es_url=es_url,
        es_api_key=os.environ.get("TOEZICHT_TEST_ES_API_KEY", ""),
        es_username=os.environ.get("TOEZICHT_TEST_ES_USERNAME", ""),
        es_password=os.environ.get("TOEZICHT_TEST_ES_PASSWORD", ""),
        es_ca_certs=os.environ.get("TOEZICHT_TEST_ES_CA_CERTS", ""),
    )
    client = make_client(cfg, timeout=60)
    try:
        check_reachable(client)
    except IncompatibleServerError as exc:  # e.g. an 8.x node for the 9.x client
        pytest.fail(f"TOEZICHT_TEST_ES_URL: {exc}", pytrace=False)
    except SearchBackendError:
        pytest.fail(
            f"Elasticsearch is not reachable at {es_url}. Start it first with "
            "`.venv/bin/toezicht es start` (or `scripts/es start`), or point "
            "TOEZICHT_TEST_ES_URL at a running cluster.",
            pytrace=False,
        )
    yield client
    client.close()


@pytest.fixture()
def es_alias(es_client) -> Iterator[str]:
    """A unique index alias; every index behind it is deleted afterwards."""
    from index.es import drop

    alias = f"toezicht-test-{uuid.uuid4().hex[:10]}"
    yield alias
    drop(es_client, alias)


@pytest.fixture()
def store(tmp_path: Path):
    """A fresh SQLite store of record in a temporary directory."""
    from index.store import Store

    return Store(f"sqlite:///{tmp_path / 'toezicht.db'}")


@pytest.fixture()
def es_env(es_url: str, tmp_path: Path) -> dict[str, str]:
    """Environment for running `toezicht` against the test Elasticsearch with a tmp
    data dir (local mode on the test port when the URL is on 127.0.0.1)."""
    from urllib.parse import urlsplit

    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEZICHT_")}
    env["TOEZICHT_DATA_DIR"] = str(tmp_path / "data")
    parts = urlsplit(es_url)
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost") and parts.port:
        env["TOEZICHT_ES_PORT"] = str(parts.port)
    else:
        env["TOEZICHT_ES_URL"] = es_url
    return env
