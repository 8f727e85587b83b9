"""The daily unattended cycle: crawl → fold events into actions → enqueue → deliver.

``toezicht schedule`` runs an APScheduler 3 ``BlockingScheduler`` in the
foreground with its jobs persisted in the store database (SQLAlchemy job store),
so a restart keeps the schedule and missed runs are coalesced into one (within
``misfire_grace_time``). Settings, all optional::

    [schedule]
    cron = "0 6 * * *"              # crontab: minute hour day month weekday
    timezone = "Europe/Amsterdam"
    misfire_grace_time = 21600      # seconds a missed run may still start late
    deliver_every = 5               # minutes between outbox drains (retries)
    sources = ["nos", "guardian"]   # default: all sources
    limit = 0                       # max articles per source (0 = no limit)
    crawl_args = []                 # extra `toezicht crawl` options, e.g. ["--workers", "2"]
    crawl_timeout = 14400           # seconds before a crawl is stopped
    shutdown_timeout = 120          # seconds a stopping crawl may take to checkpoint
    crawl_command = []              # replaces the crawl command ({python}, {config},
                                    # {data_dir} are substituted); for tests and wrappers

Each crawl runs in a subprocess (Scrapy's Twisted reactor cannot restart in one
process) in its own session, so a terminal's Ctrl-C reaches only the scheduler,
which then asks the crawl to stop gracefully (SIGINT: the crawl finishes what is
in flight, stores it and records the run), folds what was stored and exits. A file lock under the
data directory guarantees that two cycles never overlap, whether they come from
one process or several.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from index.search.actions import DEFAULT_TZ
from toezicht.config import (
    Config,
    Rule,
    integer,
    number,
    read_table,
    setting,
    strings,
    timezone_name,
)

log = logging.getLogger("toezicht.schedule")

CRAWL_JOB_ID = "daily-crawl"
DELIVER_JOB_ID = "deliver-alerts"
STOP = threading.Event()  # set on SIGTERM/SIGINT: finish or checkpoint, then exit


def crontab(text: str) -> str:
    """A crontab line in APScheduler's terms (weekday numbers as names); ValueError
    with the reason when it is not five valid fields."""
    parts = text.split()
    if len(parts) != 5:
        raise ValueError(f"{len(parts)} fields instead of 5")
    parts[4] = crontab_weekdays(parts[4])
    return " ".join(parts)


def _valid_cron(text: str) -> bool:
    from apscheduler.triggers.cron import CronTrigger

    CronTrigger.from_crontab(crontab(text), timezone="UTC")  # raises ValueError
    return True


CRON = Rule("str", 'a crontab line "minute hour day month weekday"',
            _valid_cron, clean=str.strip)


@dataclass
class ScheduleSettings:
    """``[schedule]``; each setting with the rule its value must meet."""

    cron: str = setting("0 6 * * *", CRON)
    timezone: str = setting(DEFAULT_TZ, timezone_name())
    misfire_grace_time: int = setting(6 * 3600, integer(1))  # seconds
    deliver_every: float = setting(5.0, number(0, above=True))  # minutes
    sources: list[str] = setting([], strings())
    limit: int = setting(0, integer(0))  # 0: no limit
    crawl_timeout: float = setting(4 * 3600.0, number(0, above=True))
    shutdown_timeout: float = setting(120.0, number(0, above=True))
    crawl_command: list[str] = setting([], strings(split=True))
    crawl_args: list[str] = setting([], strings())

    @classmethod
    def from_table(cls, table: dict[str, Any] | None) -> ScheduleSettings:
        """Parse and validate ``[schedule]``; raises ConfigError (one line)."""
        return cls(**read_table(cls, table, "schedule"))

    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def trigger(self) -> Any:
        from apscheduler.triggers.cron import CronTrigger

        return CronTrigger.from_crontab(crontab(self.cron), timezone=self.tz())


_DOW = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def crontab_weekdays(field: str) -> str:
    """A crontab weekday field (0 or 7 = Sunday, 1 = Monday) as weekday names.

    APScheduler 3 numbers weekdays from Monday = 0, so its ``from_crontab`` would read
    "1-5" as Tuesday to Saturday; names mean the same in both."""
    out: list[str] = []
    for part in field.split(","):
        rng, _, step = part.partition("/")
        if not any(c.isdigit() for c in rng):
            if rng == "*" and step:
                rng = "0-6"
            else:
                out.append(part)
                continue
        lo, _, hi = rng.partition("-")
        if not (lo.isdigit() and (not hi or hi.isdigit()) and (not step or step.isdigit())):
            raise ValueError(f"weekday {part!r} is not a number 0-7, a range or a name")
        a, b = int(lo), int(hi) if hi else (6 if step else int(lo))
        if not (0 <= a <= 7 and 0 <= b <= 7 and a <= b):
            raise ValueError(f"weekday {part!r} is outside 0-7")
        for d in range(a, b + 1, int(step) if step else 1):
            name = _DOW[d % 7]
            if name not in out:
                out.append(name)
    return ",".join(out)


def load_schedule_settings(cfg: Config, data: dict[str, Any] | None = None) -> ScheduleSettings:
    from toezicht.alerts.subscriptions import read_sections

    data = read_sections(cfg) if data is None else data
    return ScheduleSettings.from_table(data.get("schedule"))


# -- cross-process lock -----------------------------------------------------------
class LockHeld(Exception):
    """Another process is running a cycle."""


class CrawlLock:
    """An exclusive, non-blocking ``flock`` on ``<data_dir>/<name>``. The OS drops it
    when the holder dies, so a crash never leaves a stale lock. ``crawl.lock`` guards
    scheduler cycles; ``crawl-run.lock`` is taken by every `toezicht crawl` process,
    so a manual crawl and a scheduled one never run at once either."""

    def __init__(self, data_dir: Path, name: str = "crawl.lock",
                 what: str = "crawl cycle") -> None:
        self.path = Path(data_dir) / name
        self.what = what
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            os.close(fd)
            raise LockHeld(f"another {self.what} is running (pid {holder or '?'})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> CrawlLock:
        self.acquire()
        return self

    def __exit__(self, *_: Any) -> None:
        self.release()


def crawl_lock(cfg: Config) -> CrawlLock:
    """The lock every crawl cycle takes."""
    return CrawlLock(cfg.data_dir)


def crawl_run_lock(cfg: Config) -> CrawlLock:
    """The lock every `toezicht crawl` process holds while it runs."""
    return CrawlLock(cfg.data_dir, "crawl-run.lock", "crawl")


# -- one cycle -----------------------------------------------------------------
def crawl_command(cfg: Config, settings: ScheduleSettings) -> list[str]:
    """The subprocess command for one crawl."""
    if settings.crawl_command:
        subst = {"python": sys.executable, "config": str(cfg.source or ""),
                 "data_dir": str(cfg.data_dir)}
        return [arg.format(**subst) for arg in settings.crawl_command]
    cmd = [sys.executable, "-m", "toezicht.cli"]
    if cfg.source:
        cmd += ["--config", str(cfg.source)]
    cmd += ["--data-dir", str(cfg.data_dir), "crawl"]
    for name in settings.sources:
        cmd += ["--source", name]
    if settings.limit:
        cmd += ["--limit", str(settings.limit)]
    return cmd + list(settings.crawl_args)


def _stop_child(proc: subprocess.Popen[bytes], grace: float) -> None:
    """Ask the crawl to stop gracefully, then kill it after ``grace``. The crawl
    treats SIGINT as "finish the pages in flight, store them, record the run"."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        log.warning("crawl pid %s did not stop in %.0fs; killing it", proc.pid, grace)
        proc.kill()
        proc.wait()


def run_crawl_subprocess(cfg: Config, settings: ScheduleSettings,
                         stop: threading.Event | None = None) -> int:
    """Run one crawl in a child process; returns its exit code (negative = signal)."""
    stop = stop or STOP
    cmd = crawl_command(cfg, settings)
    log.info("crawl: %s", " ".join(cmd))
    proc = subprocess.Popen(cmd, start_new_session=True, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + settings.crawl_timeout
    while True:
        try:
            return proc.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            pass
        if stop.is_set():
            log.info("stopping: asking crawl pid %s to checkpoint", proc.pid)
            _stop_child(proc, settings.shutdown_timeout)
            return proc.returncode
        if time.monotonic() > deadline:
            log.error("crawl exceeded %.0fs; stopping it", settings.crawl_timeout)
            _stop_child(proc, settings.shutdown_timeout)
            return proc.returncode


def run_cycle(cfg: Config, settings: ScheduleSettings | None = None, *,
              stop: threading.Event | None = None, deliver_alerts: bool = True) -> dict[str, Any]:
    """One cycle under the crawl lock: crawl subprocess → fold → enqueue → deliver.
    Returns a summary; ``status`` is ``ok``, ``crawl_failed`` or ``skipped``."""
    from index.store import Store
    from toezicht.alerts.deliver import deliver, fold
    from toezicht.alerts.subscriptions import load_alert_settings

    stop = stop or STOP
    settings = settings or load_schedule_settings(cfg)
    alerts = load_alert_settings(cfg)
    summary: dict[str, Any] = {"status": "ok"}
    lock = crawl_lock(cfg)
    try:
        lock.acquire()
    except LockHeld as exc:
        log.warning("%s; skipping this cycle", exc)
        return {"status": "skipped", "reason": str(exc)}
    try:
        started = time.monotonic()
        code = run_crawl_subprocess(cfg, settings, stop)
        summary["crawl_exit"] = code
        summary["crawl_seconds"] = round(time.monotonic() - started, 2)
        if stop.is_set():
            summary["status"] = "stopped"
            log.info("crawl stopped (exit %s); folding what was stored", code)
        elif code != 0:
            summary["status"] = "crawl_failed"
            log.error("crawl exited with %s; folding what was stored", code)
        store = Store(cfg.resolved_store_url)
        summary["fold"] = fold(cfg, store, alerts)
        log.info("fold: %s", summary["fold"])
        if deliver_alerts and not stop.is_set():
            summary["delivery"] = deliver(cfg, store, settings=alerts).as_dict()
            log.info("delivery: %s", summary["delivery"])
        store.engine.dispose()
    finally:
        lock.release()
    return summary


# -- scheduler -----------------------------------------------------------------
_RUNTIME: dict[str, Any] = {}
_CYCLE_RUNNING = threading.Lock()


def run_cycle_job() -> dict[str, Any]:
    """The persisted daily job (referenced by name from the job store)."""
    cfg = _RUNTIME["cfg"]
    with _CYCLE_RUNNING:
        return run_cycle(cfg, _RUNTIME.get("settings"))


def deliver_job() -> dict[str, Any]:
    """Fold what manual crawls stored and drain due outbox items (retries)."""
    from index.store import Store
    from toezicht.alerts.deliver import deliver, fold

    cfg = _RUNTIME["cfg"]
    store = Store(cfg.resolved_store_url)
    try:
        folded = fold(cfg, store)
        report = deliver(cfg, store).as_dict()
    finally:
        store.engine.dispose()
    if folded["enqueued"] or any(report.values()):
        log.info("alerts: fold %s, delivery %s", folded, report)
    return report


def build_scheduler(cfg: Config, settings: ScheduleSettings, *, blocking: bool = True,
                    add_jobs: bool = True) -> Any:
    """An APScheduler 3 scheduler with the SQLAlchemy job store in the store DB, one
    worker thread, coalescing and max_instances=1; jobs are (re)registered under
    fixed ids so a changed cron replaces the stored one."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    from index.store import Store

    Store(cfg.resolved_store_url).engine.dispose()  # creates the data dir and tables
    _RUNTIME.update(cfg=cfg, settings=settings)
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(
        jobstores={"default": SQLAlchemyJobStore(url=cfg.resolved_store_url,
                                                 tablename="apscheduler_jobs")},
        executors={"default": ThreadPoolExecutor(2)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": settings.misfire_grace_time},
        timezone=settings.tz(),
    )
    if add_jobs:
        # Re-registering replaces the stored job (so a changed cron takes effect) but
        # must not forget a run missed while no scheduler was up: keep its time, and
        # the scheduler runs it once on start (coalesced) if within misfire_grace_time.
        extra: dict[str, Any] = {}
        missed = _stored_next_run(cfg.resolved_store_url, CRAWL_JOB_ID)
        now = time.time()
        if missed is not None and now - settings.misfire_grace_time <= missed < now:
            extra["next_run_time"] = datetime.fromtimestamp(missed, settings.tz())
            log.info("catching up the crawl missed at %s", extra["next_run_time"].isoformat())
        scheduler.add_job(run_cycle_job, settings.trigger(), id=CRAWL_JOB_ID,
                          name="daily crawl + alerts", replace_existing=True, **extra)
        scheduler.add_job(deliver_job, IntervalTrigger(minutes=settings.deliver_every),
                          id=DELIVER_JOB_ID, name="deliver alerts", replace_existing=True)
    return scheduler


def _stored_next_run(url: str, job_id: str) -> float | None:
    """The persisted next run time (epoch seconds) of a job, if any."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            value = conn.execute(text("SELECT next_run_time FROM apscheduler_jobs WHERE id = :id"),
                                 {"id": job_id}).scalar()
    except SQLAlchemyError:
        return None  # no job table yet
    finally:
        engine.dispose()
    return float(value) if value is not None else None


def serve(cfg: Config, settings: ScheduleSettings | None = None) -> None:
    """Run the scheduler in the foreground until SIGTERM/SIGINT; then let a running
    cycle checkpoint (crawl stopped gracefully, stored events folded) and exit."""
    settings = settings or load_schedule_settings(cfg)
    scheduler = build_scheduler(cfg, settings)

    def on_signal(signum: int, _frame: Any) -> None:
        if STOP.is_set():
            return
        log.info("received %s: shutting down gracefully", signal.Signals(signum).name)
        STOP.set()
        try:
            scheduler.shutdown(wait=False)
        except Exception:  # not started yet: start() is skipped below
            pass

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.add_listener(_log_event)
        upcoming = settings.trigger().get_next_fire_time(None, datetime.now(settings.tz()))
        log.info("scheduler started (pid %s): cron %r %s, next crawl %s; jobs kept in the "
                 "store database", os.getpid(), settings.cron, settings.timezone,
                 upcoming.isoformat() if upcoming else "never")
        try:
            deliver_job()  # catch up on anything a previous process left pending
        except Exception:
            log.exception("initial delivery failed")
        if not STOP.is_set():
            scheduler.start()
    finally:
        if _CYCLE_RUNNING.acquire(timeout=settings.shutdown_timeout + 60):
            _CYCLE_RUNNING.release()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("scheduler stopped")


def _log_event(event: Any) -> None:
    if getattr(event, "exception", None):
        log.error("job %s failed: %s", event.job_id, event.exception)
    elif getattr(event, "job_id", None) and hasattr(event, "retval"):
        log.info("job %s done: %s", event.job_id, event.retval)
