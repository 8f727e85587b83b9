"""Status mechanisms added after heldout3 (own sentences): "not be ruled out" and Dutch
"sluit ... niet uit" are potential, a wish that another body act ("wil dat de ACM ...")
is a call (potential), and announcing an appeal is planned."""

from __future__ import annotations

from support.topic import event_keys, in_context


def keys(lang: str, text: str) -> set[tuple[str, str, str]]:
    return event_keys(in_context(lang, text))


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
