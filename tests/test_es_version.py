"""A cluster of another major version than the client (elasticsearch-py 9.5 against an
Elasticsearch 8.x cluster): one line naming both versions and exit 1, before anything
else is sent; the SQLite backend still works.

The 8.x server here is a small HTTP server on 127.0.0.1 that answers as a real 8.x node
does: its version to a plain request, and HTTP 400 ``media_type_header_exception`` to the
9.x client's versioned media type. Its major is the client's minus one, so the test
holds for whichever client is installed. Set ``TOEZICHT_TEST_ES_OTHER_MAJOR_URL`` to a
real cluster of another major (e.g. an 8.19 node) to run the same checks against it.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from index import es

REPO = Path(__file__).resolve().parents[1]
MAJOR, MINOR = es.CLIENT_VERSION
OLD = f"{MAJOR - 1}.19.2"


def toezicht(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "toezicht.cli", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)


def expected(version: str, url: str) -> str:
    return (f"Error: Elasticsearch {version} at {url}: this Toezicht needs {MAJOR}.x "
            f"(client {MAJOR}.{MINOR}); upgrade the cluster or set search_backend = \"sqlite\"")


class OldNode(http.server.ThreadingHTTPServer):
    """Answers like an Elasticsearch node of major ``MAJOR - 1``."""

    daemon_threads = True

    def __init__(self, *, say_version: bool = True) -> None:
        self.say_version = say_version
        self.requests: list[tuple[str, str]] = []  # (path, accept)
        super().__init__(("127.0.0.1", 0), _OldHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


class _OldHandler(http.server.BaseHTTPRequestHandler):
    server: OldNode

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        accept = self.headers.get("Accept", "")
        self.server.requests.append((self.path, accept))
        versioned = [h for h in (accept, self.headers.get("Content-Type", ""))
                     if "compatible-with=" in h]
        if any(f"compatible-with={MAJOR - 1}" not in h for h in versioned):
            reason = (f"Accept version must be either version {MAJOR - 1} or {MAJOR - 2}, "
                      f"but found {MAJOR}. Accept={accept}")
            self._send(400, {"error": {
                "root_cause": [{"type": "media_type_header_exception", "reason":
                                "Invalid media-type value on headers [Content-Type, Accept]"}],
                "type": "media_type_header_exception",
                "reason": "Invalid media-type value on headers [Content-Type, Accept]",
                "caused_by": {"type": "status_exception", "reason": reason}}, "status": 400})
            return
        path = self.path.split("?")[0]
        if path.startswith("/_nodes/_local") and self.server.say_version:
            self._send(200, {"nodes": {"n1": {"version": OLD}}})
        elif path == "/" and self.server.say_version:
            self._send(200, {"name": "old", "version": {"number": OLD}})
        elif path.startswith("/_cluster/health"):
            self._send(200, {"cluster_name": "old", "status": "green", "number_of_nodes": 1})
        elif path in ("/", "/_nodes/_local"):
            self._send(403, {"error": {"type": "security_exception", "reason": "no monitor"},
                             "status": 403})
        else:
            self._send(404, {"error": {"type": "index_not_found_exception",
                                       "reason": "no such index"}, "status": 404})

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _handle  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


def _serve(node: OldNode) -> Iterator[OldNode]:
    thread = threading.Thread(target=node.serve_forever, daemon=True)
    thread.start()
    try:
        yield node
    finally:
        node.shutdown()
        node.server_close()


@pytest.fixture()
def old_node() -> Iterator[OldNode]:
    yield from _serve(OldNode())


@pytest.fixture()
def silent_old_node() -> Iterator[OldNode]:
    """An old node that will not say its version (no `monitor` privilege)."""
    yield from _serve(OldNode(say_version=False))


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEZICHT_")}
    env.update(TOEZICHT_DATA_DIR=str(tmp_path / "data"), TOEZICHT_ES_URL=url)
    return env


def _client(url: str):
    return es.make_client(SimpleNamespace(resolved_es_url=url), timeout=10)


def test_the_message_names_both_versions():
    assert es.incompatibility(f"{MAJOR}.0.0", "http://x") is None
    assert es.incompatibility(None, "http://x") is None
    assert es.incompatibility("8.19.2", "http://es:9200") == (
        None if MAJOR == 8 else
        f"Elasticsearch 8.19.2 at http://es:9200: this Toezicht needs {MAJOR}.x (client "
        f"{MAJOR}.{MINOR}); upgrade the cluster or set search_backend = \"sqlite\"")
    newer = es.incompatibility(f"{MAJOR + 1}.0.1", "http://es:9200")
    assert newer and f"use a Toezicht release for Elasticsearch {MAJOR + 1}.x" in newer


@pytest.mark.parametrize("args", [("search", "grok"), ("index", "status"),
                                  ("index", "sync"), ("export", "grok", "--out", "x.csv")],
                         ids=" ".join)
def test_commands_stop_with_one_line(old_node, tmp_path, args):
    result = toezicht(_env(tmp_path, old_node.url), *args)
    assert result.returncode == 1, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("Error")]
    assert lines == [expected(OLD, old_node.url)]
    # the version question went out plainly; nothing with the client's media type
    assert old_node.requests and all("compatible-with" not in accept
                                     for _, accept in old_node.requests)
    assert not (tmp_path / "x.csv").exists()


def test_client_refuses_before_sending_anything_else(old_node):
    client = _client(old_node.url)
    assert es.ping(client) is False  # of no use: what a backend that can do without asks
    with pytest.raises(es.IncompatibleServerError) as err:
        es.check_reachable(client)
    assert str(err.value) == expected(OLD, old_node.url).removeprefix("Error: ")
    with pytest.raises(es.IncompatibleServerError):  # asked once; refused every time
        client.options(request_timeout=5).indices.exists(index="x")
    assert [path.split("?")[0] for path, _ in old_node.requests] == ["/_nodes/_local"]


def test_a_cluster_that_hides_its_version_still_gets_the_line(silent_old_node):
    client = _client(silent_old_node.url)
    with pytest.raises(es.SearchBackendError) as err:
        es.check_reachable(client)
    assert str(err.value) == expected(f"{MAJOR - 1}.x", silent_old_node.url).removeprefix(
        "Error: ")


def test_es_status_says_so(old_node, tmp_path):
    result = toezicht(_env(tmp_path, old_node.url), "es", "status", "--format", "json")
    assert result.returncode == 1
    info = json.loads(result.stdout)
    assert info["running"] is True and info["version"] == OLD
    assert info["compatible"] is False
    assert info["error"] == expected(OLD, old_node.url).removeprefix("Error: ")


def test_sqlite_backend_needs_no_elasticsearch(old_node, tmp_path):
    env = dict(_env(tmp_path, old_node.url), TOEZICHT_SEARCH_BACKEND="sqlite")
    result = toezicht(env, "search", "grok")
    assert result.returncode == 0, result.stderr
    assert old_node.requests == []


@pytest.mark.skipif(not os.environ.get("TOEZICHT_TEST_ES_OTHER_MAJOR_URL"),
                    reason="TOEZICHT_TEST_ES_OTHER_MAJOR_URL (a real cluster of another "
                           "major) is not set")
def test_a_real_cluster_of_another_major(tmp_path):
    url = os.environ["TOEZICHT_TEST_ES_OTHER_MAJOR_URL"].rstrip("/")
    version = es.server_version(_client(url))
    assert version and int(version.split(".")[0]) != MAJOR
    result = toezicht(_env(tmp_path, url), "search", "grok")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {es.incompatibility(version, url)}"]
