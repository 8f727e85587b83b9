"""Public bodies added to the gazetteer resolve in both languages (own test sentences)."""

from __future__ import annotations

import pytest
from support.topic import in_context


def regs(lang: str, text: str) -> set[str]:
    a = in_context(lang, text, published="2026-02-01", must_be_relevant=False)
    return {r.id for r in a.regulators}


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("en", "The National Bureau of Investigation arrested a man in Manila over the images.",
     "nbi-ph"),
    ("en", "West Yorkshire Police arrested a teenager on suspicion of creating the images.",
     "west-yorkshire-police"),
    ("en", "The Australian Communications and Media Authority opened an investigation.", "acma"),
    ("en", "The European Data Protection Supervisor warned the agencies about the tool.", "edps"),
    ("nl", "Het Folketing stemde dinsdag in met een verbod op deepfakes.", "folketing"),
    ("nl", "Het Bundeskriminalamt startte een onderzoek naar de app.", "bka"),
    ("nl", "De Kiesraad waarschuwde voor nepbeelden van kandidaten.", "kiesraad"),
    ("nl", "Het Instituut voor de Rechten van Vrouwen en Mannen diende een klacht in.",
     "instituut-voor-gelijkheid"),
    ("nl", "X ging bij het Gerecht van de EU in beroep tegen de boete.", "general-court-eu"),
    ("en", "X appealed the fine at the EU General Court in Luxembourg.", "general-court-eu"),
])
def test_new_bodies_resolve(lang: str, text: str, expected: str) -> None:
    assert expected in regs(lang, text)
