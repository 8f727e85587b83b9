"""Crawl runs that die leave no "running" row behind.

A running crawl beats: every ``interval`` seconds a thread writes the time (and the
stats so far) into its ``crawl_runs`` row (:class:`Heartbeat`). A run still
``running`` whose last beat is older than ``timeout`` lost its process (SIGKILL, a
crash, a reboot, a lost host): the next crawl and ``toezicht runs`` mark it
``abandoned`` (:func:`reap_abandoned`). The beat is in the store, not on this
machine, so it works for crawls on other hosts too; on the same host a stale run
whose process is still alive (stopped, or stuck) is left alone.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index import procs

log = logging.getLogger("toezicht.crawl")

INTERVAL = 15.0  # seconds between beats (config: heartbeat_interval)
TIMEOUT = 90.0  # no beat for this long: the run is abandoned (config: heartbeat_timeout)
MIN_BEATS = 3  # the timeout spans at least this many intervals


def hostname() -> str:
    return socket.gethostname()


def stale_after(interval: float, timeout: float) -> float:
    """The effective timeout: at least :data:`MIN_BEATS` intervals, so a busy store
    delaying one beat never abandons a live run."""
    return max(float(timeout), MIN_BEATS * float(interval))


class Heartbeat:
    """A daemon thread beating for run ``run_id`` (``stats()``: the stats so far, or
    None). A thread, not the reactor: it shows the process is alive even while the
    reactor is busy."""

    def __init__(self, store: Any, run_id: int, interval: float = INTERVAL,
                 stats: Callable[[], dict[str, Any] | None] | None = None) -> None:
        self.store, self.run_id, self.interval, self.stats = store, run_id, interval, stats
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned = False

    def start(self) -> Heartbeat:
        if self.interval > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(5.0, self.interval))
            self._thread = None

    def beat(self) -> None:
        try:
            stats = self.stats() if self.stats is not None else None
        except RuntimeError:  # counters changed while copied: send the time alone
            stats = None
        try:
            self.store.heartbeat_run(self.run_id, stats)
        except Exception as exc:  # a busy or unreachable store: try again next beat
            if not self._warned:
                self._warned = True
                log.warning("crawl run %s: heartbeat not written (%s: %s)", self.run_id,
                            exc.__class__.__name__, exc)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.beat()


def _parse(stamp: str | None) -> float | None:
    if not stamp:
        return None
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def _process_start(pid: int) -> float | None:
    """When process ``pid`` started (Unix time), where /proc tells; else None."""
    boot = _boot_time()
    if boot is None:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()  # after "pid (comm)"; comm may hold spaces
    try:
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime
    except (IndexError, ValueError, OSError):
        return None


def pid_alive(pid: int, started_at: str | None = None) -> bool:
    """Whether the process ``pid`` of a run started at ``started_at`` still runs on
    this host: it exists, and (where /proc tells) it is not a newer process that got
    the same pid after the run's own died."""
    if not procs.pid_alive(pid):
        return False
    began, run_began = _process_start(pid), _parse(started_at)
    return not (began is not None and run_began is not None and began > run_began + 5)


def reap_abandoned(store: Any, timeout: float = TIMEOUT, *, now: float | None = None,
                   host: str | None = None) -> list[dict[str, Any]]:
    """Mark ``abandoned`` every run still ``running`` without a beat for ``timeout``
    seconds (and whose process is gone, when it ran on this host). Returns those runs
    (as they were before; :func:`describe` says what happened to one)."""
    now = time.time() if now is None else now
    host = hostname() if host is None else host
    marked = []
    for run in store.running_runs():
        seen = _parse(run.get("heartbeat_at")) or _parse(run.get("started_at"))
        if seen is not None and now - seen < timeout:
            continue
        if run.get("host") == host and run.get("pid") and pid_alive(int(run["pid"]),
                                                                    run.get("started_at")):
            continue
        if store.abandon_run(run["id"], run.get("heartbeat_at")):
            marked.append(run)
    return marked


def describe(run: dict[str, Any]) -> str:
    return (f"crawl run {run['id']} (pid {run.get('pid') or '?'} on {run.get('host') or '?'}) "
            f"stopped beating at {run.get('heartbeat_at') or run.get('started_at')}: "
            "marked abandoned")
