"""Scrapy settings for Toezicht: polite by default.

The user's configuration (User-Agent, delay, per-domain concurrency, robots.txt, store
URL: ``crawler.config.config_settings``) is laid over these by
`crawler.run.build_settings` for `toezicht crawl`, and by ``toezicht.scrapy_settings``
(scrapy.cfg's settings module) for a plain `scrapy crawl feed`.
"""

from __future__ import annotations

BOT_NAME = "toezicht"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

ROBOTSTXT_OBEY = True

# Politeness: a delay and few parallel requests per domain, adapted by AutoThrottle.
CONCURRENT_REQUESTS = 16
CONCURRENT_ITEMS = 8  # each article response yields one item; fewer idle tasks
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Timeouts and size limits. Sitemaps have their own (crawler.middlewares.
# SitemapBodyMiddleware): at most TOEZICHT_SITEMAP_MAX_URLS entries of at most
# TOEZICHT_SITEMAP_MAX_BYTES decompressed bytes are read, plain or gzipped alike,
# the rest skipped and counted (discovery_sitemap_truncated); sitemaps.org's limits.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
DNS_TIMEOUT = 20
TOEZICHT_SITEMAP_MAX_URLS = 50_000
TOEZICHT_SITEMAP_MAX_BYTES = 50 * 1024 * 1024

# Retries (with exponential backoff, see crawler.middlewares.BackoffRetryMiddleware).
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 1.0  # seconds; doubled per attempt, plus jitter
RETRY_BACKOFF_MAX = 60.0
RETRY_GIVE_UP_LOG_LEVEL = "INFO"  # the spider reports the failure once, per source

# No unbounded recursion: spiders follow at most one listing level by default.
DEPTH_LIMIT = 4
DEPTH_PRIORITY = 1
REDIRECT_MAX_TIMES = 5  # more, or a cycle: failed as redirect_limit / redirect_cycle
METAREFRESH_ENABLED = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# An HTTP cache for feeds, sitemaps and listing pages, revalidated on every run
# (their requests carry Cache-Control: max-age=0): a conditional GET with ETag /
# Last-Modified, and a 304 costs the site no body. Article pages are never cached
# (meta dont_cache): stored articles are not requested at all. The cache lives in
# <data_dir>/httpcache (set by crawler.run).
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.RFC2616Policy"
HTTPCACHE_GZIP = True
HTTPCACHE_IGNORE_HTTP_CODES = [401, 403, 404, 410, 429, 500, 502, 503, 504]

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.StoredArticleMiddleware": 560,
    "crawler.middlewares.HtmlOnlyMiddleware": 590,
    "crawler.middlewares.SitemapBodyMiddleware": 595,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.CountedRedirectMiddleware": 600,
}

ITEM_PIPELINES = {
    "crawler.pipelines.ExtractPipeline": 100,
    "crawler.pipelines.AnalysePipeline": 200,
    "crawler.pipelines.StorePipeline": 300,
    "crawler.pipelines.IndexPipeline": 400,
}

EXTENSIONS = {
    "crawler.extensions.CrawlRunRecorder": 500,
    "scrapy.extensions.logstats.LogStats": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
}

# Toezicht's own settings (the store URL and sources file come with the configuration).
TOEZICHT_STORE_BATCH = 50
TOEZICHT_INDEX_ENABLED = True
# Worker processes for extraction and NLP (CPU-bound); 0 = in the crawl process.
TOEZICHT_WORKERS = 0
TOEZICHT_PROGRESS_INTERVAL = 10.0

LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
