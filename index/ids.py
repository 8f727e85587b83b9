"""Stable identities (DESIGN.md): article = hash of canonical URL; action = hash of
(actor, measure, target, jurisdiction), so twenty reports of one action share one id."""

from __future__ import annotations

import hashlib


def article_id(canonical_url: str) -> str:
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()[:20]


def action_id(actor: str, measure: str, target: str, jurisdiction: str) -> str:
    key = "|".join(part.strip().casefold() for part in (actor, measure, target, jurisdiction))
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
