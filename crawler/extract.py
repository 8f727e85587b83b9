"""HTML page → article dict, with trafilatura for the main text.

Pure (no I/O), so it runs in worker processes and in ``toezicht reprocess``.

Publication dates are the most reported failure of news crawlers, so they get
their own cascade, each step recording how precise the date is:
JSON-LD / meta tags → the feed's date → the URL → the text (Dutch and English
month names) → trafilatura's own guess.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.utils import load_html
from w3lib.encoding import html_to_unicode

from crawler.urls import pick_canonical
from index.ids import article_id

MIN_ARTICLE_CHARS = 250  # less main text than this: not an article (index, paywall, error)

MONTHS: dict[str, int] = {}
for _num, _names in enumerate([
    "januari january jan", "februari february feb", "maart march mrt mar mrch",
    "april apr", "mei may", "juni june jun", "juli july jul",
    "augustus august aug", "september sep sept", "oktober october okt oct",
    "november nov", "december dec",
], 1):
    for _name in _names.split():
        MONTHS[_name] = _num
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))

# "12 januari 2026", "12 Jan. 2026", "1st of March 2026"
_DMY_TEXT = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th|e|ste|de)?\.?\s+(?:of\s+)?({_MONTH_RE})\.?,?\s+((?:19|20)\d\d)\b",
    re.IGNORECASE)
# "January 12, 2026", "Jan 12 2026"
_MDY_TEXT = re.compile(
    rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)\b", re.IGNORECASE)
# "12-01-2026", "12.1.2026", "12/01/2026" (day first: Dutch and British usage)
_DMY_NUM = re.compile(r"(?<![\d/.-])(\d{1,2})[-/.](\d{1,2})[-/.]((?:19|20)\d\d)(?![\d/.-])")
# "januari 2026" (month precision)
_MY_TEXT = re.compile(rf"(?<!\d\s)(?<!\d\.\s)\b({_MONTH_RE})\.?\s+((?:19|20)\d\d)\b", re.IGNORECASE)

_URL_DAY = re.compile(
    r"(?<!\d)((?:19|20)\d\d)[/_-]?(0[1-9]|1[0-2])[/_-]?(0[1-9]|[12]\d|3[01])(?!\d)")
_URL_DAY_LOOSE = re.compile(
    r"/((?:19|20)\d\d)/([1-9]|0[1-9]|1[0-2])/([1-9]|0[1-9]|[12]\d|3[01])/")
_URL_MONTH = re.compile(r"/((?:19|20)\d\d)/(0?[1-9]|1[0-2])(?:/|$)")

_ISO = re.compile(
    r"^\s*((?:19|20)\d\d)(?:-?(0[1-9]|1[0-2])(?:-?(0[1-9]|[12]\d|3[01]))?)?"
    r"(?:[T ](\d\d):?(\d\d)(?::?(\d\d)(?:[.,]\d+)?)?\s*(Z|[+-]\d\d:?\d\d)?)?\s*$")

_RFC822 = re.compile(r"^\s*(?:[A-Za-z]{3},?\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d\d")

PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time",
    "published_time", "datepublished", "article.published", "article_date_original",
    "original-publish-date", "publish-date", "publishdate", "publish_date", "pubdate",
    "pub_date", "date", "dc.date", "dc.date.issued", "dc.date.created", "dcterms.date",
    "dcterms.issued", "dcterms.created", "sailthru.date", "parsely-pub-date",
    "citation_publication_date", "cxenseparse:recs:publishtime", "datecreated",
    "creation_date", "analytics:publication_date",
)
MODIFIED_META = (
    "article:modified_time", "og:updated_time", "og:article:modified_time", "datemodified",
    "dcterms.modified", "last-modified", "dc.date.modified", "modified_time",
)
ARTICLE_TYPES = {"article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle",
                 "blogposting", "report", "scholarlyarticle", "techarticle", "opinionnewsarticle",
                 "backgroundnewsarticle", "liveblogposting", "socialmediaposting"}


# -- dates ---------------------------------------------------------------------
def _valid(year: int, month: int = 1, day: int = 1) -> date | None:
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    if found.year < 1990 or found > (datetime.now(UTC) + timedelta(days=2)).date():
        return None
    return found


def parse_date(value: Any) -> tuple[str, str] | None:
    """Parse a machine-readable or written date into ``(iso, precision)``.

    ``iso`` is ``YYYY-MM-DD`` (or a full ISO datetime when the value has a time),
    ``YYYY-MM`` or ``YYYY``; precision is ``day``, ``month`` or ``year``.
    Accepts ISO 8601, RFC 822 (feeds) and Dutch/English written dates.
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    m = _ISO.match(text)
    if m:
        year, month, day, hh, mm, ss, tz = m.groups()
        if day:
            if not _valid(int(year), int(month), int(day)):
                return None
            if hh is None:
                return f"{year}-{month}-{day}", "day"
            try:
                stamp = datetime(int(year), int(month), int(day), int(hh), int(mm),
                                 int(ss or 0))
            except ValueError:
                return f"{year}-{month}-{day}", "day"
            iso = stamp.isoformat()
            if tz:
                iso += "+00:00" if tz == "Z" else (tz if ":" in tz else f"{tz[:3]}:{tz[3:]}")
            return iso, "day"
        if month:
            return (f"{year}-{month}", "month") if _valid(int(year), int(month)) else None
        return (year, "year") if _valid(int(year)) else None
    if _RFC822.match(text):
        try:
            stamp = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            stamp = None
        if stamp is not None and _valid(stamp.year, stamp.month, stamp.day):
            return stamp.isoformat(), "day"
    return find_text_date(text)


def find_text_date(text: str, lang: str | None = None) -> tuple[str, str] | None:
    """The first written date in ``text`` (Dutch or English), with its precision."""
    best: tuple[int, tuple[str, str]] | None = None

    def offer(pos: int, found: tuple[str, str] | None) -> None:
        nonlocal best
        if found and (best is None or pos < best[0]):
            best = (pos, found)

    for m in _DMY_TEXT.finditer(text):
        d = _valid(int(m.group(3)), MONTHS[m.group(2).lower()], int(m.group(1)))
        if d:
            offer(m.start(), (d.isoformat(), "day"))
            break
    for m in _MDY_TEXT.finditer(text):
        d = _valid(int(m.group(3)), MONTHS[m.group(1).lower()], int(m.group(2)))
        if d:
            offer(m.start(), (d.isoformat(), "day"))
            break
    for m in _DMY_NUM.finditer(text):
        day, month = int(m.group(1)), int(m.group(2))
        if lang == "en" and day <= 12 and month <= 12 and day != month:
            continue  # could be US month/day order
        d = _valid(int(m.group(3)), month, day)
        if d:
            offer(m.start(), (d.isoformat(), "day"))
            break
    if best is None:
        for m in _MY_TEXT.finditer(text):
            d = _valid(int(m.group(2)), MONTHS[m.group(1).lower()])
            if d:
                offer(m.start(), (f"{d.year:04d}-{d.month:02d}", "month"))
                break
    return best[1] if best else None


def url_date(url: str) -> tuple[str, str] | None:
    """A date in the URL path (``/2026/01/12/``, ``/20260112-``, ``/2026/01/``)."""
    path = urlsplit(url).path
    for pattern in (_URL_DAY, _URL_DAY_LOOSE):
        m = pattern.search(path)
        if m:
            d = _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if d:
                return d.isoformat(), "day"
    m = _URL_MONTH.search(path)
    if m and _valid(int(m.group(1)), int(m.group(2))):
        return f"{m.group(1)}-{int(m.group(2)):02d}", "month"
    return None


# -- markup metadata -------------------------------------------------------------
def _jsonld_objects(tree: HtmlElement) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            out.append(node)
            for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
                if isinstance(node.get(key), (list, dict)):
                    walk(node[key])

    for script in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), '
                             '"ld+json")]'):
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            walk(json.loads(raw, strict=False))
        except ValueError:
            continue
    return out


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type", [])
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds}


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    return []


def _first_url(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _first_url(value.get("url") or value.get("contentUrl"))
    if isinstance(value, list) and value:
        return _first_url(value[0])
    return None


def markup_metadata(tree: HtmlElement) -> dict[str, Any]:
    """Dates, authors, section, image, language and canonical link declared in
    the page's JSON-LD, ``<meta>``, ``<time>`` and ``<link>`` elements."""
    meta: dict[str, Any] = {}
    objs = _jsonld_objects(tree)
    articles = [o for o in objs if _types(o) & ARTICLE_TYPES] or [
        o for o in objs if "datePublished" in o]
    for obj in articles:
        for key, field in (("datePublished", "published"), ("dateCreated", "published"),
                           ("dateModified", "modified")):
            if field not in meta and parse_date(obj.get(key)):
                meta[field] = parse_date(obj.get(key))
                if field == "published":
                    meta["published_source"] = "jsonld"
        if "authors" not in meta and _names(obj.get("author")):
            meta["authors"] = _names(obj.get("author"))
        if "section" not in meta and obj.get("articleSection"):
            section = obj["articleSection"]
            meta["section"] = section[0] if isinstance(section, list) else str(section)
        if "image" not in meta and _first_url(obj.get("image")):
            meta["image"] = _first_url(obj.get("image"))
        if "lang" not in meta and isinstance(obj.get("inLanguage"), str):
            meta["lang"] = obj["inLanguage"]
        if "title" not in meta and isinstance(obj.get("headline"), str):
            meta["title"] = obj["headline"]

    tags: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop")
               or el.get("http-equiv") or "").strip().lower()
        content = (el.get("content") or el.get("datetime") or "").strip()
        if key and content and key not in tags:
            tags[key] = content
    if "published" not in meta:
        for key in PUBLISHED_META:
            found = parse_date(tags.get(key))
            if found:
                meta["published"], meta["published_source"] = found, "meta"
                break
    if "published" not in meta:
        for el in tree.xpath('//time[@datetime][@itemprop="datePublished" or @pubdate '
                             'or contains(@class, "publi")]|//*[@itemprop="datePublished"]'
                             '[@datetime or @content]'):
            found = parse_date(el.get("datetime") or el.get("content"))
            if found:
                meta["published"], meta["published_source"] = found, "meta"
                break
    if "modified" not in meta:
        for key in MODIFIED_META:
            found = parse_date(tags.get(key))
            if found:
                meta["modified"] = found
                break
    if "authors" not in meta:
        for key in ("author", "article:author", "dc.creator", "parsely-author", "sailthru.author"):
            value = tags.get(key)
            if value and not value.startswith("http"):
                meta["authors"] = [a.strip() for a in re.split(r"[;|]| and | en ", value)
                                   if a.strip()]
                break
    if "section" not in meta:
        value = tags.get("article:section") or tags.get("section") or tags.get("parsely-section")
        if value:
            meta["section"] = value
    if "image" not in meta:
        value = tags.get("og:image") or tags.get("twitter:image")
        if value:
            meta["image"] = value
    if "title" not in meta and tags.get("og:title"):
        meta["og_title"] = tags["og:title"]
    lang = meta.get("lang") or tree.get("lang") or tree.get("xml:lang") or tags.get(
        "og:locale") or tags.get("content-language") or tags.get("language")
    if lang:
        meta["lang"] = lang
    canonical = tree.xpath('//link[@rel][@href][contains(concat(" ", '
                           'translate(normalize-space(@rel), "CANOICL", "canoicl"), " "), '
                           '" canonical ")]/@href')
    if canonical:
        meta["canonical"] = str(canonical[0]).strip()
    return meta


def _lang_code(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    m = re.match(r"\s*([A-Za-z]{2})(?:[-_][A-Za-z]+)?\b", value)
    return m.group(1).lower() if m else None


def _byline_text(tree: HtmlElement) -> str:
    parts = tree.xpath(
        '//*[self::time or contains(@class, "date") or contains(@class, "byline") or '
        'contains(@class, "meta") or contains(@class, "publi") or contains(@id, "date")]'
        '[not(ancestor::nav or ancestor::footer or ancestor::aside)]')
    texts = []
    for el in parts[:20]:
        texts.append(" ".join(el.itertext()))
    return " | ".join(texts)[:3000]


# -- the article ---------------------------------------------------------------
def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode page bytes using the HTTP charset, BOM or ``<meta charset>`` (in that
    order; latin-1 declarations are read as windows-1252, as browsers do)."""
    encoding, text = html_to_unicode(content_type, body)
    return text, encoding


def extract_article(
    html: bytes | str,
    url: str,
    *,
    content_type: str | None = None,
    feed_date: str | None = None,
    feed_title: str | None = None,
    lang_hint: str | None = None,
    source: str | None = None,
    request_url: str | None = None,
) -> dict[str, Any]:
    """Turn one fetched page into an article dict (store columns + a few extras).

    ``url`` is the final URL of the page, ``request_url`` the link that led there
    (before redirects), ``feed_date``/``feed_title`` what the feed or sitemap said.
    Never raises on bad HTML: unusable pages come back with ``kind="not_article"``
    and a ``reason``.
    """
    if isinstance(html, bytes):
        text_html, encoding = decode_html(html, content_type)
    else:
        text_html, encoding = html, "utf-8"
    tree = load_html(text_html) if text_html.strip() else None
    meta = markup_metadata(tree) if tree is not None else {}
    canonical = pick_canonical(url, meta.get("canonical"))
    out: dict[str, Any] = {
        "id": article_id(canonical),
        "url": request_url or url,
        "canonical_url": canonical,
        "source": source,
        "kind": "article",
        "reason": None,
        "title": None,
        "text": None,
        "authors": [],
        "published": None,
        "published_precision": None,
        "published_source": None,
        "modified": None,
        "lang": None,
        "section": None,
        "image": None,
        "encoding": encoding,
    }
    doc = None
    if tree is not None:
        try:
            doc = bare_extraction(
                tree, url=url, with_metadata=True, include_comments=False,
                include_tables=True, date_extraction_params={
                    "original_date": True, "extensive_search": False,
                    "max_date": (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")},
            )
        except Exception as exc:  # trafilatura on hostile markup; keep the page
            out["kind"] = "not_article"
            out["reason"] = f"extraction failed: {exc.__class__.__name__}"
    text = (doc.text or "").strip() if doc is not None else ""
    out["text"] = text or None
    out["title"] = ((doc.title if doc is not None else None) or meta.get("title")
                    or meta.get("og_title") or feed_title)
    if out["title"]:
        out["title"] = re.sub(r"\s+", " ", out["title"]).strip()
    authors = meta.get("authors") or (
        [a.strip() for a in doc.author.split(";") if a.strip()]
        if doc is not None and doc.author else [])
    out["authors"] = list(dict.fromkeys(a for a in authors if len(a) < 120))

    published, source_kind = meta.get("published"), meta.get("published_source")
    if not published and feed_date:
        published, source_kind = parse_date(feed_date), "feed"
    if not published:
        published, source_kind = url_date(request_url or url) or url_date(url), "url"
    if not published:
        lang = _lang_code(meta.get("lang")) or lang_hint
        published = find_text_date(text[:800], lang) if text else None
        if not published and tree is not None:
            published = find_text_date(_byline_text(tree), lang)
        source_kind = "text"
    if not published and doc is not None and doc.date:
        published, source_kind = parse_date(doc.date), "trafilatura"
    if published:
        out["published"], out["published_precision"] = published
        out["published_source"] = source_kind
    if meta.get("modified"):
        out["modified"] = meta["modified"][0]

    out["lang"] = _lang_code(meta.get("lang")) or lang_hint or (
        _lang_code(doc.language) if doc is not None else None)
    out["section"] = meta.get("section") or (
        doc.categories[0] if doc is not None and doc.categories else None)
    image = meta.get("image") or (doc.image if doc is not None else None)
    out["image"] = urljoin(url, image) if image else None

    if out["kind"] == "article":
        if tree is None:
            out["kind"], out["reason"] = "not_article", "empty or unparsable page"
        elif not text:
            out["kind"], out["reason"] = "not_article", "no main text found"
        elif len(text) < MIN_ARTICLE_CHARS:
            out["kind"], out["reason"] = "not_article", f"too little text ({len(text)} chars)"
    return out
