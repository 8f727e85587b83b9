"""Webhook channel: one JSON POST per alert, signed with HMAC-SHA256.

Headers sent with every request:

- ``X-Toezicht-Signature: sha256=<hex>``: HMAC-SHA256 of the raw request body with
  the subscription's secret. Verify it with a constant-time compare.
- ``X-Toezicht-Delivery: <id>``: the idempotency key. It stays the same when an
  alert is retried (e.g. we crashed after your server answered but before we
  recorded it), so a receiver that remembers the ids it has processed and ignores
  repeats gets every alert exactly once. ``alerts replay`` issues a new id on
  purpose.
- ``X-Toezicht-Event: new|upgrade|source_health|test``.

Any 2xx answer counts as delivered; anything else (or no answer) is retried with
exponential backoff. When a URL gives no answer (timeout, refused connection), the
other alerts for it wait for the retry instead of each waiting out the timeout.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from toezicht.alerts.channels import NoAnswer, no_answer

USER_AGENT = "Toezicht-Webhook/0.1"
# One POST per call of send, so each alert is recorded as soon as it is answered.
ONE_AT_A_TIME = True


class Unreachable(RuntimeError):
    """The webhook gave no answer (see :func:`toezicht.alerts.channels.no_answer`)."""


def endpoint(settings: dict[str, Any], **_: Any) -> str:
    """The URL without credentials, query or fragment (they may hold secrets)."""
    parts = urlsplit(settings["url"])
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path or "/", "", ""))


def sign(secret: str, body: bytes) -> str:
    """The ``X-Toezicht-Signature`` header value for a body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """Receiver side: check a signature header (constant-time)."""
    return hmac.compare_digest(sign(secret, body), header or "")


def post(settings: dict[str, Any], item: dict[str, Any]) -> None:
    """POST one outbox item; raises on anything but a 2xx answer."""
    body = json.dumps(item["payload"], ensure_ascii=False, sort_keys=True,
                      default=str).encode("utf-8")
    request = urllib.request.Request(settings["url"], data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Toezicht-Delivery": item["delivery_id"],
        "X-Toezicht-Event": item["kind"],
        "X-Toezicht-Signature": sign(settings["secret"], body),
    })
    try:
        with urllib.request.urlopen(request, timeout=settings.get("timeout", 15)) as response:
            response.read(65536)
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"webhook answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        kind = Unreachable if no_answer(exc) else RuntimeError
        raise kind(f"webhook unreachable: {reason}") from None
    except http.client.HTTPException as exc:
        raise RuntimeError(f"webhook answered with a broken HTTP response: "
                           f"{exc.__class__.__name__}: {exc}") from None


def send(settings: dict[str, Any], items: list[dict[str, Any]],
         **_: Any) -> dict[int, str | None]:
    """POST the items in order. After one gets no answer the rest are not attempted
    (left out of the result)."""
    results: dict[int, str | None] = {}
    for item in items:
        try:
            post(settings, item)
            results[item["id"]] = None
        except Unreachable as exc:
            results[item["id"]] = NoAnswer(exc)
            break
        except RuntimeError as exc:
            results[item["id"]] = str(exc)
    return results
