"""Scrapy's settings module for a plain `scrapy crawl feed` (scrapy.cfg): the crawler's
defaults with the user's configuration laid over them, as `toezicht crawl` does."""

from __future__ import annotations

from crawler.config import config_settings
from crawler.settings import *  # noqa: F403
from toezicht.config import Config, ConfigError, load_config

try:
    _cfg = load_config()
except ConfigError:  # reported by the toezicht command; keep scrapy usable
    _cfg = Config()

globals().update(config_settings(_cfg))
