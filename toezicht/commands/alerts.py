"""`toezicht alerts`: inspect, test, replay and deliver alerts on regulatory actions."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

import click

from toezicht.commands.params import IsoDate, utc_iso
from toezicht.config import Config, ConfigError


def _load(cfg: Config) -> tuple[Any, Any]:
    from index.store import Store, StoreError
    from toezicht.alerts.subscriptions import load_alert_settings

    try:
        return Store(cfg.resolved_store_url), load_alert_settings(cfg)
    except (ConfigError, StoreError) as exc:
        raise click.ClickException(str(exc)) from None


def _echo_report(report: Any, fmt: str = "table", verbose: bool = False) -> None:
    """One line per endpoint (``--verbose``: and one per alert), then the totals."""
    if fmt == "json":
        click.echo(json.dumps({**report.as_dict(), "errors": report.errors}))
        return
    for channel in report.by_channel():
        click.echo(channel.line())
        if verbose:
            for line in channel.lines:
                click.echo(f"  {line}")
    click.echo(f"sent {len(report.sent)}, retrying {len(report.retrying)}, "
               f"failed {len(report.failed)}, skipped {len(report.skipped)}")


VERBOSE = click.option("--verbose", "-v", is_flag=True, help="Also one line per alert.")


@click.group()
def alerts() -> None:
    """Alerts on new regulatory actions (subscriptions in the config file).

    Every alert goes through an outbox in the store: it is recorded before it is
    sent and marked sent after, retried with backoff, and carries a stable
    delivery id (webhook header X-Toezicht-Delivery) that receivers can dedupe on.
    Endpoints are served side by side; one that does not answer is skipped for the
    rest of the run and retried with backoff.
    """


@alerts.command("list")
@click.option("--state", type=click.Choice(["pending", "sent", "failed", "all"]), default="all",
              show_default=True)
@click.option("--subscription", help="Only this subscription.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100000))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_obj
def list_(cfg: Config, state: str, subscription: str | None, limit: int, fmt: str) -> None:
    """List outbox items, newest first."""
    from index.alert_store import list_outbox
    from toezicht.alerts.channels import headline

    store, _ = _load(cfg)
    rows = list_outbox(store.engine, state=None if state == "all" else state,
                       subscription=subscription, limit=limit)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    if not rows:
        click.echo("no alerts")
        return
    click.echo(f"{'id':>5}  {'state':<7}  {'created':<25}  {'try':>3}  {'subscription':<16}  "
               f"{'channel':<7}  alert")
    for r in rows:
        line = (f"{r['id']:>5}  {r['state']:<7}  {r['created_at']:<25}  {r['attempts']:>3}  "
                f"{r['subscription'][:16]:<16}  {r['channel']:<7}  {headline(r['payload'])}")
        if r["last_error"] and r["state"] != "sent":
            line += f"  [{r['last_error'][:80]}]"
        click.echo(line)


@alerts.command("test")
@click.argument("subscription")
@click.option("--channel", type=click.Choice(["webhook", "email", "atom"]),
              help="Only this channel (default: every channel of the subscription).")
@click.pass_obj
def test(cfg: Config, subscription: str, channel: str | None) -> None:
    """Send a test message through each channel of SUBSCRIPTION now."""
    from index import alert_store
    from toezicht.alerts.deliver import deliver

    store, settings = _load(cfg)
    sub = settings.get(subscription)
    if sub is None:
        names = ", ".join(s.name for s in settings.subscriptions) or "none configured"
        raise click.ClickException(f"no subscription {subscription!r} ({names})")
    channels = [channel] if channel else sub.channel_names
    if channel and channel not in sub.channels:
        raise click.ClickException(f"subscription {subscription!r} has no {channel} channel")
    stamp = alert_store.utcnow().isoformat()
    rows = [alert_store.outbox_row(sub.name, ch, f"test:{stamp}", "test", "",
                                   {"kind": "test", "subscription": sub.name, "channel": ch,
                                    "sent_at": stamp}) for ch in channels]
    ids = alert_store.enqueue(store.engine, rows)
    report = deliver(cfg, store, settings=settings, ids=ids)
    by_id = dict(zip(ids, channels, strict=True))
    for oid in ids:
        err = report.errors.get(oid)
        if oid in report.skipped:
            err = "not attempted, the endpoint did not answer"
        click.echo(f"{by_id[oid]}: {'OK' if err is None else 'FAILED: ' + err}")
    if not report.ok:
        sys.exit(1)


@alerts.command("replay")
@click.argument("ids", nargs=-1, type=int)
@click.option("--since", type=IsoDate(),
              help="Every item created at or after this date or ISO date-time (UTC unless "
                   "it has an offset).")
@click.option("--subscription", help="Only items of this subscription.")
@click.option("--no-deliver", is_flag=True, help="Only requeue; deliver later.")
@VERBOSE
@click.pass_obj
def replay(cfg: Config, ids: tuple[int, ...], since: date | None, subscription: str | None,
           no_deliver: bool, verbose: bool) -> None:
    """Re-send items by ID, or all since a date (each gets a new delivery id)."""
    from index import alert_store
    from toezicht.alerts.deliver import deliver

    if not ids and not since:
        raise click.UsageError("give outbox ids or --since DATE")
    store, settings = _load(cfg)
    done = alert_store.requeue(store.engine, ids=ids or None,
                               since=utc_iso(since) if since else None,
                               subscription=subscription)
    missing = sorted(set(ids) - set(done))
    if missing:
        click.echo(f"no such outbox item: {', '.join(map(str, missing))}", err=True)
    click.echo(f"requeued {len(done)}")
    if done and not no_deliver:
        report = deliver(cfg, store, settings=settings, ids=done)
        _echo_report(report, verbose=verbose)
        if not report.ok:
            sys.exit(1)
    if missing:
        sys.exit(1)


@alerts.command("deliver")
@click.option("--no-fold", is_flag=True,
              help="Do not first turn newly stored events into alerts.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@VERBOSE
@click.pass_obj
def deliver_cmd(cfg: Config, no_fold: bool, fmt: str, verbose: bool) -> None:
    """Fold newly stored events into actions/alerts, then drain due outbox items.

    Prints one line per endpoint (sent, failed, skipped because the endpoint did not
    answer) and the totals."""
    from toezicht.alerts.deliver import deliver, fold

    store, settings = _load(cfg)
    if not no_fold:
        folded = fold(cfg, store, settings)
        if fmt == "table":
            click.echo(f"folded {folded['events']} events: {folded['new_actions']} new actions, "
                       f"{folded['upgraded_actions']} upgrades, {folded['enqueued']} alerts "
                       "enqueued")
    _echo_report(deliver(cfg, store, settings=settings), fmt, verbose)


@alerts.command("actions")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100000))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_obj
def actions_cmd(cfg: Config, limit: int, fmt: str) -> None:
    """List canonical regulatory actions (one per action id), newest first."""
    from index.alert_store import get_actions

    store, _ = _load(cfg)
    rows = get_actions(store.engine, limit)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    for r in rows:
        click.echo(f"{r['action_id']}  {r['status']:<9}  {r['actor']} {r['measure']} "
                   f"{r['target'] or '-'} ({r['jurisdiction'] or '-'})  sources {r['sources']}  "
                   f"first seen {r['first_seen']}")
