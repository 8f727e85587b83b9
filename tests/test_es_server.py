"""Provisioning and running Elasticsearch: status of the running test node, the
`toezicht es` commands, and a full start/stop cycle of a second real node."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from toezicht import elastic
from toezicht.config import load_config

REPO = Path(__file__).resolve().parents[1]


def toezicht(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "toezicht.cli", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_status_of_the_running_node(es_url, es_client):
    parts = urlsplit(es_url)
    overrides = ({"es_port": parts.port} if parts.hostname in ("127.0.0.1", "localhost")
                 else {"es_url": es_url})
    cfg = load_config(None, **overrides)
    info = elastic.status(cfg)
    assert info["running"] is True
    assert info["health"] in ("green", "yellow")
    assert info["version"].split(".")[0] in ("8", "9")
    assert info["url"].rstrip("/") == es_url.replace("localhost", "127.0.0.1")


def test_es_status_json_command(es_env, es_client):
    result = toezicht(es_env, "es", "status", "--format", "json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["running"] is True and info["health"] in ("green", "yellow")
    table = toezicht(es_env, "es", "status")
    assert table.returncode == 0 and "running" in table.stdout


def test_es_start_when_running_is_idempotent(es_env, es_client, tmp_path):
    started = time.monotonic()
    result = toezicht(es_env, "es", "start")
    if "TOEZICHT_ES_URL" in es_env:  # the test cluster is not local: start refuses politely
        assert result.returncode == 1
        assert len(result.stderr.strip().splitlines()) == 1
        assert "does not start a cluster it does not run" in result.stderr
        return
    assert result.returncode == 0, result.stderr
    assert "already running" in result.stdout
    assert time.monotonic() - started < 60
    # nothing was provisioned for the tmp data dir: the running node was reused
    assert not (Path(es_env["TOEZICHT_DATA_DIR"]) / "es" / "dist").exists()


def test_remote_cluster_is_never_started_or_stopped(es_env, es_url, es_client):
    env = dict(es_env, TOEZICHT_ES_URL=es_url)
    env.pop("TOEZICHT_ES_PORT", None)
    for verb in ("start", "stop"):
        result = toezicht(env, "es", verb)
        assert result.returncode == 1, verb
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and f"does not {verb} a cluster it does not run" in lines[0]
    status = toezicht(env, "es", "status", "--format", "json")
    assert status.returncode == 0
    assert json.loads(status.stdout)["mode"] == "remote"


def test_status_when_nothing_listens(es_env):
    env = dict(es_env, TOEZICHT_ES_PORT=str(free_port()))
    env.pop("TOEZICHT_ES_URL", None)
    result = toezicht(env, "es", "status", "--format", "json")
    assert result.returncode == 3
    assert json.loads(result.stdout)["running"] is False
    stop = toezicht(env, "es", "stop")
    assert stop.returncode == 0 and "not running" in stop.stdout


def test_port_taken_by_something_else(es_env):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = dict(es_env, TOEZICHT_ES_PORT=str(server.server_port))
        env.pop("TOEZICHT_ES_URL", None)
        result = toezicht(env, "es", "start")
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            f"Error: port {server.server_port} is in use by something that is not "
            "Elasticsearch; set es_port / TOEZICHT_ES_PORT to a free port"]
    finally:
        server.shutdown()
        server.server_close()


def test_bad_heap_setting_is_one_line(es_env):
    env = dict(es_env, TOEZICHT_ES_PORT=str(free_port()), TOEZICHT_ES_HEAP="lots")
    env.pop("TOEZICHT_ES_URL", None)
    result = toezicht(env, "es", "start")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        'Error: config: TOEZICHT_ES_HEAP = "lots": must be a heap size such as 512m or 1g']


def test_jdks_are_found_newest_first():
    jdks = elastic.find_jdks(17)
    assert jdks, "no JDK 17+ on this machine"
    majors = [j.major for j in jdks if j.source == "/usr/lib/jvm"]
    assert majors == sorted(majors, reverse=True)
    assert all(j.java.exists() and j.major >= 17 for j in jdks)


# -- a second, real node: provision, start, stop -------------------------------------


def _cached_zip(version: str) -> Path | None:
    names = [Path(os.environ["TOEZICHT_DATA_DIR"])] if os.environ.get("TOEZICHT_DATA_DIR") else []
    names.append(REPO / ".toezicht")
    for data_dir in names:
        candidate = data_dir / "es" / "dist" / f"elasticsearch-{version}.zip"
        if candidate.exists():
            return candidate
    return None


@pytest.fixture(scope="module")
def second_node() -> Iterator[dict[str, str]]:
    """A tmp data dir (world-traversable, as the unprivileged ES user needs) on a free
    port, seeded with the cached distribution so no download is needed."""
    data = Path(tempfile.mkdtemp(prefix="toezicht-es-test-"))
    data.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEZICHT_")}
    env.update(TOEZICHT_DATA_DIR=str(data), TOEZICHT_ES_PORT=str(free_port()),
               TOEZICHT_ES_HEAP="256m")
    cfg = load_config(None, data_dir=data)
    cached = _cached_zip(cfg.es_version)
    if cached is not None:
        target = data / "es" / "dist" / cached.name
        target.parent.mkdir(parents=True)
        try:
            os.link(cached, target)
        except OSError:
            shutil.copy(cached, target)
    yield env
    toezicht(env, "es", "stop")
    shutil.rmtree(data, ignore_errors=True)


def test_start_stop_cycle_of_a_real_node(second_node):
    env = second_node
    port = env["TOEZICHT_ES_PORT"]
    started = toezicht(env, "es", "start", "--format", "json", timeout=600)
    assert started.returncode == 0, started.stderr
    info = json.loads(started.stdout)
    assert info["running"] and info["already_running"] is False
    assert info["url"] == f"http://127.0.0.1:{port}" and info["pid"]
    assert info["health"] in ("green", "yellow") and info["java"] >= 17
    assert "." in started.stderr  # progress dots while waiting

    again = toezicht(env, "es", "start")
    assert again.returncode == 0 and "already running" in again.stdout

    status = json.loads(toezicht(env, "es", "status", "--format", "json").stdout)
    assert status["pid"] == info["pid"] and status["running"]

    stopped = toezicht(env, "es", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert f"pid {info['pid']}" in stopped.stdout
    after = toezicht(env, "es", "status", "--format", "json")
    assert after.returncode == 3 and json.loads(after.stdout)["pid"] is None


def test_a_node_that_cannot_start_gives_one_line_quoting_the_log(second_node):
    """A JVM option the JVM rejects: every JDK is tried, then one line with the cause."""
    env = second_node
    options = Path(env["TOEZICHT_DATA_DIR"]) / "es" / "config" / "jvm.options.d"
    options.mkdir(parents=True, exist_ok=True)
    bad = options / "broken.options"
    bad.write_text("-XX:+ToezichtNoSuchOption\n")
    try:
        result = toezicht(env, "es", "start", timeout=600)
    finally:
        bad.unlink()
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: Elasticsearch failed to start")
    assert "ToezichtNoSuchOption" in last
    assert toezicht(env, "es", "status").returncode == 3


def test_node_moves_out_of_directories_the_es_user_cannot_reach(tmp_path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    open_dir = Path(tempfile.mkdtemp(prefix="toezicht-open-"))
    open_dir.chmod(0o755)
    try:
        hidden = elastic.node_paths(load_config(None, data_dir=private / "data"))
        visible = elastic.node_paths(load_config(None, data_dir=open_dir / "data"))
    finally:
        shutil.rmtree(open_dir)
    assert visible.root == open_dir / "data" / "es"
    if os.geteuid() == 0:  # ES runs as an unprivileged user only when we are root
        assert hidden.root.parent == elastic.RELOCATED_ROOT
        assert hidden == elastic.node_paths(load_config(None, data_dir=private / "data"))
    else:
        assert hidden.root == private / "data" / "es"
