"""Relevance (nlp/relevance.py, weights fitted by nlp/tools/fit_relevance.py): own
sentences in both languages."""

from __future__ import annotations

import pytest

import nlp
from nlp.tools import fit_relevance

# A strong topic cue ("nudify", "deepfake porn") names AI-made sexual imagery by
# itself: such an article is not "without AI cues".
STRONG_ONLY = [
    ("en", "Police in Leeds arrested two teenagers over nudified pictures of classmates. "
           "The boys shared the pictures in a group chat, officers said."),
    ("nl", "De politie in Zwolle heeft twee tieners aangehouden die naaktbeelden van "
           "klasgenoten maakten. De jongens deelden de foto's in een groepsapp."),
]


@pytest.mark.parametrize(("lang", "text"), STRONG_ONLY)
def test_a_strong_cue_alone_makes_an_article_relevant(lang: str, text: str) -> None:
    assert nlp.analyze(text, lang=lang).relevant


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "The city council approved a new budget for road repairs and school meals."),
    ("nl", "De gemeenteraad keurde een nieuwe begroting goed voor wegen en schoolmaaltijden."),
])
def test_an_off_topic_article_is_not(lang: str, text: str) -> None:
    assert not nlp.analyze(text, lang=lang).relevant


def test_fitted_weights_stay_near_the_prior_and_learn_from_labels() -> None:
    """A fit on rows that all say relevant raises the bias above the prior's; with no
    evidence either way the weights stay at the hand-set prior."""
    rows = [{"text": t, "lang": la, "relevant": True} for la, t in STRONG_ONLY] * 3
    fitted = fit_relevance.fit_rows(rows)
    prior = fit_relevance.tomllib.loads(fit_relevance.PRIOR.read_text(encoding="utf-8"))
    assert fitted["bias"] > prior["bias"]
    assert fitted["weights"]["negative"] == pytest.approx(prior["weights"]["negative"])
