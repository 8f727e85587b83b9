"""Tolerant XML parsing for feeds and sitemaps (namespace-agnostic, no network,
no entity expansion)."""

from __future__ import annotations

from lxml import etree

_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True,
                          remove_comments=True, huge_tree=False)


def parse_xml(body: bytes) -> etree._Element | None:
    """The root element of ``body``, or None when it is not XML at all."""
    body = body.lstrip()
    if not body.startswith(b"<"):
        return None
    try:
        root = etree.fromstring(body, parser=_PARSER)
    except etree.XMLSyntaxError:
        return None
    return root


def local(el: etree._Element) -> str:
    """The element's tag without namespace, lower-cased."""
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1].lower()


def child_text(el: etree._Element, *names: str) -> str | None:
    """Text of the first child whose local name is one of ``names`` (in that order)."""
    wanted = {n.lower() for n in names}
    found: dict[str, str] = {}
    for child in el:
        name = local(child)
        if name in wanted and name not in found:
            text = "".join(child.itertext()).strip()
            if text:
                found[name] = text
    for name in names:
        if name.lower() in found:
            return found[name.lower()]
    return None
