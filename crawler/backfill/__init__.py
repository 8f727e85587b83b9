"""Backfill from web archives (``toezicht backfill``): WARC files and Common Crawl's
CC-NEWS read as streams (:mod:`crawler.backfill.warc`), a topic prefilter on the raw
bytes (:mod:`crawler.backfill.prefilter`), then the crawl's own extract → NLP → store →
index steps (:mod:`crawler.backfill.run`); progress per file in the store
(:mod:`index.backfill_state`), so a killed backfill continues where it stopped."""
