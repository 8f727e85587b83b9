"""The pipeline's own components against the stock ones they replace."""

from __future__ import annotations

import pytest
import spacy

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


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("text", TEXTS)
def test_fast_sentencizer_splits_like_spacys(lang: str, text: str) -> None:
    stock = spacy.blank(lang)
    _tune_tokenizer(stock)
    stock.add_pipe("sentencizer")
    want = [(s.start, s.end) for s in stock(text).sents]
    got = [(s.start, s.end) for s in get_nlp(lang)(text).sents]
    assert got == want
