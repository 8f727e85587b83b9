"""Click parameter types shared by the commands, so a bad value is refused the same way
everywhere: one line naming the option, the value and what is allowed (the root group
in toezicht/cli.py turns the usage error into ``Error: ...`` and exit 1)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import click

DATE_FORMS = "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM]"


class IsoDate(click.ParamType):
    """An ISO date or date-time; the value is a :class:`date` (date only) or a
    :class:`datetime` (as given, aware or naive)."""

    name = "date"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "DATE"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> date | datetime:
        if isinstance(value, date):  # datetime too
            return value
        text = str(value).strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.fail(f"{value!r} is not a date: use {DATE_FORMS}", param, ctx)


def utc_iso(when: date | datetime) -> str:
    """``when`` as an ISO string in UTC that compares as text with stored UTC times
    (``2026-01-12T10:30:00+00:00``); a naive date-time is taken as UTC, a date stays a
    date (it sorts before every time on that day)."""
    if not isinstance(when, datetime):
        return when.isoformat()
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).replace(microsecond=0).isoformat()


class ExtractorLanguage(click.ParamType):
    """A language the extractor has a pipeline for (``nlp.pipeline.LANGS``), lower-cased;
    nlp is imported only when a value is given, so ``--help`` stays fast."""

    name = "lang"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "LANG"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        from nlp.pipeline import LANGS

        lang = str(value).strip().lower()
        if lang not in LANGS:
            self.fail(f"{value!r} is not a language the extractor supports: use "
                      f"{' or '.join(LANGS)}", param, ctx)
        return lang
