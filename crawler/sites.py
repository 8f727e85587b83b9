"""Per-site extraction overrides kept as data (``crawler/sites.toml``).

A spec names the article body, headline, date, authors and section of one
publisher with CSS selectors, the way Fundus keeps one parser per publisher. It is
applied before trafilatura; anything it does not find falls back to the generic
extraction. Pure (no I/O beyond reading the spec file once).
"""

from __future__ import annotations

import copy
import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

SITES_FILE = Path(__file__).with_name("sites.toml")
LIST_KEYS = ("body", "container", "drop", "title", "date", "author", "section")
BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "dd",
              "dt", "div", "section", "figcaption", "tr"}


class SitesError(ValueError):
    """The sites file is malformed (one line)."""


@dataclass(frozen=True)
class SiteSpec:
    name: str
    domains: tuple[str, ...]
    body: tuple[str, ...] = ()
    container: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    title: tuple[str, ...] = ()
    date: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    section: tuple[str, ...] = ()
    min_chars: int = 200
    checked: str = ""
    _compiled: dict[str, tuple[CSSSelector, ...]] = field(default_factory=dict, compare=False,
                                                          repr=False)

    def selectors(self, key: str) -> tuple[CSSSelector, ...]:
        if key not in self._compiled:
            self._compiled[key] = tuple(CSSSelector(s) for s in getattr(self, key))
        return self._compiled[key]


def _spec(entry: dict[str, Any], where: str) -> SiteSpec:
    unknown = set(entry) - {"name", "domains", "min_chars", "checked", *LIST_KEYS}
    if unknown:
        raise SitesError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    name = entry.get("name")
    domains = entry.get("domains")
    if not isinstance(name, str) or not name:
        raise SitesError(f"{where}: 'name' is required")
    if not isinstance(domains, list) or not domains or not all(isinstance(d, str) for d in
                                                                domains):
        raise SitesError(f"{where} ({name}): 'domains' must be a non-empty list of host names")
    values: dict[str, Any] = {}
    for key in LIST_KEYS:
        value = entry.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SitesError(f"{where} ({name}): '{key}' must be a list of CSS selectors")
        for selector in value:
            try:
                CSSSelector(selector)
            except Exception as exc:  # cssselect's SelectorSyntaxError and friends
                raise SitesError(f"{where} ({name}): bad {key} selector {selector!r}: "
                                 f"{exc}") from None
        values[key] = tuple(value)
    return SiteSpec(name=name, domains=tuple(d.lower().lstrip(".") for d in domains),
                    min_chars=int(entry.get("min_chars", 200)),
                    checked=str(entry.get("checked", "")), **values)


def parse_sites(text: str, where: str = "sites") -> list[SiteSpec]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SitesError(f"{where}: {exc}") from None
    entries = data.get("site", [])
    if not isinstance(entries, list):
        raise SitesError(f"{where}: [[site]] entries expected")
    return [_spec(e, f"{where} [[site]] #{i + 1}") for i, e in enumerate(entries)]


@functools.cache
def load_sites(path: str | None = None) -> tuple[SiteSpec, ...]:
    file = Path(path) if path else SITES_FILE
    return tuple(parse_sites(file.read_text(encoding="utf-8"), str(file)))


def site_for(url: str, sites: tuple[SiteSpec, ...] | None = None) -> SiteSpec | None:
    """The spec whose domain matches the URL's host (or a parent domain of it)."""
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return None
    for spec in load_sites() if sites is None else sites:
        for domain in spec.domains:
            if host == domain or host.endswith("." + domain):
                return spec
    return None


# -- applying a spec -------------------------------------------------------------------
_WS = re.compile(r"[ \t\r\f\v\u00a0]+")


def _clean(text: str) -> str:
    lines = [_WS.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _block_text(el: HtmlElement) -> str:
    """Text of an element, one line per block-level descendant (its own tail excluded)."""
    parts: list[str] = []

    def walk(node: Any, root: bool = False) -> None:
        tail = None if root else node.tail
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if tag and tag not in {"script", "style", "noscript", "template"}:
            block = tag in BLOCK_TAGS
            if tag == "br" or block:
                parts.append("\n")
            if node.text:
                parts.append(node.text)
            for child in node:
                walk(child)
            if block:
                parts.append("\n")
        if tail:
            parts.append(tail)

    walk(el, root=True)
    return _clean("".join(parts))


def _without(el: HtmlElement, drops: set[Any]) -> HtmlElement:
    """``el`` itself, or a copy of it with the elements in ``drops`` removed."""
    inner = [d for d in el.iterdescendants() if d in drops]
    if not inner:
        return el
    clone = copy.deepcopy(el)
    tree = el.getroottree()
    base = tree.getpath(el)
    victims = [v for d in inner for v in clone.xpath("." + tree.getpath(d)[len(base):])]
    for victim in victims:  # resolved first: removing shifts sibling positions
        if victim.getparent() is not None:
            victim.drop_tree()
    clone.tail = None
    return clone


def _drop_set(tree: HtmlElement, spec: SiteSpec) -> set[Any]:
    drops: set[Any] = set()
    for sel in spec.selectors("drop"):
        drops.update(sel(tree))
    return drops


def _dropped(el: Any, drops: set[Any]) -> bool:
    return el in drops or any(a in drops for a in el.iterancestors())


def body_text(tree: HtmlElement, spec: SiteSpec) -> str | None:
    """The article body by the spec's paragraph selectors, or None (too little)."""
    if not spec.body:
        return None
    drops = _drop_set(tree, spec)
    for sel in spec.selectors("body"):
        found = [el for el in sel(tree) if not _dropped(el, drops)]
        chosen = set(found)
        lines = []
        for el in found:
            if any(a in chosen for a in el.iterancestors()):
                continue  # nested match: its text is in the ancestor's
            text = _block_text(_without(el, drops))
            if text:
                lines.append(text)
        text = "\n".join(lines)
        if len(text) >= spec.min_chars:
            return text
    return None


def container(tree: HtmlElement, spec: SiteSpec) -> HtmlElement | None:
    """A standalone document holding only the spec's article container (drops removed),
    for trafilatura to work on; None when no container has enough text."""
    if not spec.container:
        return None
    drops = _drop_set(tree, spec)
    for sel in spec.selectors("container"):
        for el in sel(tree):
            if _dropped(el, drops):
                continue
            kept = _without(el, drops)
            if len(" ".join(kept.itertext()).strip()) < spec.min_chars:
                continue
            doc = etree.Element("html")
            body = etree.SubElement(doc, "body")
            body.append(copy.deepcopy(kept) if kept is el else kept)
            return doc
    return None


def _first_text(tree: HtmlElement, selectors: tuple[CSSSelector, ...]) -> str | None:
    for sel in selectors:
        for el in sel(tree):
            text = _WS.sub(" ", " ".join(el.itertext())).strip()
            if text:
                return text
    return None


def metadata(tree: HtmlElement, spec: SiteSpec) -> dict[str, Any]:
    """Title, raw date value, authors and section by the spec's selectors."""
    out: dict[str, Any] = {}
    title = _first_text(tree, spec.selectors("title"))
    if title:
        out["title"] = title
    for sel in spec.selectors("date"):
        for el in sel(tree):
            value = el.get("datetime") or el.get("content") or el.get("data-datetime") or (
                _WS.sub(" ", " ".join(el.itertext())).strip())
            if value:
                out.setdefault("dates", []).append(value)
        if out.get("dates"):
            break
    authors: list[str] = []
    for sel in spec.selectors("author"):
        for el in sel(tree):
            name = _WS.sub(" ", " ".join(el.itertext())).strip()
            name = re.sub(r"^(?:by|door)\s+", "", name, flags=re.IGNORECASE)
            if name and len(name) < 120 and name not in authors:
                authors.append(name)
        if authors:
            break
    if authors:
        out["authors"] = authors
    section = _first_text(tree, spec.selectors("section"))
    if section and len(section) < 80:
        out["section"] = section
    return out
