"""Interface strings (``i18n/{nl,en}.toml``) and locale-aware date formatting."""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

LANGS = ("nl", "en")
DEFAULT = "en"
HERE = Path(__file__).resolve().parent


@cache
def strings(lang: str) -> dict[str, Any]:
    with open(HERE / "i18n" / f"{lang}.toml", "rb") as fh:
        return tomllib.load(fh)


def pick(query: str | None, cookie: str | None, accept: str | None) -> str:
    """The interface language: ?ui= first, then the cookie, then Accept-Language."""
    for value in (query, cookie):
        if value in LANGS:
            return value
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return DEFAULT


class Translator:
    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else DEFAULT
        self.s = strings(self.lang)

    def __call__(self, key: str, **kw: Any) -> str:
        text = self.s.get(key, key)
        return text.format(**kw) if kw and isinstance(text, str) else text

    def label(self, kind: str, value: str) -> str:
        """A measure, status or language code in words (the code when unknown)."""
        return self.s.get(f"{kind}_{value}", value) if value else ""

    def date(self, value: Any, short: bool = False) -> str:
        """``2026-01-12T09:30:00`` -> ``12 januari 2026`` / ``12 January 2026``."""
        if not value:
            return ""
        try:
            if isinstance(value, datetime | date):
                day = value if isinstance(value, date) else value.date()
            else:
                day = date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
        names = self.s["month_short" if short else "month_names"]
        return self.s["date_format"].format(d=day.day, month=names[day.month - 1], y=day.year)

    def datetime(self, value: Any) -> str:
        if not value:
            return ""
        text = str(value)
        out = self.date(text)
        if len(text) >= 16 and text[10] in "T ":
            out += f" {text[11:16]}"
        return out
