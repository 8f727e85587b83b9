"""HTML page → article dict: per-site overrides (``crawler/sites.toml``), then
trafilatura in precision mode with a recall-mode retry when it finds little, for the
main text; metadata; the not-an-article check (``crawler.quality``).

Pure (no I/O), so it runs in worker processes and in ``toezicht reprocess``.

Publication dates are the most reported failure of news crawlers, so they get
their own cascade, each step recording how precise the date is (day/month/year) and
where it came from (``published_source``): JSON-LD → the site's spec → ``<meta>`` /
``<time>`` → the feed's date → the URL → the text (Dutch and English month names in
the first lines, then the byline, incl. "gisteren"/"yesterday"/"3 uur geleden"
against the fetch time and dates without a year) → htmldate's guess.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement
from w3lib.encoding import html_to_unicode

from crawler.quality import MIN_ARTICLE_CHARS  # noqa: F401  (re-exported)
from crawler.urls import pick_canonical
from index.ids import article_id

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


# -- dates relative to the fetch ---------------------------------------------------
_NUMBER_WORDS = {"een": 1, "één": 1, "a": 1, "an": 1, "one": 1, "twee": 2, "two": 2,
                 "drie": 3, "three": 3, "vier": 4, "four": 4, "vijf": 5, "five": 5}
_RELATIVE_DAY = re.compile(r"\b(eergisteren|gisteren|yesterday|vandaag|today)\b", re.IGNORECASE)
_RELATIVE_AGO = re.compile(
    r"\b(\d{1,3}|een|één|an?|one|twee|two|drie|three|vier|four|vijf|five)\s*"
    r"(minuten|minuut|minutes?|mins?|min|uur|hours?|hrs?|u|dagen|dag|days?)\s+"
    r"(geleden|ago)\b", re.IGNORECASE)
# "13 januari", "13 jan." (no year: the byline of a recent article)
_DM_TEXT = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th|e|ste|de)?\.?\s+(?:of\s+)?({_MONTH_RE})\b\.?(?!\s*,?\s*(?:19|20)\d\d)",
    re.IGNORECASE)
_MD_TEXT = re.compile(
    rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*,?\s*(?:19|20)\d\d)(?![:.]\d)",
    re.IGNORECASE)
LOCAL_ZONES = {"nl": "Europe/Amsterdam", "en": "Europe/London"}


def fetch_moment(fetched_at: str | datetime | None, lang: str | None = None) -> datetime:
    """The fetch time as an aware datetime in the publisher's likely zone (Dutch pages:
    Amsterdam), so "gisteren" at 00:30 local time is the right day."""
    when: datetime | None = None
    if isinstance(fetched_at, datetime):
        when = fetched_at
    elif fetched_at:
        try:
            when = datetime.fromisoformat(str(fetched_at).replace("Z", "+00:00"))
        except ValueError:
            when = None
    when = when or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    zone = LOCAL_ZONES.get(lang or "")
    if zone:
        try:
            from zoneinfo import ZoneInfo

            when = when.astimezone(ZoneInfo(zone))
        except Exception:  # no tz database: stay in UTC
            pass
    return when


def relative_date(text: str, fetched_at: str | datetime | None = None,
                  lang: str | None = None) -> tuple[str, str] | None:
    """ "gisteren", "yesterday", "vandaag", "3 uur geleden", "2 days ago" → the day,
    counted back from the fetch time."""
    now = fetch_moment(fetched_at, lang)
    best: tuple[int, date] | None = None
    m = _RELATIVE_DAY.search(text)
    if m:
        back = {"eergisteren": 2, "gisteren": 1, "yesterday": 1}.get(m.group(1).lower(), 0)
        best = (m.start(), (now - timedelta(days=back)).date())
    m = _RELATIVE_AGO.search(text)
    if m and (best is None or m.start() < best[0]):
        raw = m.group(1).lower()
        n = int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw, 1)
        unit = m.group(2).lower()
        delta = (timedelta(minutes=n) if unit.startswith("min") else
                 timedelta(days=n) if unit.startswith(("dag", "day")) else timedelta(hours=n))
        best = (m.start(), (now - delta).date())
    return (best[1].isoformat(), "day") if best else None


def yearless_date(text: str, fetched_at: str | datetime | None = None,
                  lang: str | None = None) -> tuple[str, str] | None:
    """ "13 januari", "Jan 13" → that day in the fetch year (or the year before when it
    would lie in the future)."""
    now = fetch_moment(fetched_at, lang).date()
    found: list[tuple[int, int, int]] = []
    for m in _DM_TEXT.finditer(text):
        found.append((m.start(), MONTHS[m.group(2).lower()], int(m.group(1))))
    for m in _MD_TEXT.finditer(text):
        found.append((m.start(), MONTHS[m.group(1).lower()], int(m.group(2))))
    for _pos, month, day in sorted(found):
        for year in (now.year, now.year - 1):
            try:
                candidate = date(year, month, day)
            except ValueError:
                break
            if candidate <= now + timedelta(days=1):
                return candidate.isoformat(), "day"
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


def _people(value: Any) -> Any:
    """JSON-LD authors without organisations (``"author": {"@type": "Organization"}``
    names the publisher, not a writer)."""
    if isinstance(value, list):
        return [v for v in value if not (isinstance(v, dict) and "organization" in " ".join(
            _types(v)))]
    if isinstance(value, dict) and "organization" in " ".join(_types(value)):
        return None
    return value


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
    meta["jsonld_types"] = {t for o in objs for t in _types(o)}
    articles = [o for o in objs if _types(o) & ARTICLE_TYPES] or [
        o for o in objs if "datePublished" in o]
    for obj in articles:
        free = obj.get("isAccessibleForFree")
        if free is not None and "accessible_for_free" not in meta:
            meta["accessible_for_free"] = str(free).strip().lower() not in {"false", "0", "no"}
    for obj in articles:
        for key, field in (("datePublished", "published"), ("dateCreated", "published"),
                           ("dateModified", "modified")):
            if field not in meta and parse_date(obj.get(key)):
                meta[field] = parse_date(obj.get(key))
                if field == "published":
                    meta["published_source"] = "jsonld"
        people = _names(_people(obj.get("author")))
        if "authors" not in meta and people:
            meta["authors"] = people
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
    if tags.get("og:type"):
        meta["og_type"] = tags["og:type"].strip().lower()
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


def detect_lang(text: str) -> str | None:
    """The text's language by py3langid (None for short or unknown text)."""
    if not text or len(text) < 200:
        return None
    try:
        import py3langid
    except ImportError:
        return None
    code, _score = py3langid.classify(text[:3000])
    return code or None


_BYLINE_XPATH = (
    '//*[self::time or contains(@class, "date") or contains(@class, "byline") or '
    'contains(@class, "meta") or contains(@class, "publi") or contains(@id, "date") or '
    'contains(@class, "time")][not(ancestor::nav or ancestor::footer or ancestor::aside)]')


def _byline_text(tree: HtmlElement) -> str:
    texts = []
    for el in tree.xpath(_BYLINE_XPATH)[:20]:
        texts.append(" ".join(el.itertext()))
    return " | ".join(texts)[:3000]


_AUTHOR_PREFIX = re.compile(r"^\s*(?:(?:geschreven\s+)?door|by|van|text|tekst|redactie:)\s+",
                            re.IGNORECASE)
_NOT_A_NAME = re.compile(
    r"\d|\b(?:gepubliceerd|published|updated|bijgewerkt|geplaatst|posted|"
    r"gisteren|vandaag|yesterday|today|maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|"
    r"zondag|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.IGNORECASE)


def clean_author(name: str) -> str | None:
    """A person's name from a byline fragment ("Door Mark Visser · 13 jan" → "Mark
    Visser"); None when what is left is no name (a date, a label, a URL)."""
    name = _AUTHOR_PREFIX.sub("", re.sub(r"\s+", " ", name or "")).strip()
    name = re.split(r"\s*[·|•/–—]\s*|\s+-\s+|,\s*(?=\S*\d)", name)[0].strip(" ,;:")
    if not name or len(name) > 80 or name.startswith("http") or _NOT_A_NAME.search(name):
        return None
    return name


# -- body text ---------------------------------------------------------------------
SHORT_TEXT = 1000  # a precision-mode body shorter than this is retried in recall mode
RETRY_RATIO = 3.0  # ... and the retry is kept when it is at least this much longer
TRAFILATURA_ARGS = {"include_comments": False, "include_tables": True, "favor_precision": True}


def _date_params() -> dict[str, Any]:
    return {"original_date": True, "extensive_search": False,
            "max_date": (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")}


class PageMeta:
    """Trafilatura's own metadata heuristics (headline from h1/title, author from the
    byline, categories) and htmldate's date search, each run only when asked for: the
    page's JSON-LD and meta tags (``markup_metadata``) usually answer first."""

    def __init__(self, tree: HtmlElement, url: str) -> None:
        self.tree, self.url = tree, url

    def _call(self, name: str, *args: Any) -> Any:
        from trafilatura import metadata as tm

        try:
            return getattr(tm, name)(*args)
        except Exception:  # hostile markup or a changed helper: no answer
            return None

    @property
    def title(self) -> str | None:
        return self._call("extract_title", self.tree)

    @property
    def authors(self) -> list[str]:
        found = self._call("extract_author", self.tree)
        return [a.strip() for a in found.split(";") if a.strip()] if found else []

    @property
    def categories(self) -> list[str]:
        return self._call("extract_catstags", "category", self.tree) or []

    @property
    def date(self) -> str | None:
        from htmldate import find_date

        try:
            return find_date(self.tree, url=self.url, **_date_params())
        except Exception:
            return None


def extract_body(tree: HtmlElement, url: str, spec: Any = None) -> tuple[str, str]:
    """``(text, method)`` for a parsed page.

    1. the site's override (``crawler/sites.toml``): paragraph selectors, else
       trafilatura on the site's article container only;
    2. trafilatura in precision mode without comments;
    3. when that finds little (a teaser, a caption), trafilatura again in recall mode,
       kept when it finds at least ``RETRY_RATIO`` times more.
    """
    from trafilatura import bare_extraction

    if spec is not None:
        from crawler import sites

        text = sites.body_text(tree, spec)
        if text:
            return text, "site"
        box = sites.container(tree, spec)
        if box is not None:
            doc = bare_extraction(box, url=url, **TRAFILATURA_ARGS)
            text = (doc.text or "").strip() if doc is not None else ""
            if len(text) >= spec.min_chars:
                return text, "site-container"
    doc = bare_extraction(tree, url=url, **TRAFILATURA_ARGS)
    text = (doc.text or "").strip() if doc is not None else ""
    method = "trafilatura"
    if len(text) < SHORT_TEXT:
        retry = bare_extraction(tree, url=url, include_comments=False, include_tables=True,
                                favor_recall=True)
        more = (retry.text or "").strip() if retry is not None else ""
        if len(more) >= RETRY_RATIO * max(len(text), 1) and len(more) >= 100:
            text, method = more, "trafilatura-recall"
    return text, method


# -- the article ---------------------------------------------------------------
def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode page bytes using the HTTP charset, BOM or ``<meta charset>`` (in that
    order; latin-1 declarations are read as windows-1252, as browsers do)."""
    encoding, text = html_to_unicode(content_type, body)
    return text, encoding


def _looks_binary(text: str) -> bool:
    head = text[:1024]
    return head.lstrip().startswith("%PDF") or head.count("\x00") > 2


def published_date(
    meta: dict[str, Any], site_meta: dict[str, Any], *, feed_date: str | None, urls: list[str],
    text: str, tree: HtmlElement | None, lang: str | None, fetched_at: str | None,
    fallback: Any = None,
) -> tuple[tuple[str, str] | None, str | None]:
    """The publication date and where it came from: JSON-LD → the site's spec →
    ``<meta>``/``<time>`` → the feed → the URL → the text (written dates in the first
    lines, then the byline incl. "gisteren"/"3 hours ago" against the fetch time and
    dates without a year) → trafilatura's guess (htmldate)."""
    if meta.get("published") and meta.get("published_source") == "jsonld":
        return meta["published"], "jsonld"
    for value in site_meta.get("dates", []):
        found = parse_date(value) or (
            relative_date(value, fetched_at, lang) or yearless_date(value, fetched_at, lang))
        if found:
            return found, "site"
    if meta.get("published"):
        return meta["published"], meta.get("published_source") or "meta"
    if feed_date and parse_date(feed_date):
        return parse_date(feed_date), "feed"
    for url in urls:
        found = url_date(url)
        if found:
            return found, "url"
    found = find_text_date(text[:800], lang) if text else None
    if found:
        return found, "text"
    if tree is not None:
        byline = _byline_text(tree)
        found = (find_text_date(byline, lang) or relative_date(byline, fetched_at, lang)
                 or yearless_date(byline, fetched_at, lang))
        if found:
            return found, "text"
    guess = fallback() if callable(fallback) else fallback
    if guess and parse_date(guess):
        return parse_date(guess), "htmldate"
    return None, None


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
    fetched_at: str | None = None,
    status: int | None = None,
) -> dict[str, Any]:
    """Turn one fetched page into an article dict (store columns + a few extras).

    ``url`` is the final URL of the page, ``request_url`` the link that led there
    (before redirects), ``feed_date``/``feed_title`` what the feed or sitemap said,
    ``fetched_at`` when it was fetched (for "gisteren"/"yesterday"). Never raises on
    bad HTML: pages that are not articles (consent walls, paywall teasers, error
    pages, tag pages, ...) come back with ``kind="not_article"`` and a ``reason``
    (``crawler.quality``). Extras beyond the store columns: ``published_source``,
    ``extraction`` (which extractor gave the text).
    """
    from trafilatura.utils import load_html

    from crawler import quality, sites

    if isinstance(html, bytes):
        text_html, encoding = decode_html(html, content_type)
    else:
        text_html, encoding = html, "utf-8"
    tree = None
    if text_html.strip() and not _looks_binary(text_html):
        try:
            tree = load_html(text_html)
        except Exception:  # lxml on hostile markup
            tree = None
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
        "extraction": None,
    }
    spec = sites.site_for(url) if tree is not None else None
    site_meta = sites.metadata(tree, spec) if spec is not None else {}
    doc: PageMeta | None = None
    text = ""
    error = None
    if tree is not None:
        try:
            text, out["extraction"] = extract_body(tree, url, spec)
            doc = PageMeta(tree, url)
        except Exception as exc:  # trafilatura on hostile markup; keep the page
            error = exc.__class__.__name__
    out["text"] = text or None
    title = (site_meta.get("title") or meta.get("title") or meta.get("og_title")
             or (doc.title if doc is not None else None) or feed_title)
    out["title"] = re.sub(r"\s+", " ", title).strip() if title else None
    authors = site_meta.get("authors") or meta.get("authors") or (
        doc.authors if doc is not None else [])
    out["authors"] = list(dict.fromkeys(filter(None, (clean_author(a) for a in authors))))

    declared = _lang_code(meta.get("lang"))
    out["lang"] = declared or lang_hint or detect_lang(text)
    published, how = published_date(
        meta, site_meta, feed_date=feed_date, urls=[u for u in (request_url, url) if u],
        text=text, tree=tree, lang=out["lang"], fetched_at=fetched_at,
        fallback=(lambda: doc.date) if doc is not None else None)
    if published:
        out["published"], out["published_precision"] = published
        out["published_source"] = how
    if meta.get("modified"):
        out["modified"] = meta["modified"][0]
    out["section"] = site_meta.get("section") or meta.get("section") or next(
        iter(doc.categories if doc is not None else []), None)
    image = meta.get("image")
    out["image"] = urljoin(url, image) if image else None

    out["kind"], out["reason"] = quality.classify(quality.PageFacts(
        url=url, text=text, title=out["title"] or "", tree=tree, status=status,
        jsonld_types=meta.get("jsonld_types") or set(), og_type=meta.get("og_type") or "",
        accessible_for_free=meta.get("accessible_for_free"), extraction_error=error))
    return out
