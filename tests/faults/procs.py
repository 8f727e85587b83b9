"""Real processes for the fault tests: `toezicht crawl` started in its own session
(so the test can find every process it made, even after they are orphaned), and
/proc scanning instead of psutil (not in the venv)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

HEARTBEAT_INTERVAL = 1.0
HEARTBEAT_TIMEOUT = 3.0


def stat(pid: int) -> dict[str, Any] | None:
    """State, parent, process group and session of ``pid`` (None when gone)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return {"state": fields[0], "ppid": int(fields[1]), "pgid": int(fields[2]),
            "sid": int(fields[3])}


def alive(pid: int) -> bool:
    """Running (a zombie is dead: it only waits for its parent to read its status)."""
    st = stat(pid)
    return st is not None and st["state"] != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


def live_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and alive(int(p))]


def in_session(sid: int) -> list[int]:
    """Live processes of session ``sid`` (the crawl and everything it started)."""
    return [p for p in live_pids() if (stat(p) or {}).get("sid") == sid]


def children(pid: int) -> list[int]:
    return [p for p in live_pids() if (stat(p) or {}).get("ppid") == pid]


def wait_until(check: Callable[[], Any], timeout: float, step: float = 0.1) -> Any:
    """``check()`` once it is truthy, else its last value after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def crawl_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEZICHT_")}
    env.update(TOEZICHT_DATA_DIR=str(data_dir), TOEZICHT_ES_URL="http://127.0.0.1:9",
               TOEZICHT_DOWNLOAD_DELAY="0", TOEZICHT_CONCURRENT_PER_DOMAIN="4",
               TOEZICHT_HEARTBEAT_INTERVAL=str(HEARTBEAT_INTERVAL),
               TOEZICHT_HEARTBEAT_TIMEOUT=str(HEARTBEAT_TIMEOUT))
    return env


def toezicht(args: list[str], env: dict[str, str], timeout: float = 240
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "toezicht.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False,
                          stdin=subprocess.DEVNULL)


def db_path(data_dir: Path) -> Path:
    return data_dir / "toezicht.db"


def query(data_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    """Read the store as another process would, without creating it (read-only)."""
    path = db_path(data_dir)
    if not path.exists():
        return []
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True,
                                                timeout=30)) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return []


def stored_articles(data_dir: Path) -> int:
    rows = query(data_dir, "SELECT count(*) FROM articles")
    return int(rows[0][0]) if rows else 0


def runs(data_dir: Path) -> list[dict[str, Any]]:
    """The crawl_runs rows, oldest first."""
    cols = ("id", "status", "started_at", "finished_at", "heartbeat_at", "pid", "host",
            "stats")
    out = []
    for row in query(data_dir, f"SELECT {', '.join(cols)} FROM crawl_runs ORDER BY id"):
        run = dict(zip(cols, row, strict=True))
        run["stats"] = json.loads(run["stats"]) if run["stats"] else None
        out.append(run)
    return out


class Crawl:
    """`toezicht crawl` of a sources file as a subprocess in a new session; output
    goes to files (an orphaned worker holding a pipe would hang the test)."""

    def __init__(self, data_dir: Path, base_url: str, *args: str) -> None:
        self.data_dir = data_dir
        self.env = crawl_env(data_dir)
        sources = data_dir / "sources.toml"
        sources.write_text('[[source]]\nname = "slow"\ntype = "feed"\n'
                           'url = "{base}/feed.xml"\nlang = "en"\n', encoding="utf-8")
        self.args = ["crawl", "--sources", str(sources), "--base", base_url, *args]
        self.out_path, self.err_path = data_dir / "crawl.out", data_dir / "crawl.err"
        self._out: IO[bytes] = self.out_path.open("wb")
        self._err: IO[bytes] = self.err_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "toezicht.cli", *self.args],
                                     env=self.env, stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._err, start_new_session=True)
        self.pid = self.proc.pid

    def workers(self) -> list[int]:
        """The crawl's extraction/NLP worker processes."""
        return [p for p in children(self.pid) if "multiprocessing.spawn" in cmdline(p)]

    def family(self) -> list[int]:
        """Every live process of the crawl's session (itself, workers, resource tracker)."""
        return in_session(self.pid)

    def wait(self, timeout: float = 120) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._out.close()
            self._err.close()

    @property
    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def cleanup(self) -> None:
        """Kill whatever is left of the session (a failing test leaves no orphans)."""
        for pid in self.family():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self._out.close()
        self._err.close()
