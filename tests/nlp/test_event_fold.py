"""The fold stage (nlp/events.py ``_fold``): one act told in several wordings is one
event: a country acting folds into its named body doing the same, and one actor's
act on Grok, xAI or X is one event per target family. Own sentences."""

from __future__ import annotations

import pytest
from support.topic import in_context

# (lang, text, jurisdiction, measure, the one actor expected)
ONE_ACT = [
    ("en", "Malaysia blocked access to Grok on Sunday. The Malaysian Communications and "
           "Multimedia Commission said it had blocked Grok until further notice.",
     "MY", "block", "mcmc"),
    ("nl", "Maleisië heeft de toegang tot Grok geblokkeerd. De Maleisische "
           "toezichthouder MCMC blokkeerde Grok zondag tot nader order.",
     "MY", "block", "mcmc"),
    ("en", "Ofcom opened an investigation into X on Monday. The investigation of Grok "
           "by Ofcom will look at whether xAI protected children.",
     "GB", "investigation", "ofcom"),
    ("nl", "Ofcom is een onderzoek gestart naar X. Ofcom onderzoekt ook of Grok en xAI "
           "kinderen voldoende beschermden.",
     "GB", "investigation", "ofcom"),
]


@pytest.mark.parametrize(("lang", "text", "jur", "measure", "actor"), ONE_ACT)
def test_one_act_in_several_wordings_is_one_event(lang: str, text: str, jur: str,
                                                  measure: str, actor: str) -> None:
    got = [e for e in in_context(lang, text).events
           if (e.jurisdiction, e.measure) == (jur, measure)]
    assert [e.actor for e in got] == [actor]


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "Ofcom opened an investigation into X. Separately, Ofcom opened an "
           "investigation into Telegram over nudify bots."),
    ("nl", "Ofcom is een onderzoek gestart naar X. Daarnaast startte Ofcom een onderzoek "
           "naar Telegram vanwege uitkleedbots."),
])
def test_different_target_families_stay_apart(lang: str, text: str) -> None:
    got = {e.target for e in in_context(lang, text).events if e.measure == "investigation"}
    assert got == {"X", "Telegram"}


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "France opened a criminal investigation into X. The Irish Data Protection "
           "Commission opened an investigation into X as well."),
    ("nl", "Frankrijk is een onderzoek naar X gestart. Ook de Ierse "
           "privacytoezichthouder DPC is een onderzoek naar X gestart."),
])
def test_a_country_keeps_its_act_beside_another_countrys_body(lang: str, text: str) -> None:
    got = {(e.jurisdiction, e.actor) for e in in_context(lang, text).events
           if e.measure == "investigation"}
    assert ("FR", "FR") in got
    assert any(j == "IE" for j, _ in got)
