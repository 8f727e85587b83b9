"""Absolute and relative date expressions in Dutch and English.

``find_dates(sentence, published)`` returns the dates a sentence states, in
order. Relative expressions ("afgelopen zondag", "last Sunday", "gisteren",
"on Monday") need the publication date; without it they are skipped.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

MONTHS = {
    "januari": 1, "january": 1, "jan": 1, "februari": 2, "february": 2, "feb": 2, "maart": 3,
    "march": 3, "mar": 3, "mrt": 3, "april": 4, "apr": 4, "mei": 5, "may": 5, "juni": 6,
    "june": 6, "jun": 6, "juli": 7, "july": 7, "jul": 7, "augustus": 8, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11, "december": 12, "dec": 12,
}
WEEKDAYS = {
    "maandag": 0, "monday": 0, "dinsdag": 1, "tuesday": 1, "woensdag": 2, "wednesday": 2,
    "donderdag": 3, "thursday": 3, "vrijdag": 4, "friday": 4, "zaterdag": 5, "saturday": 5,
    "zondag": 6, "sunday": 6,
}
RELATIVE = {"vandaag": 0, "today": 0, "gisteren": -1, "yesterday": -1, "eergisteren": -2,
            "vanochtend": 0, "vanmorgen": 0, "vanavond": 0, "tonight": 0, "gisteravond": -1}

_M = "|".join(sorted(MONTHS, key=len, reverse=True))
_W = "|".join(WEEKDAYS)
_R = "|".join(RELATIVE)
_DATE = re.compile(
    rf"\b(?P<iso>(?P<iy>\d{{4}})-(?P<im>\d{{2}})-(?P<id>\d{{2}}))\b"
    rf"|\b(?P<d1>\d{{1,2}})(?:st|nd|rd|th|e)?\s+(?P<m1>{_M})\.?(?:,?\s+(?P<y1>\d{{4}}))?\b"
    rf"|\b(?P<m2>{_M})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y2>\d{{4}}))?"
    rf"|\b(?P<rel>{_R})\b"
    rf"|\b(?P<mod>afgelopen|vorige|last|this|past|on|op|deze)?\s*(?P<wd>{_W})\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(19[89]\d|20[0-4]\d)\b")


def to_date(value: str | datetime | date | None) -> date | None:
    """Parse the ``published`` argument (ISO string, datetime or date)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(str(value).strip().replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            return None


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def find_dates(text: str, published: date | None) -> list[date]:
    out: list[date] = []
    years = [int(y) for y in _YEAR.findall(text)]
    for m in _DATE.finditer(text):
        g = m.groupdict()
        if g["iso"]:
            d = _safe(int(g["iy"]), int(g["im"]), int(g["id"]))
        elif g["m1"] or g["m2"]:
            month = MONTHS[(g["m1"] or g["m2"]).lower()]
            day = int(g["d1"] or g["d2"])
            y = g["y1"] or g["y2"]
            if y:
                year = int(y)
            elif years:
                later = [yy for yy in years if yy >= 1980]
                year = later[-1] if later else 0
            elif published:
                year = published.year - (1 if month > published.month + 1 else 0)
            else:
                year = 0
            d = _safe(year, month, day) if year else None
        elif g["rel"]:
            d = published + timedelta(days=RELATIVE[g["rel"].lower()]) if published else None
        elif g["wd"] and published:
            wd = WEEKDAYS[g["wd"].lower()]
            back = (published.weekday() - wd) % 7
            if back == 0 and (g["mod"] or "").lower() in ("afgelopen", "vorige", "last", "past"):
                back = 7
            d = published - timedelta(days=back)
        else:
            d = None
        if d:
            out.append(d)
    return out
