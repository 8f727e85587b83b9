"""The topic prefilter: does a raw page mention the topic at all?

Run on the undecoded bytes of every archived HTML page before any parsing, so the
great majority of an archive (off-topic news) costs a lowercase and one scan. The
terms are the relevance cue data the NLP scores with (``nlp/data/cues.toml``,
``[relevance]``: ``strong``, ``strong_phrases``, ``sexual``, ``deep``), read once: a
page without any of them cannot reach the relevance threshold (a relevant article
states sexual imagery or a deepfake), so the filter keeps every relevant article.

The cue lists are token regexes (``nudif(y|ied|ies)``, ``porn[a-z]*``); each is
expanded to its literal spellings (an open ``[a-z]*`` tail becomes "this prefix, any
ending") and all of them go into one Aho-Corasick automaton (pyahocorasick), which
finds every occurrence in one pass over the page, lowercased as ASCII. A hit counts
at token boundaries only (a letter or digit on neither side, like the tokens the
relevance model reads), so "sex" does not fire inside "Sussex".
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

try:  # Python 3.11+: the regex parser moved
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]

CUES_FILE = Path(__file__).resolve().parents[2] / "nlp" / "data" / "cues.toml"
LISTS = ("strong", "strong_phrases", "sexual", "deep", "ai")
MAX_SPELLINGS = 200  # per cue regex: a pattern that expands to more is a data error

class CueError(ValueError):
    """A cue regex the prefilter cannot expand to literal spellings."""


def _expand(items: Any) -> list[tuple[str, bool]]:
    """(literal, open_end) spellings of a parsed regex sequence."""
    out: list[tuple[str, bool]] = [("", False)]

    def join(tails: list[tuple[str, bool]]) -> None:
        nonlocal out
        new = []
        for head, head_open in out:
            for tail, tail_open in tails:
                if head_open:  # anything after an open tail is covered by the prefix
                    new.append((head, True))
                else:
                    new.append((head + tail, tail_open))
        out = list(dict.fromkeys(new))
        if len(out) > MAX_SPELLINGS:
            raise CueError("too many spellings")

    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            join([(chr(arg), False)])
        elif name == "IN":
            chars: list[str] = []
            for kind, value in arg:
                if str(kind) == "LITERAL":
                    chars.append(chr(value))
                elif str(kind) == "RANGE":
                    lo, hi = value
                    if hi - lo > 40:
                        raise CueError("a wide character range")
                    chars.extend(chr(c) for c in range(lo, hi + 1))
                else:
                    raise CueError(f"class item {kind}")
            join([(c, False) for c in chars])
        elif name == "SUBPATTERN":
            join(_expand(arg[-1]))
        elif name == "BRANCH":
            alts: list[tuple[str, bool]] = []
            for branch in arg[1]:
                alts.extend(_expand(branch))
            join(alts)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            lo, hi, sub = arg
            body = _expand(sub)
            if hi == sre_parse.MAXREPEAT:
                if lo == 0:  # x* : whatever follows is open
                    join([("", True)])
                    continue
                hi = lo  # x+ : at least lo, then open
                reps = [_repeat(body, lo)]
                join([(s, True) for s, _ in reps[0]])
                continue
            if hi - lo > 3:
                raise CueError("a long repeat")
            alts = []
            for n in range(lo, hi + 1):
                alts.extend(_repeat(body, n))
            join(alts)
        elif name == "ANY":
            join([("", True)])
        else:
            raise CueError(f"regex element {name}")
    return out


def _repeat(body: list[tuple[str, bool]], n: int) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = [("", False)]
    for _ in range(n):
        out = [(h if ho else h + t, ho or to) for h, ho in out for t, to in body]
    return out


def spellings(pattern: str) -> list[tuple[str, bool]]:
    """The literal spellings of one cue regex: ``[("nudify", False), ...]``, the flag
    True where any ending may follow (``porn[a-z]*`` gives ``("porn", True)``)."""
    try:
        parsed = sre_parse.parse(pattern.lower())
    except re.error as exc:
        raise CueError(f"cue {pattern!r} is not a valid regex: {exc}") from None
    try:
        found = _expand(list(parsed))
    except CueError as exc:
        raise CueError(f"cue {pattern!r} cannot be a prefilter term ({exc})") from None
    return [(s, o) for s, o in found if s]


def load_terms(path: Path | None = None, lists: Iterable[str] = LISTS,
               skip: Iterable[str] = ()) -> list[tuple[str, bool]]:
    """Every literal spelling of the ``[relevance]`` cue lists named in ``lists``,
    less the spellings in ``skip``."""
    data = tomllib.loads((path or CUES_FILE).read_text(encoding="utf-8"))
    section = data.get("relevance") or {}
    left_out = set(skip)
    terms: dict[str, bool] = {}
    for name in lists:
        for pattern in section.get(name) or []:
            for text, open_end in spellings(pattern):
                if not text.isascii():  # the pages are scanned as ASCII-lowercased bytes
                    text = text.encode("utf-8").decode("latin-1")
                if text in left_out:
                    continue
                terms[text] = terms.get(text, False) or open_end
    return sorted(terms.items())


# What a hit says: a strong cue alone is enough; otherwise sexual imagery needs an AI or
# deepfake cue beside it, and a manipulation cue ("altered", "synthesised") an AI one.
STRONG, SEXUAL, DEEP, AI = 1, 2, 4, 8
GROUPS = {"strong": STRONG, "strong_phrases": STRONG, "sexual": SEXUAL, "deep": DEEP, "ai": AI}
# Words of the ``ai`` list that name no AI on their own and fill every news page's
# menus and teasers ("apps", "tools", "intelligence agencies"); the AI cue of the
# co-occurrence rule is any other word of that list ("ai", "grok", "chatbot",
# "artificial", "kunstmatige", "gegenereerd", "ai-generated", "deepfake", ...).
GENERIC_AI = frozenset({
    "app", "apps", "tool", "tools", "software", "algorithm", "fake", "nep", "generate",
    "generated", "generating", "generative", "generator", "intelligence", "intelligentie",
})


def passes(found: int) -> bool:
    """The rule over the groups found (bit mask of :data:`GROUPS`)."""
    return bool(found & STRONG) or (
        bool(found & SEXUAL) and bool(found & (DEEP | AI))) or (
        bool(found & DEEP) and bool(found & AI))


def _table() -> bytes:
    """Byte translation: ASCII letters lowercased, digits and non-ASCII bytes kept (they
    continue a word), every other byte a space (a token boundary)."""
    out = bytearray(range(256))
    for c in range(256):
        ch = chr(c)
        if c >= 0x80 or (ch.isascii() and ch.isalnum()):
            out[c] = ord(ch.lower()) if c < 0x80 else c
        else:
            out[c] = 0x20
    return bytes(out)


_TABLE = _table()


def normalise(text: str) -> str:
    """A term spelt as the scanned page is: separators (``-``, ``'``, ``.``) as spaces,
    runs of spaces as one."""
    data = text.encode("latin-1").translate(_TABLE).decode("latin-1")
    return " ".join(data.split())


class Prefilter:
    """``Prefilter().match(page_bytes)``: the topic terms that let the page through
    (a tuple), or None. Compiled once per process (:func:`default_prefilter`).

    The page is scanned once as translated bytes (ASCII lowercased, every byte that
    is no letter or digit a space); each term is looked up with a space before it and,
    unless any ending may follow, after it, so the automaton only ever reports hits at
    token boundaries. Hits count only in the page's text: not inside a tag
    (attributes, URLs) and not in ``<script>``/``<style>`` blocks (a relevant article's
    words are always in its text too)."""

    def __init__(self, path: Path | None = None) -> None:
        import ahocorasick

        masks: dict[str, int] = {}
        for name, bit in GROUPS.items():
            skip = GENERIC_AI if name == "ai" else ()
            for text, open_end in load_terms(path, [name], skip):
                key = " " + normalise(text) + ("" if open_end else " ")
                masks[key] = masks.get(key, 0) | bit
        self.terms = sorted(k.strip() for k in masks)
        automaton = ahocorasick.Automaton()
        for key, mask in masks.items():
            automaton.add_word(key, (len(key), mask, key.strip()))
        automaton.make_automaton()
        self._automaton = automaton

    def match(self, page: bytes) -> tuple[str, ...] | None:
        text = b" " + page.translate(_TABLE) + b" "
        found = 0
        terms: list[str] = []
        lower: bytes | None = None
        blocks: list[tuple[int, int]] = []
        for end, (length, mask, term) in self._automaton.iter(text.decode("latin-1")):
            if not mask & ~found:
                continue  # nothing this hit could add
            start = end - length + 1  # the space before the term: page offset of the term
            if page.rfind(b"<", 0, start) > page.rfind(b">", 0, start):
                continue  # inside a tag
            if lower is None:
                lower = page.lower()
                blocks = _code_blocks(lower)
            if blocks and _inside(blocks, start):
                continue
            found |= mask
            terms.append(term)
            if passes(found):
                return tuple(terms)
        return None

    def __call__(self, page: bytes) -> bool:
        return self.match(page) is not None


def _code_blocks(text: bytes) -> list[tuple[int, int]]:
    """(start, end) of every ``<script>`` and ``<style>`` element, in order."""
    out: list[tuple[int, int]] = []
    for tag in (b"<script", b"<style"):
        closing = b"</" + tag[1:]
        pos = text.find(tag)
        while pos >= 0:
            stop = text.find(closing, pos)
            stop = len(text) if stop < 0 else stop
            out.append((pos, stop))
            pos = text.find(tag, stop)
    out.sort()
    return out


def _inside(blocks: list[tuple[int, int]], pos: int) -> bool:
    from bisect import bisect_right

    i = bisect_right(blocks, (pos, len(blocks) and 1 << 62)) - 1
    return i >= 0 and blocks[i][0] <= pos < blocks[i][1]


@lru_cache(maxsize=1)
def default_prefilter() -> Prefilter:
    return Prefilter()
