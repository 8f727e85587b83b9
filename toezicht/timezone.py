"""The timezone dates are shown in: the config's ``[schedule] timezone``."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from index.search.actions import DEFAULT_TZ


def display_tz(cfg: Any) -> ZoneInfo:
    """The configured timezone, else Europe/Amsterdam (also when the config is bad:
    `toezicht config check` reports that; showing dates does not fail on it)."""
    if cfg is not None:
        from toezicht.config import ConfigError
        from toezicht.schedule import load_schedule_settings

        try:
            return load_schedule_settings(cfg).tz()
        except (ConfigError, OSError):
            pass
    return ZoneInfo(DEFAULT_TZ)
