"""Tolerant XML parsing for feeds and sitemaps (namespace-agnostic, no network,
no entity expansion), and reading a body that may be compressed, at most so many
decompressed bytes.

Hostile XML is refused, never expanded, and the refusal says why
(:class:`XmlRefused`, with a name from ``crawler.reasons``): a document type that
declares an external entity (XXE) or entities that expand into other entities
(billion laughs), or a parse libxml2 stopped at its entity-amplification or other
resource limit. A DTD without entity declarations (RSS 0.91's public DOCTYPE) is
fine: it is never loaded.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Iterable, Iterator

from lxml import etree

CHUNK = 64 * 1024
_SAFE = {"recover": True, "resolve_entities": False, "no_network": True, "load_dtd": False,
         "remove_comments": True, "huge_tree": False}
# An entity value that refers to another (general or parameter) entity: the shape of
# an expansion bomb.
_ENTITY_REF = re.compile(r"[&%][A-Za-z_:][\w.:-]*;")


class XmlRefused(Exception):
    """Hostile or over-limit XML; ``reason`` is a ``crawler.reasons`` name."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def check_doctype(root: etree._Element) -> None:
    """Raise :class:`XmlRefused` when the document's internal DTD declares an
    external entity or an entity whose value refers to other entities."""
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is None:
        return
    nested = None
    for entity in dtd.entities():
        if entity.system_url is not None or (entity.content is None and entity.orig is None):
            raise XmlRefused("xml_external_entity",
                             f"entity {entity.name!r} refers to {entity.system_url!r}")
        if nested is None and _ENTITY_REF.search(entity.orig or entity.content or ""):
            nested = entity.name
    if nested is not None:
        raise XmlRefused("xml_entity_bomb", f"entity {nested!r} expands into other entities")


def check_errors(error_log: etree._ListErrorLog) -> None:
    """Raise :class:`XmlRefused` when libxml2 stopped at one of its limits: entity
    amplification or an entity loop (a bomb), nesting, text or name size."""
    for error in error_log:
        if error.type == etree.ErrorTypes.ERR_ENTITY_LOOP or (
                error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT
                and "entit" in error.message.lower()):
            raise XmlRefused("xml_entity_bomb", error.message.strip())
        if error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
            raise XmlRefused("xml_resource_limit", error.message.strip())


def parse_xml(body: bytes) -> etree._Element | None:
    """The root element of ``body``, or None when it is not XML at all; raises
    :class:`XmlRefused` for hostile XML."""
    body = body.lstrip()
    if not body.startswith(b"<"):
        return None
    parser = etree.XMLParser(**_SAFE)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        check_errors(parser.error_log)
        return None
    if root is None:
        check_errors(parser.error_log)
        return None
    check_doctype(root)
    check_errors(parser.error_log)
    return root


# -- bodies, compressed or not, at most max_bytes ---------------------------------------
def _slices(body: bytes) -> Iterator[bytes]:
    view = memoryview(body)
    for start in range(0, len(body), CHUNK):
        yield bytes(view[start:start + CHUNK])


def _decompress(chunks: Iterable[bytes], wbits: int) -> Iterator[bytes]:
    """Decompressed ``chunks``, CHUNK bytes at most at a time (so a bomb never
    inflates in memory); a truncated or corrupt stream ends where it breaks.
    Concatenated gzip members are read one after the other."""
    d = zlib.decompressobj(wbits)
    for data in chunks:
        while data:
            try:
                out = d.decompress(data, CHUNK)
            except zlib.error:
                return
            if out:
                yield out
            data = d.unconsumed_tail
            if d.eof:
                rest = d.unused_data.lstrip(b"\0")
                if wbits & 16 and rest[:2] == b"\x1f\x8b":  # another gzip member
                    d, data = zlib.decompressobj(wbits), rest
                    continue
                return
    try:
        tail = d.flush()
    except zlib.error:
        return
    if tail:
        yield tail


def _peek(chunks: Iterator[bytes]) -> tuple[bytes, Iterator[bytes]]:
    for first in chunks:
        if first:
            return first, chunks
    return b"", chunks


class Body:
    """The bytes of a response body in chunks: decoded from its ``Content-Encoding``
    (gzip, deflate) when given, then gunzipped when it is a ``.gz`` file itself, at
    most ``max_bytes`` of them; ``truncated`` once more were left unread.

    When it truncates, the data ends after the last match of ``boundary`` (say the
    end tag of a sitemap's ``<url>``) in its last CHUNK bytes or more, so the
    recovering parser sees no entry cut in half (a link cut short would be requested
    as it is)."""

    def __init__(self, body: bytes, max_bytes: int, content_encoding: str | None = None,
                 boundary: re.Pattern[bytes] | None = None) -> None:
        self.body = body
        self.max_bytes = max_bytes
        self.encoding = (content_encoding or "").strip().lower()
        self.boundary = boundary
        self.truncated = False
        self.read = 0

    def _decoded(self) -> Iterator[bytes]:
        chunks: Iterator[bytes] = _slices(self.body)
        if self.encoding in {"gzip", "x-gzip"}:
            chunks = _decompress(chunks, 16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":  # zlib-wrapped, or raw deflate (old IIS)
            first, chunks = _peek(chunks)
            wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and (
                first[0] << 8 | first[1]) % 31 == 0
            chunks = _decompress(iter([first, *chunks]) if first else chunks,
                                 zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        first, chunks = _peek(chunks)
        if first[:2] == b"\x1f\x8b":
            return _decompress(itertools.chain([first], chunks), 16 + zlib.MAX_WBITS)
        return itertools.chain([first], chunks) if first else iter(())

    def _capped(self) -> Iterator[bytes]:
        for chunk in self._decoded():
            room = self.max_bytes - self.read
            if len(chunk) > room:
                self.truncated = True
                self.read += room
                if room:
                    yield chunk[:room]
                return
            self.read += len(chunk)
            yield chunk

    def __iter__(self) -> Iterator[bytes]:
        pending = b""  # the last CHUNK bytes at least, kept back until the end is known
        for chunk in self._capped():
            pending += chunk
            if len(pending) >= 2 * CHUNK:
                yield pending[:-CHUNK]
                pending = pending[-CHUNK:]
        if self.truncated and self.boundary is not None:
            ends = [m.end() for m in self.boundary.finditer(pending)]
            pending = pending[:ends[-1]] if ends else b""
        if pending:
            yield pending

    def bytes(self) -> bytes:
        return b"".join(self)


class _Reader:
    """A file-like object over byte chunks, for ``etree.iterparse``."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


def _xml_chunks(chunks: Iterable[bytes]) -> Iterator[bytes] | None:
    """``chunks`` from the first non-blank byte, or None when that is no ``<``."""
    it = iter(chunks)
    for chunk in it:
        chunk = chunk.lstrip()
        if chunk:
            if not chunk.startswith(b"<"):
                return None
            return itertools.chain([chunk], it)
    return None


def iter_children(chunks: Iterable[bytes]) -> Iterator[etree._Element]:
    """Stream a document: its root element first (children not parsed yet), then each
    complete child of the root, cleared from the tree once the caller has had it, so
    memory stays flat however long the document (libxml2 in recovery mode delivers
    the elements after a syntax error only at the end, but still within the byte cap
    of ``chunks``). Raises :class:`XmlRefused` for hostile XML; yields nothing when
    ``chunks`` are not XML."""
    stream = _xml_chunks(chunks)
    if stream is None:
        return
    events = etree.iterparse(_Reader(stream), events=("start", "end"), **_SAFE)
    root = None
    depth = 0
    try:
        for event, el in events:
            if event == "start":
                depth += 1
                if root is None:
                    root = el
                    check_doctype(root)
                    yield root
                continue
            depth -= 1
            if depth == 1:
                yield el
                el.clear()
                while el.getprevious() is not None:
                    del root[0]
    except etree.XMLSyntaxError:
        pass  # what was read stands; limits hit are in the error log
    check_errors(events.error_log)


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
