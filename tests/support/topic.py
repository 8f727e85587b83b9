"""A sentence about AI-made sexual imagery per language, put before a test sentence so
the extractor reads it inside a relevant article (irrelevant articles have no events)."""

from __future__ import annotations

import nlp

CONTEXT = {
    "nl": "Met de AI-chatbot werden seksueel expliciete deepfakes en naaktbeelden van "
          "vrouwen en minderjarigen gemaakt zonder toestemming.",
    "en": "The AI chatbot was used to create sexually explicit deepfakes and nude images "
          "of women and minors without their consent.",
}


def in_context(lang: str, text: str, *, published: str | None = None,
               must_be_relevant: bool = True) -> nlp.Analysis:
    """``text`` analysed after the context sentence of ``lang``."""
    a = nlp.analyze(CONTEXT[lang] + " " + text, lang=lang, published=published)
    if must_be_relevant:
        assert a.relevant, a.relevance_score
    return a


def event_keys(a: nlp.Analysis) -> set[tuple[str, str, str]]:
    """Each event as (jurisdiction, measure, status)."""
    return {(e.jurisdiction, e.measure, e.status) for e in a.events}
