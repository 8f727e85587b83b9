"""Workers die with the process that owns their pool, by either mechanism alone, and
which "running" runs count as abandoned (issue 15, item 2). Real processes and a
real SQLite store; no mocks."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from faults.procs import alive, in_session, stat, wait_until
from sqlalchemy import update

from crawler.heartbeat import Heartbeat, hostname, reap_abandoned, stale_after
from index.store import Store, crawl_runs, now_iso

pytestmark = pytest.mark.faults

# ctypes prctl(PR_SET_PDEATHSIG=1 / PR_GET_PDEATHSIG=2) inside a worker; eval is a
# builtin, so it pickles by reference into the spawn worker.
GET_PDEATHSIG = ("[c := __import__('ctypes'), v := c.c_int(-1), "
                 "c.CDLL(None).prctl(2, c.byref(v), 0, 0, 0), v.value][-1]")
CLEAR_PDEATHSIG = f"[__import__('ctypes').CDLL(None).prctl(1, 0, 0, 0, 0), {GET_PDEATHSIG}][-1]"

OWNER = """
import os, sys, time
from crawler.work import make_pool

pool = make_pool(1)
print(pool.submit(os.getpid).result(), pool.submit(eval, sys.argv[1]).result(), flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl and /proc: Linux")
@pytest.mark.parametrize("mechanism", ["pdeathsig", "lifeline"])
def test_worker_dies_with_its_killed_parent(mechanism: str) -> None:
    """SIGKILL the pool's owner: its worker and the resource tracker are gone within
    seconds, by the kernel's parent-death signal or, with that switched off in the
    worker, by the lifeline pipe alone."""
    code = GET_PDEATHSIG if mechanism == "pdeathsig" else CLEAR_PDEATHSIG
    owner = subprocess.Popen([sys.executable, "-c", textwrap.dedent(OWNER), code],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             start_new_session=True, cwd=Path(__file__).parents[2])
    try:
        assert owner.stdout is not None
        worker, pdeathsig = (int(x) for x in owner.stdout.readline().split())
        assert pdeathsig == (signal.SIGKILL if mechanism == "pdeathsig" else 0)
        assert (stat(worker) or {}).get("ppid") == owner.pid
        family = in_session(owner.pid)
        assert len(family) == 3, family  # owner, worker, resource tracker
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait(10)
        assert wait_until(lambda: not [p for p in family if alive(p)], 5), in_session(owner.pid)
    finally:
        for pid in in_session(owner.pid):
            os.kill(pid, signal.SIGKILL)
        owner.kill()
        owner.wait(10)


def test_worker_ignores_sigint_and_sigterm() -> None:
    """Ctrl-C and a service manager signal the whole group: the workers leave the
    stopping to their parent, which still needs them to finish the pages in flight."""
    from crawler.work import make_pool

    pool = make_pool(1)
    assert pool is not None
    try:
        (worker,) = {pool.submit(os.getpid).result()}
        for sig in (signal.SIGINT, signal.SIGTERM):
            os.kill(worker, sig)
        time.sleep(0.5)
        assert pool.submit(os.getpid).result() == worker
    finally:
        pool.shutdown(wait=True)
    assert wait_until(lambda: not alive(worker), 5)


def _set(store: Store, run_id: int, **values: object) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(crawl_runs).where(crawl_runs.c.id == run_id).values(**values))


def _status(store: Store) -> dict[int, str]:
    return {r["id"]: r["status"] for r in store.runs(limit=100)}


def test_which_running_runs_are_abandoned(store: Store) -> None:
    long_ago, me = "2000-01-01T00:00:00+00:00", hostname()
    dead = subprocess.Popen(["true"])
    dead.wait()
    cases = {
        "elsewhere, stale": dict(host="elsewhere", pid=os.getpid(), heartbeat_at=long_ago),
        "elsewhere, beating": dict(host="elsewhere", pid=12345, heartbeat_at=now_iso()),
        "here, stale, alive": dict(host=me, pid=os.getpid(), heartbeat_at=long_ago,
                                   started_at=now_iso()),
        "here, stale, gone": dict(host=me, pid=dead.pid, heartbeat_at=long_ago),
        # the pid is alive but the process started after the run: pid reused
        "here, stale, pid reused": dict(host=me, pid=os.getpid(), heartbeat_at=long_ago,
                                        started_at=long_ago),
        "from before heartbeats": dict(host=None, pid=None, heartbeat_at=None,
                                       started_at=long_ago),
    }
    ids = {}
    for name, values in cases.items():
        ids[name] = store.start_run([name])
        _set(store, ids[name], **values)
    done = store.start_run(["finished long ago"])
    store.finish_run(done, {}, status="finished")
    _set(store, done, heartbeat_at=long_ago)

    marked = reap_abandoned(store, 90)
    assert sorted(r["id"] for r in marked) == sorted(
        ids[n] for n in ("elsewhere, stale", "here, stale, gone", "here, stale, pid reused",
                         "from before heartbeats"))
    status = _status(store)
    assert status[ids["elsewhere, beating"]] == status[ids["here, stale, alive"]] == "running"
    assert status[done] == "finished"
    legacy = next(r for r in store.runs(limit=100) if r["id"] == ids["from before heartbeats"])
    assert legacy["finished_at"] == long_ago  # no heartbeat: its start is its last sign
    assert reap_abandoned(store, 90) == []  # once


def test_a_run_that_beats_or_finishes_meanwhile_is_not_abandoned(store: Store) -> None:
    run = store.start_run(["a"])
    seen = store.running_runs()[0]["heartbeat_at"]
    time.sleep(1.1)  # heartbeats are to the second
    assert store.heartbeat_run(run, {"a": {"new": 3}})
    assert not store.abandon_run(run, seen)  # it beat after we looked
    store.finish_run(run, {"a": {"new": 4}}, status="interrupted")
    assert not store.heartbeat_run(run)
    assert not store.abandon_run(run, store.runs()[0]["heartbeat_at"])
    assert store.runs()[0]["status"] == "interrupted"


def test_heartbeat_thread_writes_time_and_stats(store: Store) -> None:
    run = store.start_run(["a"])
    first = store.runs()[0]["heartbeat_at"]
    beat = Heartbeat(store, run, interval=0.2, stats=lambda: {"a": {"new": 7}}).start()
    try:
        assert wait_until(lambda: store.runs()[0]["heartbeat_at"] != first, 5)
    finally:
        beat.stop()
    assert store.runs()[0]["stats"] == {"a": {"new": 7}}
    assert stale_after(15, 10) == 45 and stale_after(1, 90) == 90


def test_a_store_from_before_heartbeats_gets_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE crawl_runs (id INTEGER PRIMARY KEY, started_at VARCHAR(40) "
                     "NOT NULL, finished_at VARCHAR(40), status VARCHAR(20), sources JSON, "
                     "stats JSON)")
        conn.execute("INSERT INTO crawl_runs (started_at, status) VALUES "
                     "('2025-01-01T00:00:00+00:00', 'finished')")
    store = Store(f"sqlite:///{path}")
    (old,) = store.runs()
    assert old["status"] == "finished" and old["pid"] is None and old["heartbeat_at"] is None
    new = store.start_run(["a"], pid=os.getpid(), host=hostname())
    assert store.runs()[0]["id"] == new and store.runs()[0]["pid"] == os.getpid()
    Store(f"sqlite:///{path}")  # opening it again changes nothing
