"""The unattended cycle with real parts: APScheduler with its SQLAlchemy job store
in the store database, crawl subprocesses, the cross-process lock, signals, and a
real webhook receiver. The crawl subprocess is a stand-in (``[schedule]
crawl_command``) that stores the fixture site's current articles the way the
crawler does, so these tests do not depend on the network or on Scrapy."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from index.ids import article_id
from index.store import Store
from toezicht import schedule as sched
from toezicht.alerts.receiver import WebhookReceiver
from toezicht.cli import cli
from toezicht.config import load_config

SECRET = "k"

FAKE_CRAWL = r'''
import json, os, signal, sys, time
from index.store import Store

store_url, site, log, sleep = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
stopped = []
signal.signal(signal.SIGINT, lambda *_: stopped.append(1))  # as crawler.run does
with open(log, "a") as fh:
    fh.write(f"start {time.time()} {os.getpid()}\n")
end = time.time() + sleep
while time.time() < end and not stopped:
    time.sleep(0.05)
store = Store(store_url)
run = store.start_run(["fixture"])
batch = json.load(open(site))
new = store.save_articles(batch)
store.finish_run(run, {"fixture": {"discovered": len(batch), "fetched": new, "new": new,
                                   "failed": 0, "errors": {}}},
                 status="stopped" if stopped else "finished")
with open(log, "a") as fh:
    fh.write(f"{'checkpoint' if stopped else 'end'} {time.time()} {os.getpid()}\n")
'''


def article(url: str, lang: str, status: str, evidence: str) -> dict[str, Any]:
    event = {"actor": "ofcom", "jurisdiction": "GB", "measure": "investigation",
             "target": "Grok", "status": status, "date": None, "evidence": evidence,
             "confidence": 0.9}
    return {"id": article_id(url), "url": url, "canonical_url": url, "source": "fixture",
            "title": evidence, "text": evidence, "lang": lang,
            "analysis": {"lang": lang, "relevant": True, "relevance_score": 0.9,
                         "countries": ["GB"], "platforms": ["Grok"], "events": [event]}}


@pytest.fixture()
def hook():
    with WebhookReceiver(SECRET) as receiver:
        yield receiver


@pytest.fixture()
def setup(tmp_path: Path, hook: WebhookReceiver):
    def make(sleep: float = 0.0, cron: str = "0 6 * * *") -> tuple[Any, Path, Path]:
        site = tmp_path / "site.json"
        site.write_text(json.dumps([article("http://news.test/1", "en", "potential",
                                            "Ofcom may investigate Grok.")]))
        script = tmp_path / "fake_crawl.py"
        script.write_text(FAKE_CRAWL)
        log = tmp_path / "crawl.log"
        data = tmp_path / "data"
        store_url = f"sqlite:///{data / 'toezicht.db'}"
        cfg_path = tmp_path / "toezicht.toml"
        cfg_path.write_text(textwrap.dedent(f"""
            data_dir = "{data}"
            [schedule]
            cron = "{cron}"
            shutdown_timeout = 10
            crawl_command = ["{{python}}", "{script}", "{store_url}", "{site}", "{log}",
                             "{sleep}"]
            [alerts]
            backoff_base = 0
            [[subscription]]
            name = "grok"
            [subscription.webhook]
            url = "{hook.url}"
            secret = "{SECRET}"
            """))
        return load_config(cfg_path), site, log
    return make


def intervals(log: Path) -> list[tuple[float, float]]:
    starts: dict[str, float] = {}
    out = []
    for line in log.read_text().splitlines():
        what, when, pid = line.split()
        if what == "start":
            starts[pid] = float(when)
        else:
            out.append((starts[pid], float(when)))
    return out


def test_job_fires_and_site_changes_between_runs(setup: Any, hook: WebhookReceiver) -> None:
    from apscheduler.triggers.date import DateTrigger

    cfg, site, log = setup()
    settings = sched.load_schedule_settings(cfg)
    scheduler = sched.build_scheduler(cfg, settings, blocking=False)
    soon = datetime.now(settings.tz()) + timedelta(seconds=1)
    scheduler.add_job(sched.run_cycle_job, DateTrigger(soon), id="soon")
    scheduler.start()
    try:
        engine = create_engine(cfg.resolved_store_url)
        with engine.connect() as conn:  # jobs are persisted in the store database
            ids = {r[0] for r in conn.execute(text("SELECT id FROM apscheduler_jobs"))}
        assert {"daily-crawl", "deliver-alerts", "soon"} <= ids
        deadline = time.time() + 15
        while not hook.accepted and time.time() < deadline:
            time.sleep(0.1)
        assert len(hook.accepted) == 1 and hook.accepted[0]["kind"] == "new"
        assert scheduler.get_job("soon") is None  # a date job runs once
        next_run = scheduler.get_job("daily-crawl").next_run_time
        assert (next_run.hour, next_run.minute, str(next_run.tzinfo)) == (
            6, 0, "Europe/Amsterdam")
    finally:
        scheduler.shutdown(wait=True)

    # The fixture site changes: a Dutch report of the same action, and an upgrade.
    site.write_text(json.dumps([
        article("http://news.test/1", "en", "potential", "Ofcom may investigate Grok."),
        article("http://nieuws.test/2", "nl", "potential", "Ofcom overweegt onderzoek naar Grok."),
    ]))
    assert sched.run_cycle(cfg, settings)["fold"]["enqueued"] == 0
    site.write_text(json.dumps([
        article("http://news.test/3", "en", "actual", "Ofcom opened an investigation into Grok."),
    ]))
    summary = sched.run_cycle(cfg, settings)
    assert summary["status"] == "ok" and summary["delivery"]["sent"] == 1
    assert [p["kind"] for p in hook.accepted] == ["new", "upgrade"]
    assert len(hook.requests) == 2

    result = CliRunner().invoke(cli, ["--config", str(cfg.source), "runs"])
    assert result.exit_code == 0, result.output
    assert result.output.count("finished ") == 4 and "fixture" in result.output  # + header
    runs = json.loads(CliRunner().invoke(cli, ["--config", str(cfg.source), "runs", "--format",
                                              "json", "--limit", "1"]).output)
    assert runs[0]["stats"]["fixture"]["new"] == 1


def test_two_cycles_never_overlap_across_processes(setup: Any) -> None:
    cfg, _, log = setup(sleep=1.5)
    cmd = [sys.executable, "-m", "toezicht.cli", "--config", str(cfg.source), "schedule",
           "--once", "--log-level", "error"]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 15
    while not (log.exists() and log.read_text()) and time.time() < deadline:
        time.sleep(0.05)
    second = subprocess.run(cmd, capture_output=True, timeout=60)
    out1, err1 = first.communicate(timeout=60)
    assert first.returncode == 0, err1.decode()
    assert json.loads(out1)["status"] == "ok"
    assert json.loads(second.stdout)["status"] == "skipped"
    assert "another crawl cycle is running" in json.loads(second.stdout)["reason"]
    assert len(intervals(log)) == 1
    # once the lock is free the next cycle runs (the lock dies with its holder)
    third = subprocess.run(cmd, capture_output=True, timeout=60)
    assert json.loads(third.stdout)["status"] == "ok"
    (a, b) = intervals(log)
    assert a[1] <= b[0]


def test_two_cycles_never_overlap_in_one_process(setup: Any) -> None:
    cfg, _, log = setup(sleep=1.0)
    results: list[dict[str, Any]] = []
    threads = [threading.Thread(target=lambda: results.append(sched.run_cycle(cfg)))
               for _ in range(2)]
    for t in threads:
        t.start()
        time.sleep(0.2)
    for t in threads:
        t.join(30)
    assert sorted(r["status"] for r in results) == ["ok", "skipped"]
    assert len(intervals(log)) == 1


def test_sigterm_checkpoints_the_running_crawl(setup: Any, hook: WebhookReceiver) -> None:
    cfg, _, log = setup(sleep=30)
    proc = subprocess.Popen([sys.executable, "-m", "toezicht.cli", "--config", str(cfg.source),
                             "schedule", "--once"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.time() + 15
    while not (log.exists() and "start" in log.read_text()) and time.time() < deadline:
        time.sleep(0.05)
    started = time.time()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert time.time() - started < 10
    assert "checkpoint" in log.read_text()  # the crawl stopped gracefully and stored its work
    summary = json.loads(out)
    assert summary["status"] == "stopped"
    assert summary["fold"]["enqueued"] == 1  # what it stored became an alert ...
    assert "delivery" not in summary and not hook.requests  # ... delivered on the next start
    result = CliRunner().invoke(cli, ["--config", str(cfg.source), "alerts", "deliver"])
    assert result.exit_code == 0 and "sent 1" in result.output
    assert len(hook.accepted) == 1
    assert Store(cfg.resolved_store_url).runs()[0]["status"] == "stopped"


def test_scheduler_daemon_starts_persists_and_stops_on_sigterm(setup: Any) -> None:
    cfg, _, _ = setup(cron="15 7 * * 1-5")
    proc = subprocess.Popen([sys.executable, "-m", "toezicht.cli", "--config", str(cfg.source),
                             "schedule"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    lines = []
    deadline = time.time() + 20
    while time.time() < deadline:
        line = proc.stderr.readline()
        lines.append(line)
        if "Scheduler started" in line or not line:
            break
    assert any("scheduler started" in x for x in lines), "".join(lines)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "scheduler stopped" in err
    engine = create_engine(cfg.resolved_store_url)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, next_run_time FROM apscheduler_jobs")).all())
    when = datetime.fromtimestamp(rows["daily-crawl"], sched.ScheduleSettings().tz())
    assert (when.hour, when.minute) == (7, 15) and when.weekday() < 5


def test_runs_flags_failing_sources(tmp_path: Path) -> None:
    cfg_path = tmp_path / "c.toml"
    cfg_path.write_text(f'data_dir = "{tmp_path}"\n')
    store = Store(load_config(cfg_path).resolved_store_url)
    for _ in range(3):
        store.finish_run(store.start_run(["good", "bad"]), {
            "good": {"discovered": 5, "fetched": 5, "new": 1, "failed": 0, "errors": {}},
            "bad": {"discovered": 0, "fetched": 0, "new": 0, "failed": 3,
                    "errors": {"HTTP 403": 3}}})
    result = CliRunner().invoke(cli, ["--config", str(cfg_path), "runs"])
    assert result.exit_code == 0, result.output
    assert "errors: HTTP 403: 3" in result.output
    assert "source bad fetched nothing and failed in its last 3 runs" in result.output
    assert "source good" not in result.output


def test_run_missed_while_down_runs_once_on_restart(setup: Any, hook: WebhookReceiver) -> None:
    cfg, _, log = setup()
    settings = sched.load_schedule_settings(cfg)
    scheduler = sched.build_scheduler(cfg, settings, blocking=False)
    scheduler.start()
    scheduler.shutdown()
    assert not log.exists()  # nothing due: next run is tomorrow 06:00
    engine = create_engine(cfg.resolved_store_url)
    with engine.begin() as conn:  # pretend the process was down at 06:00 (two runs ago)
        conn.execute(text("UPDATE apscheduler_jobs SET next_run_time = :t WHERE id = :id"),
                     {"t": time.time() - 90, "id": "daily-crawl"})
    scheduler = sched.build_scheduler(cfg, settings, blocking=False)
    scheduler.start()
    try:
        deadline = time.time() + 15
        while not hook.accepted and time.time() < deadline:
            time.sleep(0.1)
        assert len(hook.accepted) == 1 and len(intervals(log)) == 1
        assert scheduler.get_job("daily-crawl").next_run_time.timestamp() > time.time()
    finally:
        scheduler.shutdown(wait=True)


@pytest.mark.parametrize(("cron", "weekdays"), [
    ("15 7 * * 1-5", {0, 1, 2, 3, 4}),  # crontab: 1 = Monday
    ("0 6 * * 0", {6}),                 # 0 and 7 are Sunday
    ("0 6 * * 7", {6}),
    ("0 6 * * 6,0", {5, 6}),
    ("0 6 * * mon-fri", {0, 1, 2, 3, 4}),
    ("0 6 * * */2", {6, 1, 3, 5}),
])
def test_cron_weekdays_follow_crontab_numbering(cron: str, weekdays: set[int]) -> None:
    trig = sched.ScheduleSettings(cron=cron, timezone="Europe/Amsterdam").trigger()
    now = datetime(2026, 12, 4, 19, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))  # a Friday
    seen = set()
    for _ in range(14):
        now = trig.get_next_fire_time(None, now + timedelta(seconds=1))
        seen.add(now.weekday())
    assert seen == weekdays
