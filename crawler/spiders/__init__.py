"""One spider per source type: ``feed``, ``sitemap``, ``pages``."""
