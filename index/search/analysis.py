"""Text analysis for the SQLite search index, matching the Elasticsearch analysers.

Elasticsearch (index/es.py) analyses every title three ways (``toezicht_plain``:
lowercase + ASCII folding; ``toezicht_nl``: Snowball Dutch; ``toezicht_en``:
English possessive + Porter) and the body plainly plus in the article's language
(both when unknown), and a query word matches when any field's analysis of it
matches that field. The SQLite FTS5 index stores the same token streams,
analysed here in Python, one FTS5 column per (part, analysis), and FTS5's
``unicode61`` tokenizer (no stemming) only splits them on the spaces in between.

- tokens: runs of letters and digits, joined through ``.`` and apostrophes (and
  ``,``/``;`` between digits) as the standard tokenizer joins them (``musk's``,
  ``3.5``); in the analysed token that punctuation is ``ʼ``, a letter to FTS5
  that no query word contains (as no query word matches ``musk's`` in
  Elasticsearch);
- Dutch: Snowball's original Dutch stemmer (``dutch_porter`` in
  ``snowballstemmer`` 3, the one in Lucene's ``SnowballFilter`` + ``DutchStemmer``);
- English: ``'s`` dropped, then the original Porter stemmer (``porter``) with the
  two ways Lucene's ``PorterStemFilter`` differs from it: words of one or two
  letters are kept, and ``-logy``/``-logies`` become ``-log`` (step 2's LOGI rule);
- ASCII folding after stemming (NFKD without combining marks, plus the letters
  that do not decompose: ß, æ, ø, œ, ł, đ, þ).

Stop words are not removed (the plain field finds them in Elasticsearch too);
phrases containing a stop word can therefore still differ slightly.

:data:`VERSION` names this analysis; the SQLite index is rebuilt when the one
it was built with differs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

import snowballstemmer

VERSION = "snowball-1"  # bump whenever an analysed token stream changes
LANGS = ("nl", "en")
KINDS = ("plain", "nl", "en")
PLACEHOLDER = "0z0"  # a token whose analysis is empty (keeps positions aligned)
# letters/digits, joined through . ' ’ (and , ; between digits), as UAX#29 joins them
_WORD = re.compile(r"[^\W_]+(?:[.'’＇][^\W_]+|(?<=\d)[,;]\d+)*", re.UNICODE)
_JOINER = "ʼ"  # what a token's inner punctuation becomes: a letter to FTS5, in no query
_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d",
                          "þ": "th", "ð": "d", "ı": "i"})
_NL = snowballstemmer.stemmer("dutch_porter")
_EN = snowballstemmer.stemmer("porter")
_VOWELS = set("aeiou")


def fold(word: str) -> str:
    """ASCII folding of a lower-cased word (diacritics dropped)."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _measure(stem: str) -> int:
    """Porter's m: the number of vowel-consonant sequences in ``stem``."""
    m, prev_vowel = 0, False
    for i, c in enumerate(stem):
        vowel = c in _VOWELS or (c == "y" and i > 0 and stem[i - 1] not in _VOWELS)
        if prev_vowel and not vowel:
            m += 1
        prev_vowel = vowel
    return m


def stem_en(word: str) -> str:
    if word.endswith(("'s", "’s", "＇s")):
        word = word[:-2]
    if len(word) <= 2:
        return word
    stem = _EN.stemWord(word)
    if word.endswith(("logy", "logys", "logies", "logi")) and stem.endswith("logi") \
            and _measure(stem[:-4]) > 0:
        stem = stem[:-1]
    return stem


@lru_cache(maxsize=200_000)
def analyse_word(word: str, kind: str) -> str:
    """One token as a field of ``kind`` (plain, nl, en) indexes it."""
    lower = word.lower()
    if kind == "nl":
        lower = _NL.stemWord(lower)
    elif kind == "en":
        lower = stem_en(lower)
    return "".join(c if c.isalnum() else _JOINER for c in fold(lower)
                   if c.isalnum() or c in ".,;'’＇") or PLACEHOLDER


def words(text: str | None) -> Iterator[re.Match[str]]:
    """The tokens of ``text`` with their offsets."""
    return _WORD.finditer(text or "")


def analyse(text: str | None, kind: str) -> str:
    """``text`` as a field of ``kind`` indexes it: analysed tokens, space-separated,
    one for each token of :func:`words` (so positions line up across kinds)."""
    return " ".join(analyse_word(m.group(0), kind) for m in words(text))


def mark(text: str | None, positions: set[int], start: str = "«", end: str = "»") -> str:
    """``text`` with the tokens at ``positions`` between ``start`` and ``end``."""
    text = text or ""
    out, last = [], 0
    for i, m in enumerate(words(text)):
        if i in positions:
            out += [text[last:m.start()], start, m.group(0), end]
            last = m.end()
    out.append(text[last:])
    return "".join(out)


def snippet(text: str | None, positions: set[int], size: int = 24, start: str = "«",
            end: str = "»", ellipsis: str = " … ") -> str:
    """A window of ``size`` tokens of ``text`` holding the most marked tokens
    (FTS5's ``snippet`` in spirit), the marked tokens between ``start`` and ``end``."""
    text = text or ""
    spans = [(m.start(), m.end()) for m in words(text)]
    if not spans:
        return ""
    best, best_n = 0, -1
    marked = sorted(p for p in positions if p < len(spans))
    for first in marked or [0]:
        begin = max(0, min(first - 2, len(spans) - size))
        n = sum(1 for p in marked if begin <= p < begin + size)
        if n > best_n:
            best, best_n = begin, n
    stop = min(len(spans), best + size)
    lo = spans[best][0]
    hi = spans[stop - 1][1] if stop < len(spans) else len(text)
    out, last = [], lo
    for i in range(best, stop):
        s, e = spans[i]
        if i in positions:
            out += [text[last:s], start, text[s:e], end]
            last = e
    out.append(text[last:hi])
    body = "".join(out).strip()
    return (ellipsis.lstrip() if best else "") + body + (ellipsis.rstrip() if stop < len(spans)
                                                         else "")
