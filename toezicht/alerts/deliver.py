"""Drain the alert outbox: claim → send → mark.

Guarantees (see index/alert_store.py): a row is committed before it is sent and
marked sent only after its channel accepted it; failures are retried with
exponential backoff up to ``[alerts] max_attempts``. A crash after sending and
before marking re-sends the row with the same delivery id, so receivers that
dedupe on ``X-Toezicht-Delivery`` (webhook), ``Message-ID`` (e-mail) or the entry
id (Atom, automatically) see each alert exactly once.

Claimed items are split into *lanes*, one per endpoint (a webhook URL, the SMTP
server, a feed file), and the lanes run side by side on a bounded thread pool
(``[alerts] workers``). Within a lane items go out in outbox order, one webhook
POST or one e-mail digest / feed write at a time, each outcome recorded as soon as
it is known. Circuit breaker: when an endpoint gives no answer at all (timeout,
refused or dropped connection, unknown host) the rest of its items are not
attempted in this run: they stay pending without losing an attempt and are due
again when the item that got no answer is retried (its backoff). Other lanes are
unaffected, so a hanging endpoint costs a run about one timeout, not one per alert.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from index import alert_store
from index.store import Store
from toezicht.alerts.channels import NoAnswer, atom, email, webhook
from toezicht.alerts.subscriptions import AlertSettings, DeliverySettings, load_alert_settings
from toezicht.config import Config

log = logging.getLogger("toezicht.alerts")
# Commands print the report themselves; the scheduler's logging shows these lines.
log.addHandler(logging.NullHandler())

CHANNELS: dict[str, ModuleType] = {"webhook": webhook, "email": email, "atom": atom}
ORDER = {name: n for n, name in enumerate(CHANNELS)}


@dataclass
class ChannelReport:
    """What one endpoint got in one run (ids of outbox items)."""

    channel: str
    endpoint: str
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # given up (max_attempts)
    skipped: list[int] = field(default_factory=list)  # not attempted: endpoint down
    errors: dict[int, str] = field(default_factory=dict)
    down: str | None = None  # why the breaker opened
    retry_at: str | None = None  # when the skipped items are due again
    lines: list[str] = field(default_factory=list)  # one per item, for --verbose

    @property
    def key(self) -> tuple[int, str, str]:
        return (ORDER.get(self.channel, len(ORDER)), self.channel, self.endpoint)

    def line(self) -> str:
        """``webhook https://…/hook: 3 sent, 1 failed, 162 skipped (…)``"""
        failed = len(self.retrying) + len(self.failed)
        text = (f"{self.channel} {self.endpoint}: {len(self.sent)} sent, {failed} failed, "
                f"{len(self.skipped)} skipped")
        notes = []
        if self.down:
            notes.append(f"no answer, the rest wait: {self.down}; next try {self.retry_at}")
        elif self.errors:
            notes.append(next(iter(self.errors.values())))
        if self.failed:
            notes.append(f"{len(self.failed)} given up")
        return text + (f" ({'; '.join(notes)})" if notes else "")

    def merge(self, other: ChannelReport) -> None:
        for name in ("sent", "retrying", "failed", "skipped", "lines"):
            getattr(self, name).extend(getattr(other, name))
        self.errors.update(other.errors)
        self.down = self.down or other.down
        self.retry_at = self.retry_at or other.retry_at

    def as_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "endpoint": self.endpoint, "sent": len(self.sent),
                "retrying": len(self.retrying), "failed": len(self.failed),
                "skipped": len(self.skipped), "down": self.down, "retry_at": self.retry_at}


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)
    channels: dict[tuple[str, str], ChannelReport] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Everything claimed was delivered."""
        return not self.errors and not self.skipped

    def add(self, part: ChannelReport) -> None:
        for name in ("sent", "retrying", "failed", "skipped"):
            getattr(self, name).extend(getattr(part, name))
        self.errors.update(part.errors)
        key = (part.channel, part.endpoint)
        if key in self.channels:
            self.channels[key].merge(part)
        else:
            self.channels[key] = part

    def merge(self, other: DeliveryReport) -> None:
        for part in other.channels.values():
            self.add(part)

    def by_channel(self) -> list[ChannelReport]:
        return sorted(self.channels.values(), key=lambda c: c.key)

    def as_dict(self) -> dict[str, Any]:
        return {"sent": len(self.sent), "retrying": len(self.retrying),
                "failed": len(self.failed), "skipped": len(self.skipped),
                "channels": [c.as_dict() for c in self.by_channel()]}


@dataclass
class _Down:
    reason: str
    retry_at: datetime


@dataclass
class _Lane:
    """The items for one endpoint, as units sent one after the other: a single
    webhook POST, or one subscription's e-mail digest or feed write."""

    channel: str
    endpoint: str
    units: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = field(default_factory=list)


def fold(cfg: Config, store: Store | None = None,
         settings: AlertSettings | None = None) -> dict[str, Any]:
    """Fold new events into actions and enqueue alerts (one transaction), then
    check source health of the latest run."""
    store = store or Store(cfg.resolved_store_url)
    settings = settings or load_alert_settings(cfg)
    result = alert_store.fold_events(store.engine, settings.subscriptions,
                                     relevant_only=settings.delivery.relevant_only)
    out = result.as_dict()
    out["source_health"] = alert_store.check_source_health(store.engine, settings.subscriptions)
    return out


def _record(store: Store, policy: DeliverySettings, report: ChannelReport, name: str,
            items: list[dict[str, Any]],
            results: dict[int, str | None]) -> tuple[_Down | None, list[dict[str, Any]]]:
    """Record what one send did to its items, right away. Returns why the endpoint is
    down (when it gave no answer) and the items the channel did not attempt because
    of that; any other item without a result counts as failed."""
    now = alert_store.utcnow()
    silent = any(isinstance(err, NoAnswer) for err in results.values())
    untried = [i for i in items if i["id"] not in results] if silent else []
    skip = {i["id"] for i in untried}
    ok = [i["id"] for i in items if i["id"] in results and results[i["id"]] is None]
    alert_store.mark_sent(store.engine, ok, now=now)
    report.sent += ok
    report.lines += [f"#{oid} {name}: sent" for oid in ok]
    down: _Down | None = None
    for item in items:
        if item["id"] in skip or results.get(item["id"], "") is None:
            continue
        oid = item["id"]
        err = results.get(oid) or "the channel returned no result for this alert"
        report.errors[oid] = err
        state = alert_store.mark_failed(store.engine, oid, err, max_attempts=policy.max_attempts,
                                        base=policy.backoff_base, cap=policy.backoff_max,
                                        now=now)
        (report.failed if state == "failed" else report.retrying).append(oid)
        report.lines.append(f"#{oid} {name}: {'given up' if state == 'failed' else 'retrying'}"
                            f" ({err})")
        log.debug("alert %s to %s/%s: %s (%s)", oid, name, report.channel, err, state)
        if isinstance(err, NoAnswer) and down is None:
            # the endpoint is retried when this item is: the delay mark_failed gave it
            wait = alert_store.backoff_seconds(int(item["attempts"]), policy.backoff_base,
                                               policy.backoff_max)
            down = _Down(str(err), now + timedelta(seconds=wait))
    return down, untried


def _run_lane(cfg: Config, store: Store, settings: AlertSettings, lane: _Lane,
              down: _Down | None) -> tuple[ChannelReport, _Down | None]:
    """Send a lane's units in order (on a pool thread). Once the endpoint gives no
    answer (now, or earlier in this run: ``down``) the rest are deferred untried."""
    report = ChannelReport(lane.channel, lane.endpoint)
    module = CHANNELS[lane.channel]
    left: list[tuple[str, dict[str, Any]]] = []
    for name, channel_settings, items in lane.units:
        if down is not None:
            left += [(name, i) for i in items]
            continue
        try:
            results = module.send(channel_settings, items, smtp=settings.smtp,
                                  subscription=name, data_dir=cfg.data_dir)
        except Exception as exc:  # a channel bug must not lose the claim bookkeeping
            log.exception("channel %s of %s crashed", lane.channel, name)
            results = {i["id"]: f"{exc.__class__.__name__}: {exc}" for i in items}
        down, untried = _record(store, settings.delivery, report, name, items, results)
        left += [(name, i) for i in untried]
    if down is not None and left:
        reason = f"not attempted: {lane.endpoint} gave no answer ({down.reason})"
        alert_store.defer(store.engine, [i["id"] for _, i in left], down.retry_at, reason)
        report.skipped += [i["id"] for _, i in left]
        report.lines += [f"#{i['id']} {name}: skipped" for name, i in left]
    if down is not None:
        report.down, report.retry_at = down.reason, down.retry_at.isoformat()
    return report, down


def _lanes(cfg: Config, settings: AlertSettings, items: list[dict[str, Any]],
           report: DeliveryReport, store: Store) -> list[_Lane]:
    """Group claimed items by endpoint, in outbox order. Items whose subscription or
    channel is gone are recorded as failed here."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for item in sorted(items, key=lambda i: i["id"]):
        groups[(item["subscription"], item["channel"])].append(item)
    lanes: dict[tuple[str, str], _Lane] = {}
    for (name, channel), group in groups.items():
        sub = settings.get(name)
        if sub is None or channel not in sub.channels or channel not in CHANNELS:
            gone = ChannelReport(channel, f"(subscription {name!r} has no {channel} channel)")
            error = f"subscription {name!r} has no {channel} channel any more"
            _record(store, settings.delivery, gone, name, group,
                    {i["id"]: error for i in group})
            report.add(gone)
            continue
        module = CHANNELS[channel]
        channel_settings = sub.channels[channel]
        where = module.endpoint(channel_settings, smtp=settings.smtp, data_dir=cfg.data_dir)
        lane = lanes.setdefault((channel, where), _Lane(channel, where))
        if getattr(module, "ONE_AT_A_TIME", False):
            lane.units += [(name, channel_settings, [item]) for item in group]
        else:
            lane.units.append((name, channel_settings, group))
    for lane in lanes.values():
        lane.units.sort(key=lambda unit: unit[2][0]["id"])
    return list(lanes.values())


def send_items(cfg: Config, store: Store, settings: AlertSettings, items: list[dict[str, Any]],
               *, pool: ThreadPoolExecutor | None = None,
               down: dict[tuple[str, str], _Down] | None = None) -> DeliveryReport:
    """Send claimed items, one lane per endpoint (side by side on ``pool``, else one
    after the other), and record outcomes. ``down`` holds the endpoints that gave no
    answer earlier in the run; it is updated."""
    report = DeliveryReport()
    down = {} if down is None else down
    lanes = _lanes(cfg, settings, items, report, store)
    calls = [(cfg, store, settings, lane, down.get((lane.channel, lane.endpoint)))
             for lane in lanes]
    if pool is None:
        outcomes = [_run_lane(*call) for call in calls]
    else:
        futures = [pool.submit(_run_lane, *call) for call in calls]
        outcomes = [future.result() for future in futures]
    for lane, (part, lane_down) in zip(lanes, outcomes, strict=True):
        if lane_down is not None:
            down[(lane.channel, lane.endpoint)] = lane_down
        report.add(part)
    return report


def deliver(cfg: Config, store: Store | None = None, *, settings: AlertSettings | None = None,
            ids: Iterable[int] | None = None, limit: int = 500) -> DeliveryReport:
    """Deliver every due pending item (or just ``ids``) once; returns what happened.
    Each item is tried at most once per call; endpoints are served concurrently (see
    the module docstring)."""
    store = store or Store(cfg.resolved_store_url)
    settings = settings or load_alert_settings(cfg)
    ids = list(ids) if ids is not None else None
    alert_store.release_stale_claims(store.engine)
    report = DeliveryReport()
    down: dict[tuple[str, str], _Down] = {}
    after: int | None = None
    with ThreadPoolExecutor(max_workers=settings.delivery.workers,
                            thread_name_prefix="toezicht-alerts") as pool:
        while True:
            items = alert_store.claim_due(store.engine, limit=limit,
                                          lease=settings.delivery.lease, ids=ids, after=after)
            if not items:
                break
            report.merge(send_items(cfg, store, settings, items, pool=pool, down=down))
            if ids is not None or len(items) < limit:
                break
            after = max(i["id"] for i in items)
    for part in report.by_channel():
        trouble = part.errors or part.skipped
        log.log(logging.WARNING if trouble else logging.INFO, "alerts: %s", part.line())
    return report
