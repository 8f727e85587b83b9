"""Drain the alert outbox: claim → send → mark.

Guarantees (see index/alert_store.py): a row is committed before it is sent and
marked sent only after its channel accepted it; failures are retried with
exponential backoff up to ``[alerts] max_attempts``. A crash after sending and
before marking re-sends the row with the same delivery id, so receivers that
dedupe on ``X-Toezicht-Delivery`` (webhook), ``Message-ID`` (e-mail) or the entry
id (Atom, automatically) see each alert exactly once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from index import alert_store
from index.store import Store
from toezicht.alerts.channels import atom, email, webhook
from toezicht.alerts.subscriptions import AlertSettings, load_alert_settings
from toezicht.config import Config

log = logging.getLogger("toezicht.alerts")

SENDERS: dict[str, Callable[..., dict[int, str | None]]] = {
    "webhook": webhook.send,
    "email": email.send,
    "atom": atom.send,
}


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"sent": len(self.sent), "retrying": len(self.retrying),
                "failed": len(self.failed)}


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


def send_items(cfg: Config, store: Store, settings: AlertSettings,
               items: list[dict[str, Any]]) -> DeliveryReport:
    """Send claimed items grouped by (subscription, channel) and record outcomes."""
    report = DeliveryReport()
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        groups[(item["subscription"], item["channel"])].append(item)
    policy = settings.delivery
    for (name, channel), group in groups.items():
        sub = settings.get(name)
        if sub is None or channel not in sub.channels:
            results: dict[int, str | None] = {
                i["id"]: f"subscription {name!r} has no {channel} channel any more"
                for i in group}
        else:
            try:
                results = SENDERS[channel](sub.channels[channel], group, smtp=settings.smtp,
                                           subscription=name, data_dir=cfg.data_dir)
            except Exception as exc:  # a channel bug must not lose the claim bookkeeping
                log.exception("channel %s of %s crashed", channel, name)
                results = {i["id"]: f"{exc.__class__.__name__}: {exc}" for i in group}
        ok = [oid for oid, err in results.items() if err is None]
        alert_store.mark_sent(store.engine, ok)
        report.sent += ok
        for oid, err in results.items():
            if err is None:
                continue
            report.errors[oid] = err
            state = alert_store.mark_failed(store.engine, oid, err,
                                            max_attempts=policy.max_attempts,
                                            base=policy.backoff_base, cap=policy.backoff_max)
            (report.failed if state == "failed" else report.retrying).append(oid)
            log.warning("alert %s to %s/%s: %s (%s)", oid, name, channel, err, state)
    return report


def deliver(cfg: Config, store: Store | None = None, *, settings: AlertSettings | None = None,
            ids: Iterable[int] | None = None, limit: int = 500) -> DeliveryReport:
    """Deliver every due pending item (or just ``ids``) once; returns what happened."""
    store = store or Store(cfg.resolved_store_url)
    settings = settings or load_alert_settings(cfg)
    alert_store.release_stale_claims(store.engine)
    report = DeliveryReport()
    while True:
        items = alert_store.claim_due(store.engine, limit=limit, lease=settings.delivery.lease,
                                      ids=ids)
        if not items:
            return report
        part = send_items(cfg, store, settings, items)
        report.sent += part.sent
        report.retrying += part.retrying
        report.failed += part.failed
        report.errors.update(part.errors)
        if ids is not None or len(items) < limit:
            return report
