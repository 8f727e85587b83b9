"""The pipeline's own components against the stock ones they replace."""

from __future__ import annotations

from functools import lru_cache

import pytest
import spacy
from spacy.language import Language

from nlp.pipeline import _tune_tokenizer, get_nlp

TEXTS = [
    "",
    "Eén zin zonder punt",
    "Ofcom opende een onderzoek. Daarna volgde X!  En toen? Niets...",
    "De minister zei: \"Dit kan niet.\" Daarna sprak de Kamer.",
    "Ofcom opened an inquiry into X. The EU followed. Did Malaysia? Yes!!",
    "Headline without full stop\nLONDON (Reuters) - Ofcom said on Monday it would act.",
    "Wait . . . what?! (It was Grok.) Then X.",
    "... . ! ?",
]


@lru_cache(maxsize=2)
def _stock(lang: str) -> Language:
    nlp = spacy.blank(lang)
    _tune_tokenizer(nlp)
    nlp.add_pipe("sentencizer")
    return nlp


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("text", TEXTS)
def test_fast_sentencizer_splits_like_spacys(lang: str, text: str) -> None:
    want = [(s.start, s.end) for s in _stock(lang)(text).sents]
    got = [(s.start, s.end) for s in get_nlp(lang)(text).sents]
    assert got == want
