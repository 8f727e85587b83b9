"""`toezicht crawl` stopped by signals and killed outright (issue 15, item 2): real
subprocesses against a slow site on 127.0.0.1, a real SQLite store, /proc to find
every process the crawl started. No mocks.

- SIGTERM is as graceful as SIGINT: no new requests, the pages in flight are
  stored, the run is recorded "interrupted", the summary printed, exit 128 + signal,
  and no worker or resource tracker is left. Also when the signal reaches the whole
  process group (Ctrl-C at a terminal, a service manager stopping the service).
- SIGKILL: the workers and the resource tracker die with the crawl within seconds;
  what was stored stays stored; once its heartbeat is stale the next `toezicht crawl`
  or `toezicht runs` marks the run "abandoned". A stopped (alive) crawl is not.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from faults.procs import (
    HEARTBEAT_TIMEOUT,
    Crawl,
    alive,
    runs,
    stored_articles,
    toezicht,
    wait_until,
)
from faults.slowsite import SlowSite

pytestmark = pytest.mark.faults

ARTICLES = 300  # far more than a test lets the crawl fetch
DELAY = 0.3  # seconds per article page
STORE_BATCH = 50  # crawler.settings.TOEZICHT_STORE_BATCH: the first batch is stored at 50


@pytest.fixture(scope="module")
def site() -> Iterator[SlowSite]:
    with SlowSite(articles=ARTICLES, delay=DELAY) as server:
        yield server


@pytest.fixture()
def crawls() -> Iterator[list[Crawl]]:
    started: list[Crawl] = []
    yield started
    for crawl in started:
        crawl.cleanup()


def start(crawls: list[Crawl], data_dir: Path, site: SlowSite, *args: str) -> Crawl:
    crawl = Crawl(data_dir, site.base_url, "--workers", "2", *args)
    crawls.append(crawl)
    return crawl


def wait_busy(crawl: Crawl, site: SlowSite, pages: int) -> list[int]:
    """Wait until both workers run and ``pages`` more article pages were served."""
    first = site.hits
    workers = wait_until(lambda: len(crawl.workers()) == 2 and crawl.workers(), 90)
    assert workers, f"no workers: {crawl.stderr[-2000:]}"
    assert wait_until(lambda: site.hits - first >= pages, 90), crawl.stderr[-2000:]
    assert crawl.proc.poll() is None, crawl.stderr[-2000:]
    return list(workers)


@pytest.mark.parametrize(("sig", "target", "code"), [
    (signal.SIGTERM, "crawl", 143),
    (signal.SIGTERM, "group", 143),  # a service manager signals every process
    (signal.SIGINT, "group", 130),  # Ctrl-C at a terminal
], ids=["sigterm", "sigterm-group", "sigint-group"])
def test_signal_stops_the_crawl_gracefully(site: SlowSite, tmp_path: Path, crawls: list[Crawl],
                                           sig: signal.Signals, target: str, code: int) -> None:
    crawl = start(crawls, tmp_path, site)
    workers = wait_busy(crawl, site, 10)
    if target == "group":
        os.killpg(crawl.pid, sig)
    else:
        os.kill(crawl.pid, sig)
    assert crawl.wait(120) == code, crawl.stderr[-3000:]

    out, err = crawl.stdout, crawl.stderr
    assert f"interrupted ({sig.name}): finishing pages in flight" in err
    assert "Traceback" not in err, err[-3000:]
    assert "crawl run 1 (interrupted" in out  # the summary table
    assert f"interrupted by {sig.name}" in out
    # nothing of the crawl is left: workers, resource tracker
    assert not [p for p in workers if alive(p)]
    assert wait_until(lambda: not crawl.family(), 5), crawl.family()

    (run,) = runs(tmp_path)
    assert run["status"] == "interrupted" and run["finished_at"]
    assert run["pid"] == crawl.pid and run["host"] == socket.gethostname()
    stats = run["stats"]["slow"]
    # every page fetched was extracted, analysed and stored: none lost in the workers
    assert stats["failed"] == 0, stats
    assert stats["new"] == stats["fetched"] == stored_articles(tmp_path) > 0
    assert stats["fetched"] < ARTICLES  # it stopped scheduling requests
    assert f"{stats['new']} new, 0 updated, 0 failed" in out


def test_a_second_signal_quits_at_once(site: SlowSite, tmp_path: Path,
                                      crawls: list[Crawl]) -> None:
    """Pages in flight are dropped, the workers killed; the run is still recorded."""
    crawl = start(crawls, tmp_path, site)
    workers = wait_busy(crawl, site, 5)
    os.kill(crawl.pid, signal.SIGTERM)
    time.sleep(0.3)
    asked = time.monotonic()
    os.kill(crawl.pid, signal.SIGTERM)
    assert crawl.wait(60) == 143, crawl.stderr[-3000:]
    assert time.monotonic() - asked < 15
    assert "Traceback" not in crawl.stderr, crawl.stderr[-3000:]
    assert "interrupted by SIGTERM: quit at once" in crawl.stdout
    assert not [p for p in workers if alive(p)]
    assert wait_until(lambda: not crawl.family(), 5), crawl.family()
    (run,) = runs(tmp_path)
    assert run["status"] == "interrupted" and run["stats"]["slow"]["fetched"] > 0


def test_a_stopped_crawl_is_not_abandoned(site: SlowSite, tmp_path: Path,
                                          crawls: list[Crawl]) -> None:
    """Its heartbeat goes stale while it is stopped (SIGSTOP), but its process is
    alive on this host: `toezicht runs` leaves it running; it then ends normally."""
    crawl = start(crawls, tmp_path, site)
    wait_busy(crawl, site, 5)
    os.kill(crawl.pid, signal.SIGSTOP)
    try:
        time.sleep(HEARTBEAT_TIMEOUT + 1.5)
        listing = toezicht(["runs", "--format", "json"], crawl.env)
        assert listing.returncode == 0, listing.stderr
        (run,) = json.loads(listing.stdout)
        assert run["status"] == "running" and run["pid"] == crawl.pid
    finally:
        os.kill(crawl.pid, signal.SIGCONT)
    os.kill(crawl.pid, signal.SIGTERM)
    assert crawl.wait(120) == 143, crawl.stderr[-3000:]
    assert [r["status"] for r in runs(tmp_path)] == ["interrupted"]


@pytest.mark.parametrize("next_command", ["runs", "crawl"])
def test_sigkill_takes_the_workers_and_the_next_start_abandons_the_run(
        site: SlowSite, tmp_path: Path, crawls: list[Crawl], next_command: str) -> None:
    crawl = start(crawls, tmp_path, site)
    site.delay = 0.1  # to the first stored batch sooner
    try:
        # until the first batch is in the store (and the heartbeat has carried stats)
        assert wait_until(lambda: stored_articles(tmp_path) >= STORE_BATCH, 120), (
            crawl.stderr[-3000:])
    finally:
        site.delay = DELAY
    time.sleep(1.2)
    family = crawl.family()
    workers = crawl.workers()
    assert len(workers) == 2 and len(family) >= 4, family  # crawl, 2 workers, tracker
    stored = stored_articles(tmp_path)

    os.kill(crawl.pid, signal.SIGKILL)
    assert crawl.wait(10) == -signal.SIGKILL
    killed = time.monotonic()
    left = wait_until(lambda: [p for p in family if alive(p)] == [], 5)
    assert left, f"still alive 5 s after the crawl was killed: {crawl.family()}"
    assert crawl.family() == []

    assert stored_articles(tmp_path) >= stored >= STORE_BATCH  # stored stays stored
    stored = stored_articles(tmp_path)
    (run,) = runs(tmp_path)
    assert run["status"] == "running" and run["finished_at"] is None
    assert run["pid"] == crawl.pid and run["host"] == socket.gethostname()

    time.sleep(max(0.0, HEARTBEAT_TIMEOUT + 0.5 - (time.monotonic() - killed)))
    if next_command == "runs":
        listing = toezicht(["runs", "--format", "json"], crawl.env)
        assert listing.returncode == 0, listing.stderr
        assert [r["status"] for r in json.loads(listing.stdout)] == ["abandoned"]
        assert "marked abandoned" in listing.stderr
        assert stored_articles(tmp_path) == stored
    else:
        again = toezicht([*crawl.args, "--limit", "3", "--workers", "0", "--format", "json"],
                         crawl.env)
        assert again.returncode == 0, again.stderr[-3000:]
        assert json.loads(again.stdout)["totals"]["new"] == 3
        assert [r["status"] for r in runs(tmp_path)] == ["abandoned", "finished"]
        assert stored_articles(tmp_path) == stored + 3
    old = runs(tmp_path)[0]
    # ended at its last heartbeat, with the counts that heartbeat carried
    assert old["finished_at"] == old["heartbeat_at"] is not None
    assert 0 < old["stats"]["slow"]["new"] <= stored
