"""`toezicht schedule` (the daily unattended cycle) and `toezicht runs` (history)."""

from __future__ import annotations

import json
import logging
import signal
import sys
from typing import Any

import click

from toezicht.config import Config, ConfigError


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level.upper()), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@click.command()
@click.option("--once", is_flag=True,
              help="Run one cycle now (crawl, fold events, enqueue and deliver alerts) and exit.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]),
              default="info", show_default=True)
@click.pass_obj
def schedule(cfg: Config, once: bool, log_level: str) -> None:
    """Run the daily crawl and alert delivery in the foreground.

    The crawl runs on the [schedule] cron (default 06:00 Europe/Amsterdam) in a
    subprocess; jobs are kept in the store database, missed runs are coalesced
    and two cycles never overlap (a lock under the data directory). SIGTERM or
    Ctrl-C stop gracefully: a running crawl is asked to checkpoint, what it stored
    is folded into alerts, then the process exits. Pending alerts are delivered
    every [schedule] deliver_every minutes and on the next start.
    """
    from toezicht import schedule as sched
    from toezicht.alerts.subscriptions import load_alert_settings

    _setup_logging(log_level)
    try:
        settings = sched.load_schedule_settings(cfg)
        load_alert_settings(cfg)  # fail fast on bad subscriptions
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if not once:
        sched.serve(cfg, settings)
        return

    def on_signal(signum: int, _frame: Any) -> None:
        sched.STOP.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    summary = sched.run_cycle(cfg, settings)
    click.echo(json.dumps(summary, ensure_ascii=False))
    if summary["status"] == "crawl_failed":
        sys.exit(1)


def _totals(stats: dict[str, Any]) -> dict[str, int]:
    out = {"fetched": 0, "new": 0, "failed": 0}
    for st in (stats or {}).values():
        if isinstance(st, dict):
            for key in out:
                out[key] += int(st.get(key) or 0)
    return out


def failing_sources(rows: list[dict[str, Any]], threshold: int = 3) -> dict[str, int]:
    """Sources that fetched nothing but failed in each of their last ``threshold``+
    runs (newest first in ``rows``): {source: consecutive failing runs}."""
    streak: dict[str, int] = {}
    done: set[str] = set()
    for run in rows:
        for name, st in (run.get("stats") or {}).items():
            if name in done or not isinstance(st, dict):
                continue
            if not int(st.get("fetched") or 0) and (int(st.get("failed") or 0) or st.get("errors")):
                streak[name] = streak.get(name, 0) + 1
            else:
                done.add(name)
    return {k: v for k, v in streak.items() if v >= threshold}


@click.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000),
              help="How many recent runs.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_obj
def runs(cfg: Config, limit: int, fmt: str) -> None:
    """List past crawl runs: start, end, status, sources and per-source
    fetched/new/failed counts with errors; flags sources that keep failing.

    A run still "running" whose crawl stopped beating (killed, crashed, its host
    lost) is marked "abandoned" first."""
    from crawler.heartbeat import describe, reap_abandoned, stale_after
    from index.store import Store, StoreError

    try:
        store = Store(cfg.resolved_store_url)
        abandoned = reap_abandoned(store, stale_after(cfg.heartbeat_interval,
                                                      cfg.heartbeat_timeout))
        rows = store.runs(limit=limit)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    for run in abandoned:
        click.echo(describe(run), err=True)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    if not rows:
        click.echo("no crawl runs yet")
        return
    click.echo(f"{'id':>5}  {'started':<25}  {'finished':<25}  {'status':<11}  "
               f"{'fetched':>7}  {'new':>5}  {'failed':>6}  sources")
    for run in rows:
        tot = _totals(run.get("stats") or {})
        sources = run.get("sources") or list(run.get("stats") or {})
        click.echo(f"{run['id']:>5}  {run['started_at'] or '':<25}  {run['finished_at'] or '-':<25}"
                   f"  {run['status'] or '':<11}  {tot['fetched']:>7}  {tot['new']:>5}  "
                   f"{tot['failed']:>6}  {len(sources)}")
        for name, st in sorted((run.get("stats") or {}).items()):
            if not isinstance(st, dict):
                continue
            errors = st.get("errors") or {}
            err = ", ".join(f"{k}: {v}" for k, v in errors.items()) if isinstance(
                errors, dict) else str(errors)
            click.echo(f"       {name:<30} discovered {st.get('discovered', 0):>5}  fetched "
                       f"{st.get('fetched', 0):>5}  new {st.get('new', 0):>5}  failed "
                       f"{st.get('failed', 0):>4}" + (f"  errors: {err}" if err else ""))
    for name, n in sorted(failing_sources(rows).items()):
        click.echo(f"warning: source {name} fetched nothing and failed in its last {n} runs")
