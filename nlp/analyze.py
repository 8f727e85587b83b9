"""The public entry points: ``analyze`` and ``analyze_many``."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from functools import lru_cache
from itertools import islice
from typing import Any

from spacy.tokens import Doc

from . import relevance
from .dates import to_date
from .events import extract
from .gazetteer import Gazetteer, TokenClassifier, load
from .langid import detect
from .mentions import Mentions, collect
from .model import Analysis, Regulator
from .pipeline import parse
from .scorer import Scorer

MAX_CHARS = 100_000  # work cap: longer texts are analysed on their first 100k characters
_HTML = re.compile(r"<(?:html|body|head|p|div|br|span|a|script|style|article|h[1-6]|li|ul|meta)\b",
                   re.I)
_SCRIPT = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]{0,2000}>")
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]+")
_SPACES = re.compile(r"[ \t\u00a0]{2,}")


def clean_text(text: Any, title: str | None = None) -> str:
    """Normalise input: bytes/None to str, HTML to text, control bytes out, capped."""
    if text is None:
        text = ""
    if isinstance(text, bytes | bytearray):
        text = bytes(text[: MAX_CHARS * 4]).decode("utf-8", errors="replace")
    text = str(text)[: MAX_CHARS * 3]
    if _HTML.search(text[:20000]):
        text = _SCRIPT.sub(" ", text)
        text = re.sub(r"<(?:br|/p|/div|/h[1-6]|/li)\b[^>]*>", "\n", text, flags=re.I)
        text = html.unescape(_TAG.sub(" ", text))
    text = _CTRL.sub(" ", text)
    text = _SPACES.sub(" ", text)
    if title:
        t = _CTRL.sub(" ", str(title)).strip()
        if t and not text.lstrip().startswith(t):
            if t[-1] not in ".!?":
                t += "."
            text = t + "\n" + text
    return text[:MAX_CHARS]


@lru_cache(maxsize=4)
def _classifier(lang: str) -> TokenClassifier:
    return TokenClassifier(lang, load().cues)


def _pipe_lang(lang: str) -> str:
    return lang if lang in ("nl", "en") else "en"


def read(doc: Doc, plang: str, weights: Mapping[str, Any] | None = None
         ) -> tuple[list[tuple[str, ...]], Mentions, float, bool]:
    """What every later stage reads: token cue labels, mentions, the relevance score
    and verdict (``weights`` replace the shipped relevance weights)."""
    g: Gazetteer = load()
    tc = _classifier(plang)
    labels = tc.of_doc(doc)
    ms = collect(doc, g, plang)
    w = g.relevance if weights is None else weights
    score = relevance.score(relevance.features(doc, labels, ms.phrases), w)
    return labels, ms, score, score >= float(w.get("threshold", 0.5))


def _analyse_doc(doc: Doc, lang: str, published: date | None,
                 scorer: Scorer | None = None,
                 relevance_weights: Mapping[str, Any] | None = None) -> Analysis:
    g: Gazetteer = load()
    plang = _pipe_lang(lang)
    labels, ms, score, relevant = read(doc, plang, relevance_weights)
    events, used_weak = (extract(doc, g, ms, labels, published, plang, scorer, score)
                         if relevant else ([], set()))
    regs: dict[str, Regulator] = {}
    bodies = {**g.bodies, **ms.extra_bodies}
    acted = {e.actor for e in events}
    for m in sorted(ms.bodies + [w for w in ms.weak if w.value in used_weak | acted],
                    key=lambda m: m.start):
        b = bodies.get(m.value)
        if b is None or not b.listed or b.id in regs:
            continue
        regs[b.id] = Regulator(b.id, b.name, b.country)
    countries: list[str] = []
    for c in sorted(ms.countries, key=lambda c: c.start):
        if c.value not in countries:
            countries.append(c.value)
    for code in [r.country for r in regs.values()] + [e.jurisdiction for e in events]:
        if code and code not in countries:
            countries.append(code)
    platforms: list[str] = []
    for p in sorted(ms.platforms, key=lambda p: p.start):
        if p.value not in platforms:
            platforms.append(p.value)
    measures = sorted({e.measure for e in events})
    return Analysis(lang=lang, relevant=relevant, relevance_score=score,
                    regulators=list(regs.values()), countries=countries, platforms=platforms,
                    measures=measures, events=events)


def _prepare(text: Any, lang: str | None, title: str | None) -> tuple[str, str]:
    clean = clean_text(text, title)
    return clean, (lang or detect(clean))


def analyze(text: str, lang: str | None = None,
            published: str | datetime | date | None = None,
            title: str | None = None, scorer: Scorer | None = None,
            relevance_weights: Mapping[str, Any] | None = None) -> Analysis:
    """Analyse one article; pure apart from loading the package data once.
    ``scorer`` and ``relevance_weights`` replace the shipped event scorer and
    relevance weights (cross-validation fits its own)."""
    clean, lang = _prepare(text, lang, title)
    doc = next(parse(_pipe_lang(lang), [clean]))
    return _analyse_doc(doc, lang, to_date(published), scorer, relevance_weights)


def analyze_many(items: Iterable[tuple[str, dict[str, Any]]],
                 batch_size: int = 64, scorer: Scorer | None = None,
                 relevance_weights: Mapping[str, Any] | None = None) -> Iterator[Analysis]:
    """Analyse many ``(text, kwargs)`` items in order, batching through ``nlp.pipe``.

    ``kwargs`` takes the keyword arguments of :func:`analyze` (lang, published, title);
    ``scorer`` and ``relevance_weights`` as in :func:`analyze`.
    """
    it = iter(items)
    while True:
        batch = list(islice(it, batch_size))
        if not batch:
            return
        prepared = []
        for text, kw in batch:
            kw = kw or {}
            clean, lang = _prepare(text, kw.get("lang"), kw.get("title"))
            prepared.append((clean, lang, to_date(kw.get("published"))))
        results: list[Analysis | None] = [None] * len(prepared)
        for plang in ("nl", "en"):
            idx = [i for i, p in enumerate(prepared) if _pipe_lang(p[1]) == plang]
            if not idx:
                continue
            docs = parse(plang, (prepared[i][0] for i in idx))
            for i, doc in zip(idx, docs, strict=True):
                results[i] = _analyse_doc(doc, prepared[i][1], prepared[i][2], scorer,
                                          relevance_weights)
        yield from (r for r in results if r is not None)
