"""Pytest fixtures for the web tests (tests/test_web.py, tests/e2e/test_browser.py):
the synthetic search corpus plus two articles made for the web (one with evidence
sentences, one whose text carries HTML and a script), crawl runs for source health,
a config file with one subscription, and ``toezicht serve``'s app on uvicorn in a
thread on a free port."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

EVIDENCE_TEXT = (
    "The French media regulator Arcom said on Friday that it had opened an investigation "
    "into Clothoff, an app that undresses photos of women without their consent.\n\n"
    "Arcom ordered the operator to hand over its moderation records within two weeks. "
    "The regulator also warned that the service could be blocked in France if it did not "
    "comply.\n\nCampaigners welcomed the move and asked other European regulators to follow.")
EVIDENCE = [
    "it had opened an investigation into Clothoff, an app that undresses photos of women "
    "without their consent.",
    "Arcom ordered the operator to hand over its moderation records within two weeks.",
    "The regulator also warned that the service could be blocked in France if it did not "
    "comply.",
]
SCRIPT_TEXT = (
    "Een onderzoeker liet zien hoe een nepnaaktbeeld-app code in webpagina's verstopt: "
    "<script>window.__pwned = 1; document.title = 'PWNED'</script> en "
    "<img src=x onerror=\"window.__pwned = 2\"> stonden letterlijk in de tekst. "
    "De Autoriteit Persoonsgegevens onderzoekt de deepfake-app.")
SCRIPT_TITLE = "Deepfake-app <b>verstopt</b> <script>window.__pwned = 3</script> code"


def web_articles() -> list[dict[str, Any]]:
    """The synthetic corpus plus the evidence article and the script article."""
    from index.ids import article_id
    from index.search.synthetic import corpus

    def ev(measure: str, status: str, evidence: str, target: str = "Clothoff") -> dict:
        return {"actor": "arcom", "jurisdiction": "FR", "measure": measure, "target": target,
                "status": status, "date": "2026-01-16", "evidence": evidence,
                "confidence": 0.85}

    arcom = {"id": "arcom", "name": "Arcom", "country": "FR"}
    ap = {"id": "autoriteit-persoonsgegevens", "name": "Dutch Data Protection Authority",
          "country": "NL"}
    extra = []
    url = "https://lemonde-en.example/arcom-clothoff"
    extra.append({"id": article_id(url), "url": url, "canonical_url": url,
                  "source": "lemonde-en", "title": "French regulator Arcom investigates Clothoff",
                  "text": EVIDENCE_TEXT, "lang": "en", "published": "2026-01-16T10:00:00+00:00",
                  "nlp_version": "synthetic",
                  "analysis": {"lang": "en", "relevant": True, "relevance_score": 0.9,
                               "regulators": [arcom], "countries": ["FR"],
                               "platforms": ["Clothoff"],
                               "measures": ["investigation", "order", "block"],
                               "events": [ev("investigation", "actual", EVIDENCE[0]),
                                          ev("order", "actual", EVIDENCE[1]),
                                          ev("block", "potential", EVIDENCE[2])]}})
    url = "https://nieuwsdienst.example/script-in-tekst"
    extra.append({"id": article_id(url), "url": url, "canonical_url": url,
                  "source": "nieuwsdienst", "title": SCRIPT_TITLE, "text": SCRIPT_TEXT,
                  "lang": "nl", "published": "2026-01-16T12:00:00+01:00",
                  "nlp_version": "synthetic",
                  "analysis": {"lang": "nl", "relevant": True, "relevance_score": 0.8,
                               "regulators": [ap], "countries": ["NL"], "platforms": [],
                               "measures": ["investigation"],
                               "events": [{"actor": "autoriteit-persoonsgegevens",
                                           "jurisdiction": "NL", "measure": "investigation",
                                           "target": "", "status": "actual", "date": None,
                                           "evidence": "De Autoriteit Persoonsgegevens "
                                                       "onderzoekt de deepfake-app.",
                                           "confidence": 0.8}]}})
    return corpus() + extra


CONFIG_TOML = """\
[toezicht]
search_backend = "elasticsearch"

[[subscription]]
name = "config-grok"
platforms = ["Grok"]
statuses = ["actual"]

[subscription.atom]
path = "feeds/config-grok.xml"
"""


def add_runs(store: Any) -> None:
    """Three crawl runs: 'dagblad' healthy, 'brokensite' failing every request."""
    for i, new in enumerate((4, 5, 3)):
        run = store.start_run(["dagblad", "brokensite"])
        broken = {"discovered": 2, "fetched": 0, "new": 0, "failed": 2,
                  "errors": {"http_403": 2}} if i == 2 else {
            "discovered": 3, "fetched": 3, "new": 1, "failed": 0}
        store.finish_run(run, {"dagblad": {"discovered": new + 2, "fetched": new + 1,
                                           "new": new, "failed": 1,
                                           "errors": {"http_404": 1}},
                               "brokensite": broken})


@pytest.fixture(scope="module")
def web_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir: the store (corpus, runs, one outbox alert) and toezicht.toml."""
    from index import alert_store
    from index.store import Store

    data = tmp_path_factory.mktemp("web-data")
    store = Store(f"sqlite:///{data / 'toezicht.db'}")
    store.save_articles(web_articles())
    add_runs(store)
    alert_store.enqueue(store.engine, [alert_store.outbox_row(
        "config-grok", "atom", "a1b2c3", "new", "actual",
        {"kind": "new", "status": "actual", "action": {
            "actor": "ofcom", "measure": "investigation", "target": "X",
            "jurisdiction": "GB", "status": "actual"}})])
    (data / "toezicht.toml").write_text(CONFIG_TOML, encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def web_store(web_data: Path) -> Any:
    from index.store import Store

    return Store(f"sqlite:///{web_data / 'toezicht.db'}")


@pytest.fixture(scope="module")
def web_cfg(web_data: Path, es_url: str) -> Any:
    from toezicht.config import Config

    return Config(data_dir=web_data, source=web_data / "toezicht.toml", es_url=es_url)


@pytest.fixture(scope="module")
def web_es(es_client: Any, web_store: Any) -> Iterator[Any]:
    """The Elasticsearch backend over the web corpus (alias dropped afterwards)."""
    from index import es
    from index.search.es_backend import ElasticsearchBackend

    alias = f"toezicht-test-{uuid.uuid4().hex[:10]}"
    result = es.sync(web_store, es_client, alias)
    assert result["indexed"] == result["total"] > 0, result
    yield ElasticsearchBackend(es_client, alias)
    es.drop(es_client, alias)


@dataclass
class Served:
    url: str
    server: Any
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve_app(app: Any) -> Served:
    """``app`` on uvicorn on a free loopback port, in a thread; returns once it listens."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    return Served(f"http://127.0.0.1:{port}", server, thread)


def serve_web(backend: Any, store: Any, cfg: Any, *, host: str = "127.0.0.1") -> Served:
    """The app ``toezicht serve`` runs (API + web, ``host`` as the bound address for
    the write rules), served by :func:`serve_app`."""
    from index.search.api import create_app
    from toezicht.web import mount

    return serve_app(mount(create_app(backend, store), backend, store, cfg, host=host))


@pytest.fixture(scope="module")
def web_url(web_es: Any, web_store: Any, web_cfg: Any) -> Iterator[str]:
    served = serve_web(web_es, web_store, web_cfg)
    yield served.url
    served.stop()
