"""spaCy pipelines per language: blank tokenizer + sentencizer + gazetteer matcher.

Built once per process and cached. The ``toezicht_matcher`` component runs two
PhraseMatchers (case-insensitive names and cue phrases; case-sensitive
acronyms, countries and platforms) and stores the raw matches on
``doc._.tz_matches`` as ``(key, start, end)`` tuples. Bodies named by their shape
("gemeente Leiderdorp", "Brookfield Police Department") are found later, by
nlp/bodies.py, from nlp/mentions.py.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from functools import lru_cache

import numpy as np
import spacy
from spacy.attrs import IS_PUNCT, ORTH, SENT_START
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_suffix_regex

from .gazetteer import load

LANGS = ("nl", "en")
MAX_LENGTH = 2_000_000

if not Doc.has_extension("tz_matches"):
    Doc.set_extension("tz_matches", default=None)


def doc_text(doc: Doc) -> str:
    """The document's text, kept by :func:`parse` or built once (``Doc.text`` joins
    every token on each call)."""
    text = doc.user_data.get("tz_text")
    if text is None:
        text = doc.user_data["tz_text"] = doc.text
    return text


def parse(lang: str, texts: Iterable[str]) -> Iterator[Doc]:
    """The documents of ``texts`` through the pipeline of ``lang``, each keeping the
    text it was made from (spaCy's docs reproduce it exactly)."""
    pending: deque[str] = deque()

    def fed() -> Iterator[str]:
        for t in texts:
            pending.append(t)
            yield t

    for doc in get_nlp(lang).pipe(fed()):
        doc.user_data["tz_text"] = pending.popleft()
        yield doc


def _for_lang(key: str, lang: str) -> bool:
    parts = key.split("|")
    return len(parts) < 3 or parts[-1] in (lang, "*") or parts[0] in ("CTRY",)


class GazetteerMatcher:
    def __init__(self, nlp: Language, lang: str) -> None:
        g = load()
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        for matcher, terms in ((self.lower, g.lower_terms), (self.exact, g.exact_terms)):
            by_key: dict[str, list[Doc]] = {}
            seen: set[tuple[str, str]] = set()
            for text, key in terms:
                if not _for_lang(key, lang) or (text, key) in seen:
                    continue
                seen.add((text, key))
                by_key.setdefault(key, []).append(nlp.make_doc(text))
            for key, docs in by_key.items():
                matcher.add(key, docs)
        self.strings = nlp.vocab.strings

    def __call__(self, doc: Doc) -> Doc:
        s = self.strings
        out = [(s[m], a, b) for m, a, b in self.lower(doc)]
        out += [(s[m], a, b) for m, a, b in self.exact(doc)]
        doc._.tz_matches = out
        return doc


@Language.factory("toezicht_matcher", default_config={"lang": "en"})
def _make_matcher(nlp: Language, name: str, lang: str) -> GazetteerMatcher:
    return GazetteerMatcher(nlp, lang)


class FastSentencizer:
    """spaCy's rule-based sentencizer (default punctuation) computed on token arrays:
    a sentence starts at the first token after a sentence-final mark that is neither
    punctuation nor such a mark. The same boundaries, without a Python object per
    token (the stock component took a third of the pipeline's time)."""

    def __init__(self, nlp: Language) -> None:
        self.marks = np.array(sorted(nlp.vocab.strings.add(c)
                                     for c in Sentencizer.default_punct_chars), dtype=np.uint64)

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if n == 0:
            return doc
        arr = doc.to_array([ORTH, IS_PUNCT])
        mark = np.isin(arr[:, 0], self.marks)
        ok = np.flatnonzero(~mark & (arr[:, 1] == 0))
        after = np.searchsorted(ok, np.flatnonzero(mark), side="right")
        starts = np.full(n, -1, dtype=np.int32)
        starts[0] = 1
        starts[ok[after[after < len(ok)]]] = 1
        doc.from_array([SENT_START], starts.reshape(n, 1).astype(np.uint64))
        return doc


@Language.factory("toezicht_sentencizer")
def _make_sentencizer(nlp: Language, name: str) -> FastSentencizer:
    return FastSentencizer(nlp)


def _tune_tokenizer(nlp: Language) -> None:
    tok = nlp.tokenizer
    # split possessive 's / ’s and split hyphenated compounds (Grok-chatbot) in Dutch too
    suffixes = list(nlp.Defaults.suffixes or []) + [r"(?<=[A-Za-z0-9])['’]s$", r"(?<=^X)\.$"]
    tok.suffix_search = compile_suffix_regex(suffixes).search
    infixes = list(nlp.Defaults.infixes or []) + [r"(?<=[A-Za-zÀ-ÿ0-9])-(?=[A-Za-zÀ-ÿ])"]
    tok.infix_finditer = compile_infix_regex(infixes).finditer
    # "X." at the end of a sentence is the platform X, not an initial
    rules = {k: v for k, v in tok.rules.items()
             if not (len(k) == 2 and k[1] == "." and k[0].isupper())}
    tok.rules = rules


@lru_cache(maxsize=4)
def get_nlp(lang: str) -> Language:
    """The pipeline for ``lang`` ("nl" or "en"; anything else uses "en")."""
    lang = lang if lang in LANGS else "en"
    nlp = spacy.blank(lang)
    nlp.max_length = MAX_LENGTH
    _tune_tokenizer(nlp)
    nlp.add_pipe("toezicht_sentencizer")
    nlp.add_pipe("toezicht_matcher", config={"lang": lang})
    return nlp
