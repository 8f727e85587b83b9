"""Status mechanisms added after heldout3 (own sentences): "not be ruled out" and Dutch
"sluit ... niet uit" are potential, a wish that another body act ("wil dat de ACM ...")
is a call (potential), and announcing an appeal is planned."""

from __future__ import annotations

import nlp

CONTEXT = {
    "nl": "Met de AI-chatbot werden seksueel expliciete deepfakes en naaktbeelden van "
          "vrouwen en minderjarigen gemaakt zonder toestemming.",
    "en": "The AI chatbot was used to create sexually explicit deepfakes and nude images "
          "of women and minors without their consent.",
}


def keys(lang: str, text: str) -> set[tuple[str, str, str]]:
    a = nlp.analyze(CONTEXT[lang] + " " + text, lang=lang)
    assert a.relevant
    return {(e.jurisdiction, e.measure, e.status) for e in a.events}


def test_not_ruled_out_is_potential() -> None:
    got = keys("en", "The minister said a suspension of X in Ireland was a matter for the "
                     "regulator and could not be ruled out.")
    assert all(s == "potential" for _, _, s in got)


def test_dutch_sluit_niet_uit_is_potential() -> None:
    got = keys("nl", "Een blokkade van Grok in Nederland sluit de minister niet uit.")
    assert got and all(s == "potential" for _, _, s in got)


def test_wish_that_another_body_fines_is_potential() -> None:
    got = keys("nl", "GroenLinks-PvdA wil dat de Autoriteit Consument en Markt X een boete "
                     "oplegt.")
    assert ("NL", "fine", "potential") in got
