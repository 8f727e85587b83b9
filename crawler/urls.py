"""URL canonicalisation: one spelling per article, so that its id (a hash of the
canonical URL, ``index.ids.article_id``) is stable across feeds, tracking links and
re-crawls."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

from index.ids import article_id

# Query parameters that only track where a click came from.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "twclid", "ttclid", "li_fat_id",
    "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id",
    "oly_enc_id", "vero_id", "wickedid", "ref_src", "ref_url", "cmpid", "ncid", "ocid",
    "sr_share", "spm", "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3",
    "at_custom4", "xtor", "s_cid", "share", "utm", "ref", "referrer", "src", "rss",
})
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "hsa_", "itm_")
DEFAULT_PORTS = {"http": "80", "https": "443"}
# Links that are never HTML articles; dropped before any request is made.
NON_HTML_EXTENSIONS = re.compile(
    r"\.(pdf|docx?|xlsx?|pptx?|odt|ods|zip|gz|tgz|rar|7z|mp3|mp4|m4a|mov|avi|wav|ogg|webm|"
    r"jpe?g|png|gif|webp|svg|ico|css|js|json|xml|rss|atom|epub|apk|exe|dmg|iso)$",
    re.IGNORECASE,
)


def _is_tracking(key: str) -> bool:
    low = key.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def canonicalize(url: str, base: str | None = None) -> str:
    """Return the canonical spelling of ``url`` (made absolute against ``base``).

    Lower-cases scheme and host, drops default ports, fragments, tracking parameters
    (utm_*, fbclid, gclid, ...) and empty queries, sorts the remaining query, and
    normalises percent-encoding. Paths keep their case.
    """
    url = url.strip()
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port if parts.port is not None else None
    netloc = host
    if port is not None and str(port) != DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{port}"
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~") or "/"
    path = re.sub(r"/{2,}", "/", path)
    query_pairs = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    query = urlencode(sorted(query_pairs), doseq=True)
    return urlunsplit((scheme, netloc, path, query, ""))


def canonical_id(url: str) -> str:
    """The article id of ``url`` after canonicalisation."""
    return article_id(canonicalize(url))


def is_http(url: str) -> bool:
    return urlsplit(url).scheme in {"http", "https"}


def looks_non_html(url: str) -> bool:
    """True when the path's extension says the link is a file, not a page."""
    return bool(NON_HTML_EXTENSIONS.search(urlsplit(url).path))


def pick_canonical(page_url: str, declared: str | None) -> str:
    """The canonical URL of a fetched page: its ``rel=canonical`` when that is a
    plausible article URL, else the page URL itself (both canonicalised).

    Sites sometimes declare their home page or a section as canonical for every
    article; such declarations (a root path, a different scheme than http(s)) are
    ignored so that distinct articles keep distinct ids.
    """
    page = canonicalize(page_url)
    if not declared:
        return page
    try:
        target = canonicalize(declared, base=page_url)
    except ValueError:
        return page
    split = urlsplit(target)
    if split.scheme not in {"http", "https"} or not split.hostname:
        return page
    if split.path in {"", "/"} and urlsplit(page).path not in {"", "/"}:
        return page
    return target
