"""Why a crawl dropped an input: the one vocabulary of failure reasons.

Every input a crawl drops (a request that failed, a feed or sitemap refused or read
only in part, a link that cannot be requested, a page the pipelines lost) is counted
in the run's stats under one of these reasons, per source: ``{source: {...,
"failed": n, "errors": {reason: n}}}`` (``crawler.state.RunState.fail``, which
refuses any other name). The names are stored in ``crawl_runs.stats`` and shown by
`toezicht crawl`, `toezicht runs` and `toezicht sources health`.

A reason about a discovery document or its request (feed, sitemap, listing page)
is stored with the prefix ``discovery_`` (``discovery_http_403``,
``discovery_xml_entity_bomb``, ``discovery_sitemap_truncated``); the others are
about article links and pages. An HTTP error answer is ``http_<status>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DISCOVERY = "discovery_"

# Buckets of `toezicht sources health`, in the order it shows them.
BUCKETS = ("robots", "403", "404", "5xx", "timeout", "network", "redirect", "not_html",
           "too_large", "refused", "partial", "other")


@dataclass(frozen=True)
class Reason:
    name: str
    bucket: str  # one of BUCKETS
    doc: str
    # False: part of the input was read and the rest skipped (a sitemap past its cap,
    # a feed entry without a link); True: nothing of it was read.
    whole: bool = True
    where: str = "both"  # "discovery", "article" or "both": which requests it concerns


_ALL = (
    # -- requests (discovery or article) ------------------------------------------
    Reason("robots_txt", "robots", "robots.txt disallows the URL"),
    Reason("dns", "network", "the host name does not resolve"),
    Reason("connection", "network", "connection refused, reset or cut off mid-answer"),
    Reason("timeout", "timeout", "no (complete) answer within DOWNLOAD_TIMEOUT"),
    Reason("too_large", "too_large",
           "the answer is over DOWNLOAD_MAXSIZE (also after decompression)"),
    Reason("redirect_cycle", "redirect", "the redirects lead back to a URL already visited"),
    Reason("redirect_limit", "redirect", "more redirects than REDIRECT_MAX_TIMES"),
    Reason("not_html", "not_html", "not an HTML page (PDF, image, ...)"),
    Reason("ignored", "other", "dropped by a downloader middleware for another reason"),
    Reason("download_error", "other", "the download failed otherwise (logged with its cause)"),
    Reason("parse_error", "other", "reading the answer raised an error (logged)"),
    # -- feeds and sitemaps ---------------------------------------------------------
    Reason("xml_entity_bomb", "refused",
           "declares entities that expand into other entities (billion laughs) or "
           "expand past the parser's amplification limit; refused, nothing expanded",
           where="discovery"),
    Reason("xml_external_entity", "refused",
           "declares an external entity (XXE: SYSTEM or PUBLIC); refused, nothing loaded",
           where="discovery"),
    Reason("xml_resource_limit", "refused",
           "the XML exceeds a parser limit (nesting, text or name size); refused",
           where="discovery"),
    Reason("not_a_feed", "other", "not an RSS or Atom document", where="discovery"),
    Reason("not_a_sitemap", "other", "not a sitemap or sitemap index", where="discovery"),
    Reason("feed_truncated", "partial",
           "a compressed feed decompresses past DOWNLOAD_MAXSIZE: read up to there",
           whole=False, where="discovery"),
    Reason("sitemap_truncated", "partial",
           "a sitemap over TOEZICHT_SITEMAP_MAX_URLS URLs or TOEZICHT_SITEMAP_MAX_BYTES "
           "(decompressed): read up to the cap, the rest skipped",
           whole=False, where="discovery"),
    Reason("sitemap_index_truncated", "partial",
           "a sitemap index with more child sitemaps than are followed (the most "
           "recent and news ones are)", whole=False, where="discovery"),
    Reason("sitemap_too_deep", "other",
           "a sitemap index nested deeper than the levels followed", where="discovery"),
    # -- links in feeds and sitemaps (of a sitemap index: discovery_...) -------------
    Reason("entry_without_link", "partial", "a feed item or sitemap entry without a link",
           whole=False),
    Reason("invalid_url", "partial", "a feed or sitemap link that is not a valid http(s) URL",
           whole=False),
    # -- article pages -----------------------------------------------------------------
    Reason("redirect_seen", "redirect",
           "redirected to a URL this crawl had already requested, not as an article "
           "(e.g. the home page)", where="article"),
    Reason("extract_error", "other", "extraction failed", where="article"),
    Reason("nlp_error", "other", "analysis failed: the article is stored unanalysed",
           whole=False, where="article"),
    Reason("store_error", "other", "writing to the store failed", where="article"),
    Reason("pipeline_error", "other", "an item pipeline raised an error (logged)",
           where="article"),
)
REASONS: dict[str, Reason] = {r.name: r for r in _ALL}

# Outcomes of a request that are no failure (the article is stored or fetched by
# another request); counted as ``skipped_known`` or not at all, never as failed.
NOT_FAILURES = frozenset({"already_stored", "duplicate"})

_HTTP = re.compile(r"http_([1-5]\d\d)")


def http(status: int) -> str:
    """The reason for an HTTP error answer."""
    return f"http_{status}"


def key(reason: str, *, discovery: bool = False) -> str:
    """The stored name of ``reason`` (``discovery_`` + reason for a discovery
    request or document); ValueError for a name outside the vocabulary."""
    if _HTTP.fullmatch(reason):
        return DISCOVERY + reason if discovery else reason
    known = REASONS.get(reason)
    if known is None:
        raise ValueError(f"unknown failure reason {reason!r}: add it to crawler.reasons")
    if known.where == ("article" if discovery else "discovery"):
        raise ValueError(f"failure reason {reason!r} is for {known.where} requests only")
    return DISCOVERY + reason if discovery else reason


def check(name: str) -> str:
    """``name`` when it is a stored reason name (see :func:`key`), else ValueError."""
    base = name.removeprefix(DISCOVERY)
    return key(base, discovery=base != name)


def describe(name: str) -> Reason | None:
    """The :class:`Reason` of a stored name (an HTTP status gets its own); None when
    ``name`` is no failure (``duplicate``, ``already_stored``) or unknown (runs
    recorded by an older version)."""
    base = name.removeprefix(DISCOVERY)
    m = _HTTP.fullmatch(base)
    if m:
        status = int(m.group(1))
        bucket = ("403" if status in (401, 403, 451) else "404" if status in (404, 410)
                  else "5xx" if status >= 500 else "other")
        return Reason(base, bucket, f"HTTP {status}")
    return REASONS.get(base)


def bucket(name: str) -> str | None:
    """The health bucket of a stored name; None for what is no failure."""
    base = name.removeprefix(DISCOVERY)
    if base in NOT_FAILURES:
        return None
    known = describe(name)
    if known is not None:
        return known.bucket
    if base.startswith("robots"):
        return "robots"
    return "other"  # a name from an older version


def whole(name: str) -> bool:
    """True when the reason means the input was lost whole (not read in part)."""
    known = describe(name)
    return True if known is None else known.whole
