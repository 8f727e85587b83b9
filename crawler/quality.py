"""Is this page an article? Pure: page facts in, ``(kind, reason)`` out.

Researchers count articles per day; a cookie wall, a paywall teaser, a login form,
an error page served with 200 or a tag page counted as an article corrupts that.
Each is recognised here and stored with ``kind = "not_article"`` and a reason
``"<code>: <detail>"`` (codes: :data:`REASONS`), so it is kept (the raw HTML may be
reprocessed later) but neither indexed nor analysed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement

MIN_ARTICLE_CHARS = 250  # less main text than this: not an article

REASONS = {
    "empty_page": "nothing to parse",
    "extraction_failed": "the extractor gave up on the markup",
    "soft_404": "an error page served with HTTP 200",
    "consent_wall": "a cookie/consent wall instead of the article",
    "login_page": "a login form instead of the article",
    "paywall": "a subscriber-only teaser",
    "listing_page": "a tag, section, search or archive page",
    "no_text": "no main text found",
    "too_short": "too little main text",
}

# Phrases are matched on lower-cased, whitespace-normalised page text.
CONSENT_PHRASES = (
    # Dutch
    "cookiewall", "cookie wall", "accepteer cookies", "cookies accepteren",
    "akkoord met cookies", "toestemming voor cookies", "ga akkoord en lees verder",
    "om verder te gaan, ga akkoord", "accepteer en ga verder", "jouw privacykeuzes",
    "wij vragen je toestemming", "we vragen je toestemming", "je privacy-instellingen",
    "geef toestemming", "u moet cookies accepteren", "accepteer alle cookies",
    # English
    "we value your privacy", "accept all cookies", "accept cookies to continue",
    "before you continue", "manage your privacy choices", "consent to the use of cookies",
    "we and our partners use cookies", "we need your consent", "your privacy choices",
    "agree and continue", "accept and continue",
)
CONSENT_URL = re.compile(
    r"(^|\.)(consent|cookies?|privacy|myprivacy|cmp|privacy-gate)\.|/(consent|cookiewall|"
    r"cookie-wall|privacy-gate|privacygate|cookie-consent|cookies?)(/|$|\?)", re.IGNORECASE)
PAYWALL_PHRASES = (  # the text stops here for non-subscribers
    # Dutch
    "alleen voor abonnees", "lees verder met", "om verder te lezen", "om dit artikel te lezen",
    "dit artikel is exclusief voor", "exclusief voor abonnees", "log in of word abonnee",
    "dit is een premium artikel", "dit artikel is alleen beschikbaar voor",
    "lees dit artikel met", "de rest van dit artikel",
    # English
    "subscribe to continue reading", "subscribe to read", "subscribers only",
    "for subscribers only", "this article is for subscribers", "exclusive to subscribers",
    "to continue reading", "this content is for subscribers", "the rest of this article",
    "to read the full article",
)
PAYWALL_WEAK = (  # subscription pitches that also sit under free articles
    "word abonnee", "neem een abonnement", "premium-artikel", "already a subscriber",
    "become a subscriber", "subscribe now", "start your subscription",
)
LOGIN_PHRASES = (
    "inloggen", "log in", "login", "aanmelden", "sign in", "log on", "wachtwoord vergeten",
    "forgot password", "forgot your password",
)
ERROR_TITLES = re.compile(
    r"\b404\b|^error\b|\b410 gone\b|page not found|pagina niet gevonden|^not found$|"
    r"^niet gevonden$|pagina bestaat niet|page does not exist|could not be found|"
    r"kon niet worden gevonden|kan niet worden gevonden|no longer (exists|available)|"
    r"er is iets misgegaan|something went wrong|^oops|foutpagina|error page",
    re.IGNORECASE)
LISTING_SEGMENTS = {
    "tag", "tags", "topic", "topics", "onderwerp", "onderwerpen", "thema", "themas",
    "category", "categories", "categorie", "rubriek", "author", "authors", "auteur",
    "auteurs", "search", "zoeken", "zoek", "archive", "archief", "page", "pagina",
    "section", "sections", "dossier", "dossiers", "trefwoord", "label", "labels",
}
LISTING_TYPES = {"collectionpage", "itemlist", "searchresultspage", "profilepage"}
ARTICLE_TYPES = {"article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle",
                 "blogposting", "report", "opinionnewsarticle", "backgroundnewsarticle",
                 "liveblogposting", "techarticle", "scholarlyarticle"}


@dataclass
class PageFacts:
    """What :func:`classify` looks at. ``tree`` may be None (empty page)."""

    url: str
    text: str = ""  # the extracted main text
    title: str = ""
    tree: HtmlElement | None = None
    status: int | None = None
    jsonld_types: set[str] = field(default_factory=set)
    og_type: str = ""
    accessible_for_free: bool | None = None  # JSON-LD isAccessibleForFree
    extraction_error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip().lower()


def _page_text(tree: HtmlElement | None) -> str:
    if tree is None:
        return ""
    body = tree.find(".//body")
    root = body if body is not None else tree
    parts = []
    for node in root.iter():
        if not isinstance(node.tag, str) or node.tag in {"script", "style", "noscript",
                                                         "template"}:
            if node.tail:
                parts.append(node.tail)
            continue
        if node.text:
            parts.append(node.text)
        if node.tail:
            parts.append(node.tail)
    return _norm(" ".join(parts))


def _first(phrases: tuple[str, ...], text: str) -> str | None:
    for phrase in phrases:
        if phrase in text:
            return phrase
    return None


def _headings(tree: HtmlElement | None) -> str:
    if tree is None:
        return ""
    found = tree.xpath("//h1")
    return _norm(" ".join(" ".join(h.itertext()) for h in found[:2]))


def _has_password_field(tree: HtmlElement | None) -> bool:
    return tree is not None and bool(tree.xpath('//input[translate(@type, "PASSWORD", '
                                                '"password")="password"]'))


def link_text_share(tree: HtmlElement | None, text: str) -> tuple[float, int]:
    """Share of the main text's lines that are link texts (teasers), and the number of
    headline-like links (anchor text of 25+ chars) on the page."""
    if tree is None or not text:
        return 0.0, 0
    anchors = set()
    headline_links = 0
    for a in tree.iter("a"):
        label = _norm(" ".join(a.itertext()))
        if len(label) >= 3:
            anchors.add(label)
        if len(label) >= 25 and a.get("href"):
            headline_links += 1
    lines = [_norm(line).lstrip("-•* ") for line in text.split("\n") if line.strip()]
    total = sum(len(line) for line in lines) or 1
    linked = sum(len(line) for line in lines if line in anchors)
    return linked / total, headline_links


def _listing_segment(url: str) -> str | None:
    parts = [p.lower() for p in urlsplit(url).path.split("/") if p]
    for i, part in enumerate(parts):
        if part in LISTING_SEGMENTS and (i < len(parts) - 1 or part in {"search", "zoeken",
                                                                        "archief", "archive"}):
            return part
    query = urlsplit(url).query.lower()
    if re.search(r"(^|&)(q|query|s|search|zoek|tag)=", query):
        return "search"
    return None


def classify(facts: PageFacts) -> tuple[str, str | None]:
    """``("article", None)`` or ``("not_article", "<code>: <detail>")``."""
    if facts.tree is None:
        return "not_article", "empty_page: empty or unparsable page"
    if facts.extraction_error:
        return "not_article", f"extraction_failed: {facts.extraction_error}"
    text = facts.text or ""
    n = len(text)
    title = _norm(facts.title)
    heads = _headings(facts.tree)
    is_article_type = bool(facts.jsonld_types & ARTICLE_TYPES) or facts.og_type == "article"
    page = None  # the page's visible text, computed when needed

    # an error page served with 200: error title or heading, little text
    if n < 1500:
        for where, label in (("title", title), ("heading", heads)):
            m = ERROR_TITLES.search(label)
            if m:
                return "not_article", f"soft_404: '{m.group(0).lower()}' in the {where}"

    # a consent wall: redirected to a consent host/path, or consent text with no article
    final = urlsplit(facts.url)
    if CONSENT_URL.search(final.netloc) or CONSENT_URL.search(final.path):
        return "not_article", f"consent_wall: consent URL {final.netloc}{final.path}"
    if n < 1500:
        page = _page_text(facts.tree)
        phrase = _first(CONSENT_PHRASES, _norm(text)) or (
            _first(CONSENT_PHRASES, page) if n < MIN_ARTICLE_CHARS * 2 else None)
        if phrase:
            return "not_article", f"consent_wall: '{phrase}'"

    # a login form instead of content
    if n < 1000 and _has_password_field(facts.tree):
        phrase = _first(LOGIN_PHRASES, f"{title} {heads}")
        if phrase or n < MIN_ARTICLE_CHARS:
            return "not_article", f"login_page: password form{f' ({phrase!r})' if phrase else ''}"

    # a paywall teaser: subscriber phrase (or isAccessibleForFree=false) and a short text
    if n < 2000:
        page = page if page is not None else _page_text(facts.tree)
        phrase = _first(PAYWALL_PHRASES, page) or (
            _first(PAYWALL_WEAK, page) if n < 800 else None)
        if phrase:
            return "not_article", f"paywall: '{phrase}'"
        if facts.accessible_for_free is False and n < 1200:
            return "not_article", "paywall: isAccessibleForFree is false"

    # a tag, section, search or archive page
    if not is_article_type:
        share, links = link_text_share(facts.tree, text)
        if facts.jsonld_types & LISTING_TYPES:
            kind = sorted(facts.jsonld_types & LISTING_TYPES)[0]
            return "not_article", f"listing_page: JSON-LD {kind}"
        segment = _listing_segment(facts.url)
        if segment and (share >= 0.3 or links >= 8):
            return "not_article", f"listing_page: /{segment}/ in the URL, {links} headline links"
        if share >= 0.5 and links >= 5:
            return "not_article", (f"listing_page: {share:.0%} of the text is links, "
                                   f"{links} headline links")

    if not text.strip():
        return "not_article", "no_text: no main text found"
    if n < MIN_ARTICLE_CHARS:
        return "not_article", f"too_short: {n} chars"
    return "article", None


def reason_code(reason: str | None) -> str | None:
    """``"paywall: 'word abonnee'"`` → ``"paywall"``."""
    return reason.split(":", 1)[0].strip() if reason else None
