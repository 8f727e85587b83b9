"""Delivery channels. Each module has

- ``send(settings, items, ...)``: takes claimed outbox rows of one subscription and
  returns ``{outbox id: None (delivered) | error message}``. An error of type
  :class:`NoAnswer` means the endpoint did not answer at all; items left out of the
  result were not attempted.
- ``endpoint(settings, ...)``: where the items go (a webhook URL without credentials
  or query, ``smtp://host:port``, a feed file), for the delivery lanes and reports.
"""

from __future__ import annotations

import smtplib
import ssl
import urllib.error
from typing import Any


class NoAnswer(str):
    """An error message meaning the endpoint gave no answer at all (timed out, refused
    or dropped the connection, unknown host), as opposed to answering with an error.
    Delivery skips the endpoint's other items for the rest of the run."""


def no_answer(exc: BaseException) -> bool:
    """Whether a transport error means "no answer": a timeout or a connection that
    failed (refused, reset, closed before the reply, unknown host). An answer that is
    an error (HTTP 503, an SMTP 5xx reply, a certificate that does not verify) is not."""
    if isinstance(exc, urllib.error.HTTPError):
        return False
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        return isinstance(reason, BaseException) and no_answer(reason)
    if isinstance(exc, ssl.SSLError):
        return isinstance(exc, ssl.SSLEOFError)  # closed during the handshake
    if isinstance(exc, smtplib.SMTPException):
        return isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError))
    return isinstance(exc, OSError)

MEASURE_WORDS = {
    "investigation": "opened an investigation into",
    "block": "blocked / restricted",
    "fine": "fined",
    "legal_action": "took legal action against",
    "legislation": "legislation on",
    "order": "issued an order to",
    "warning": "warned",
    "platform_measure": "restricted",
}


def headline(payload: dict[str, Any]) -> str:
    """One line: what happened, e.g. ``NEW actual: ofcom investigation → Grok (GB)``."""
    kind = payload.get("kind", "")
    if kind == "source_health":
        return f"SOURCE HEALTH: {payload.get('source')}: {payload.get('reason')}"
    if kind == "test":
        return f"TEST message for subscription {payload.get('subscription')}"
    action = payload.get("action") or {}
    status = payload.get("status") or action.get("status") or ""
    label = "NEW" if kind == "new" else f"UPGRADE {payload.get('previous_status')} →"
    target = f" → {action.get('target')}" if action.get("target") else ""
    where = f" ({action.get('jurisdiction')})" if action.get("jurisdiction") else ""
    return f"{label} {status}: {action.get('actor')} {action.get('measure')}{target}{where}"


def text_block(payload: dict[str, Any]) -> str:
    """Plain-text rendering of one alert: headline, evidence, source links."""
    lines = [headline(payload)]
    if payload.get("kind") == "source_health":
        lines.append(f"run {payload.get('run_id')}: {payload.get('stats')}")
        return "\n".join(lines)
    if payload.get("kind") == "test":
        lines.append("If you can read this, the channel works.")
        return "\n".join(lines)
    event = payload.get("event") or {}
    article = payload.get("article") or {}
    if event.get("evidence"):
        lines.append(f'  "{event["evidence"].strip()}"')
    if event.get("date"):
        lines.append(f"  date: {event['date']}")
    if article.get("erased"):
        lines.append("  reported in: an article since erased on request")
    else:
        lines.append(f"  reported in: {article.get('title') or ''} <{article.get('url')}>"
                     f" [{article.get('lang') or '?'}, {article.get('source') or '?'}]")
    others = [s for s in payload.get("sources") or [] if s.get("url") != article.get("url")]
    if others:
        lines.append(f"  also reported by {len(others)} more:")
        lines += [f"   - {s.get('title') or ''} <{s.get('url')}> [{s.get('lang') or '?'}]"
                  for s in others[:10]]
    lines.append(f"  action id: {(payload.get('action') or {}).get('action_id')}")
    return "\n".join(lines)
