"""Pytest fixtures for the search tests (registered in tests/conftest.py): the
synthetic corpus in a store, indexed into Elasticsearch and into SQLite FTS5, and a
``search_backend`` fixture parametrised over both."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BACKENDS = ["elasticsearch", "sqlite"]


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose store holds the synthetic corpus (21 articles)."""
    from index.search.synthetic import corpus
    from index.store import Store

    data = tmp_path_factory.mktemp("search-data")
    Store(f"sqlite:///{data / 'toezicht.db'}").save_articles(corpus())
    return data


@pytest.fixture(scope="module")
def corpus_store(corpus_dir: Path) -> Any:
    from index.store import Store

    return Store(f"sqlite:///{corpus_dir / 'toezicht.db'}")


@pytest.fixture(scope="module")
def corpus_alias(es_client: Any, corpus_store: Any) -> Iterator[str]:
    """The corpus synced into a fresh Elasticsearch alias (dropped afterwards)."""
    from index import es

    alias = f"toezicht-test-{uuid.uuid4().hex[:10]}"
    result = es.sync(corpus_store, es_client, alias)
    assert result["indexed"] == result["total"] > 0, result
    yield alias
    es.drop(es_client, alias)


@pytest.fixture(scope="module", params=BACKENDS)
def search_backend(request: pytest.FixtureRequest, corpus_store: Any) -> Iterator[Any]:
    """The search backend under test, over the indexed corpus."""
    if request.param == "elasticsearch":
        from index.search.es_backend import ElasticsearchBackend

        alias = request.getfixturevalue("corpus_alias")
        yield ElasticsearchBackend(request.getfixturevalue("es_client"), alias)
    else:
        from index.search.sqlite_backend import SqliteBackend

        backend = SqliteBackend(corpus_store)
        backend.sync()
        yield backend
        backend.close()


def cli_env(data_dir: Path, es_url: str, alias: str, backend: str) -> dict[str, str | None]:
    """Environment for CliRunner: only our TOEZICHT_* settings."""
    import os

    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("TOEZICHT_")}
    env.update(TOEZICHT_DATA_DIR=str(data_dir), TOEZICHT_ES_URL=es_url,
               TOEZICHT_ES_INDEX=alias, TOEZICHT_SEARCH_BACKEND=backend)
    return env
