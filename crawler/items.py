"""The item that travels through the pipelines: a fetched page, then the article
extracted from it, then its analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FetchedPage:
    """One article page as fetched, plus what discovery (feed/sitemap/listing) said."""

    source: str
    url: str  # final URL after redirects
    request_url: str  # canonicalised link that led here
    body: bytes
    status: int
    content_type: str | None
    headers: dict[str, str]
    fetched_at: str
    feed_date: str | None = None
    feed_title: str | None = None
    lang_hint: str | None = None
    # Filled by the pipelines:
    article: dict[str, Any] | None = None  # crawler.extract.extract_article output
    analysis: dict[str, Any] | None = None  # nlp Analysis.to_dict()
    nlp_version: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def discovery(self) -> dict[str, Any]:
        """What discovery knew, kept with the raw page so reprocessing can reuse it."""
        return {"source": self.source, "request_url": self.request_url,
                "feed_date": self.feed_date, "feed_title": self.feed_title,
                "lang_hint": self.lang_hint, "content_type": self.content_type}
