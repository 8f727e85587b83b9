"""Mechanisms added after heldout3 (own sentences): a request on a body in a later clause
is potential, a platform asked to act is no event, a past law in a "since" clause is
background, a possessive public office is no private filer, and a Dutch motion asking
the cabinet for a ban is the parliament's potential legislation."""

from __future__ import annotations

from support.topic import CONTEXT, in_context

import nlp
from nlp.scorer import RULES


def events(lang: str, text: str) -> list[nlp.Event]:
    return in_context(lang, text).events


def keys(lang: str, text: str) -> set[tuple[str, str]]:
    return {(e.measure, e.status) for e in events(lang, text)}


def test_en_urged_body_in_later_clause_is_potential() -> None:
    got = keys("en", "The minister condemned the images on X and urged Ofcom to open an "
                     "investigation into Grok.")
    assert ("investigation", "potential") in got
    assert ("investigation", "actual") not in got


def test_en_called_on_body_then_but_is_potential() -> None:
    got = keys("en", "Several MEPs called on the European Commission to fine X over the "
                     "images, but the Commission has not decided yet.")
    assert ("fine", "actual") not in got


def test_nl_riep_op_and_drong_aan_are_potential() -> None:
    got = keys("nl", "Het Kamerlid noemde de beelden walgelijk en riep de Autoriteit "
                     "Persoonsgegevens op een onderzoek naar X te starten.")
    assert ("investigation", "potential") in got
    got = keys("nl", "De minister veroordeelde de beelden en drong er bij de Europese "
                     "Commissie op aan om X een boete op te leggen.")
    assert ("fine", "potential") in got and ("fine", "actual") not in got


def test_platform_asked_to_act_is_no_event() -> None:
    got = keys("en", "Victims' lawyers asked X to remove the images made by Grok.")
    assert not any(m == "platform_measure" for m, _ in got)


def test_since_past_law_is_background() -> None:
    assert not any(m == "legislation" for m, _ in keys(
        "nl", "Sinds de wet in 2021 werd aangenomen, zijn zulke deepfakes in Nederland "
              "strafbaar, ook als ze met Grok zijn gemaakt."))
    assert not any(m == "legislation" for m, _ in keys(
        "en", "Sharing such images has been a crime since Ireland's Coco's Law was passed "
              "in 2020, the Irish justice minister said."))


def test_possessive_public_office_files_lawsuits() -> None:
    got = keys("en", "California Attorney General Rob Bonta said his office will file "
                     "further lawsuits against xAI.")
    assert ("legal_action", "planned") in got
    got = keys("en", "The Texas attorney general said her office would sue xAI.")
    assert ("legal_action", "planned") in got


def test_private_possessive_still_private() -> None:
    got = keys("en", "The singer said her lawyers will file a lawsuit against xAI.")
    assert not any(m == "legal_action" for m, _ in got)


def test_nl_motion_calling_on_cabinet_is_potential_legislation() -> None:
    # the rules' reading of the frame (the fitted scorer weighs the long actor distance)
    text = ("De Tweede Kamer heeft dinsdag een motie aangenomen die het kabinet oproept om "
            "apps die naaktbeelden maken te verbieden.")
    evs = nlp.analyze(CONTEXT["nl"] + " " + text, lang="nl", scorer=RULES).events
    leg = [e for e in evs if e.measure == "legislation"]
    assert leg and all(e.status == "potential" for e in leg)
    assert any(e.actor == "tweede-kamer" for e in leg)


def test_en_motion_calling_on_government_is_potential() -> None:
    got = keys("en", "The Irish parliament passed a motion calling on the government to "
                     "ban nudification apps.")
    assert ("legislation", "actual") not in got
