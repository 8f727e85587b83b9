"""What the crawler reads of the user's configuration.

The configuration itself belongs to the app (``toezicht.config.Config``); the crawler
only needs these attributes, so it depends on this protocol and never imports the app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol


class CrawlConfig(Protocol):
    user_agent: str
    obey_robots: bool
    download_delay: float
    concurrent_per_domain: int
    data_dir: str | Path
    sources_file: str | Path
    es_index: str

    @property
    def resolved_store_url(self) -> str: ...

    @property
    def resolved_es_url(self) -> str: ...


def config_settings(cfg: CrawlConfig) -> dict[str, Any]:
    """The Scrapy settings that come from the configuration (the sitemap caps only
    when it has them: the defaults are in ``crawler.settings``)."""
    caps = {name: getattr(cfg, attr) for name, attr in (
        ("TOEZICHT_SITEMAP_MAX_URLS", "sitemap_max_urls"),
        ("TOEZICHT_SITEMAP_MAX_BYTES", "sitemap_max_bytes")) if getattr(cfg, attr, None)}
    return {
        **caps,
        "USER_AGENT": cfg.user_agent,
        "ROBOTSTXT_OBEY": cfg.obey_robots,
        "DOWNLOAD_DELAY": cfg.download_delay,
        "AUTOTHROTTLE_START_DELAY": max(cfg.download_delay, 0.1),
        "CONCURRENT_REQUESTS_PER_DOMAIN": cfg.concurrent_per_domain,
        "HTTPCACHE_DIR": str((Path(cfg.data_dir) / "httpcache").resolve()),
        "TOEZICHT_STORE_URL": cfg.resolved_store_url,
        "TOEZICHT_SOURCES_FILE": str(cfg.sources_file),
        "TOEZICHT_CONFIG": cfg,
    }
