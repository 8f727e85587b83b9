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
exponential backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any

USER_AGENT = "Toezicht-Webhook/0.1"


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
        raise RuntimeError(f"webhook unreachable: {reason}") from None


def send(settings: dict[str, Any], items: list[dict[str, Any]],
         **_: Any) -> dict[int, str | None]:
    results: dict[int, str | None] = {}
    for item in items:
        try:
            post(settings, item)
            results[item["id"]] = None
        except RuntimeError as exc:
            results[item["id"]] = str(exc)
    return results
