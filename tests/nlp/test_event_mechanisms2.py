"""Mechanisms added after heldout2 (own test sentences): separable Dutch verbs, a body
followed by a parenthetical relative clause, law content in a relative clause, "dat"
as a conjunction (no anaphor), and a purpose infinitive on a measure noun."""

from __future__ import annotations

import pytest
from support.topic import event_keys, in_context

import nlp


def keys(lang: str, text: str) -> set[tuple[str, str, str]]:
    return event_keys(in_context(lang, text))


def test_separable_verb_introduces_a_penalty() -> None:
    got = keys("nl", "Ook Frankrijk voerde in 2024 een straf in voor het delen van "
                     "seksuele deepfakes.")
    assert ("FR", "legislation", "actual") in got


def test_separable_verb_adopts_a_law() -> None:
    got = keys("nl", "Het Belgische parlement nam donderdag de wet tegen naaktbeelden aan.")
    assert ("BE", "legislation", "actual") in got


def test_sentence_to_a_penalty_is_no_legislation() -> None:
    got = keys("nl", "Een man uit Utrecht kreeg maandag een straf van twee jaar.")
    assert not any(m == "legislation" for _, m, _ in got)


def test_body_before_parenthetical_relative_clause_acts() -> None:
    got = keys("nl", "De Franse toezichthouder Arcom, die in Frankrijk toezicht houdt op "
                     "online platforms, heeft Meta om informatie gevraagd over de beelden.")
    assert ("FR", "order", "actual") in got


def test_law_content_in_relative_clause_is_no_block() -> None:
    got = keys("en", "In Ohio, a bill that would require app stores to block access to "
                     "nudify apps passed a House committee on Monday.")
    assert not any(m == "block" for _, m, _ in got)


def test_conjunction_dat_carries_no_actor() -> None:
    got = keys("nl", "De Ierse toezichthouder heeft een onderzoek naar X geopend. "
                     "Deskundigen zeggen dat de boete vooral symbolisch zal zijn.")
    assert ("IE", "investigation", "actual") in got
    assert not any(m == "fine" for _, m, _ in got)


def test_purpose_infinitive_on_measure_noun_is_planned() -> None:
    got = keys("en", "The Turkish telecoms regulator said it was working with internet "
                     "providers to implement the block on Grok next week.")
    assert ("TR", "block", "actual") not in got


def test_in_force_next_year_is_no_adopted_law() -> None:
    got = keys("en", "Norway said the new bill would be presented in spring, with the aim "
                     "of having it in force next year.")
    assert ("NO", "legislation", "planned") in got
    assert ("NO", "legislation", "actual") not in got


def test_copyright_route_against_sexual_deepfakes_stays_relevant() -> None:
    a = nlp.analyze("Norway wants to give people copyright over their own face and voice. "
                    "The copyright change would let victims demand removal of sexual "
                    "deepfake images made with AI apps without their consent.", lang="en")
    assert a.relevant


def test_copyright_dispute_over_ai_images_stays_irrelevant() -> None:
    a = nlp.analyze("Artists sued an AI image generator over copyright, saying the tool "
                    "copied their paintings. The copyright case may take years, lawyers "
                    "for the AI company said.", lang="en")
    assert not a.relevant



@pytest.mark.parametrize(("lang", "text"), [
    ("en", "The case is in South Korea. Three other men were also detained on charges of "
           "breaching the Act on the Protection of Minors against Sex Offense and the "
           "Punishment of Fraud Act."),
    ("nl", "De zaak speelt in België. Drie mannen zijn aangehouden wegens overtreding van de "
           "Wet op de Bescherming van Minderjarigen tegen Seksuele Uitbuiting en de "
           "Strafwet."),
])
def test_title_of_a_law_in_force_proposes_no_legislation(lang: str, text: str) -> None:
    """Not even as a flagged candidate: the title's words are masked before triggers."""
    from nlp.events import propose
    from nlp.gazetteer import load
    from nlp.tools.learn import read_row

    rd = read_row({"text": text, "lang": lang})
    cands = propose(rd.doc, load(), rd.mentions, rd.labels, None, lang)
    assert not [c for c in cands if c.event.measure == "legislation"]


@pytest.mark.parametrize(("lang", "text", "measure"), [
    ("en", "The judge at Leeds Crown Court jailed the man for six years and ordered him to "
           "sign the sex offenders register.", "order"),
    ("en", "Prosecutors in Taipei appealed, saying the prison sentence of the YouTuber could "
           "be commuted to a fine.", "fine"),
    ("nl", "De rechtbank in Breda veroordeelde de man tot een celstraf van twee jaar en een "
           "boete van 5000 euro.", "fine"),
])
def test_fine_or_order_inside_a_custodial_sentence_is_the_cases(lang: str, text: str,
                                                               measure: str) -> None:
    got = keys(lang, text)
    assert not any(m == measure for _, m, _ in got)
    assert any(m == "legal_action" for _, m, _ in got)


@pytest.mark.parametrize(("lang", "text", "measure"), [
    ("nl", "De Autoriteit Persoonsgegevens is bevoegd om platforms die naaktbeelden "
           "verspreiden te beboeten.", "fine"),
    ("en", "The new law empowers the state attorney general to collect fines from app "
           "makers.", "fine"),
    ("en", "Under the act Ofcom has the power to block non-compliant nudify sites.", "block"),
])
def test_a_bodys_power_to_act_is_no_act(lang: str, text: str, measure: str) -> None:
    got = keys(lang, text)
    assert not any(m == measure and st == "actual" for _, m, st in got)


@pytest.mark.parametrize(("lang", "text"), [
    ("nl", "Maanden later hebben we nog steeds geen reactie van de politie op onze aangifte."),
    ("en", "Months later the police have still not answered my complaint."),
])
def test_a_first_person_complaint_is_private(lang: str, text: str) -> None:
    assert not any(m == "legal_action" for _, m, _ in keys(lang, text))


def test_a_hearing_is_no_new_investigation() -> None:
    got = keys("nl", "Tijdens zijn verhoor in de rechtbank van Manchester vertelde de man "
                     "wie de beelden bestelde.")
    assert not any(m == "investigation" for _, m, _ in got)


@pytest.mark.parametrize(("lang", "text", "measure"), [
    ("nl", "De Europese Commissie onderzoekt of het platform de risico's van Grok voldoende "
           "heeft beoordeeld en beperkt.", "block"),
    ("en", "The European Commission is examining whether the platform assessed and "
           "restricted the risks of Grok.", "block"),
    ("en", "Ofcom opened an investigation into whether X had restricted the accounts that "
           "shared the images.", "platform_measure"),
])
def test_what_an_investigation_asks_is_no_act(lang: str, text: str, measure: str) -> None:
    assert not any(m == measure for _, m, _ in keys(lang, text))


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "The Chinese government has broad access to data. Apple confirmed that it had "
           "removed the apps and issued formal warnings to their developers."),
    ("nl", "De Chinese overheid heeft toegang tot alle data. Apple bevestigde dat het de "
           "apps had verwijderd en de makers formeel had gewaarschuwd."),
])
def test_an_anaphor_after_a_platform_refers_to_it(lang: str, text: str) -> None:
    assert not any(m == "warning" for _, m, _ in keys(lang, text))


@pytest.mark.parametrize(("lang", "text", "jur"), [
    ("en", "The European Commission said it was appalled that X let users undress women "
           "with Grok.", "EU"),
    ("nl", "\"Ik ben geschokt dat X dit toelaat\", verklaarde de Britse premier over Grok.",
     "GB"),
])
def test_an_officials_public_condemnation_is_a_warning(lang: str, text: str, jur: str) -> None:
    assert (jur, "warning", "actual") in keys(lang, text)


def test_a_demonstrative_after_a_platform_still_refers_back() -> None:
    got = keys("nl", "De Australische toezichthouder eSafety eist dat X de beelden weghaalt. "
                     "Als X dat niet doet, kan het platform een boete krijgen.")
    assert ("AU", "fine", "potential") in got


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "South Korea's president called on his government to stamp out deepfake sex crimes."),
    ("nl", "De Belgische premier riep zijn regering op om deepfakeporno hard aan te pakken."),
])
def test_a_plea_to_ones_own_government_is_no_warning(lang: str, text: str) -> None:
    assert not any(m == "warning" for _, m, _ in keys(lang, text))


@pytest.mark.parametrize(("lang", "text"), [
    ("nl", "Offlimits heeft een kort geding aangespannen tegen X en eist dat de beelden "
           "offline gaan."),
    ("en", "The Internet Watch Foundation asked X to remove the images within a day."),
])
def test_a_hotline_acts_privately(lang: str, text: str) -> None:
    got = keys(lang, text)
    assert not any(m in ("legal_action", "order") for _, m, _ in got)


def test_a_power_governs_its_whole_infinitive_clause() -> None:
    got = keys("nl", "De Autoriteit Persoonsgegevens is bevoegd om de verantwoordelijken voor "
                     "het verspreiden van naaktbeelden aan te spreken en te beboeten.")
    assert not any(m == "fine" and st == "actual" for _, m, st in got)


@pytest.mark.parametrize(("lang", "text", "actor", "regulator"), [
    ("en", "Australian police arrested a teenager over deepfake nudes of classmates.", "AU",
     None),
    ("en", "Canadian police charged a man over deepfake nudes of his colleagues.", "CA", None),
    ("nl", "De politie heeft in Utrecht een man aangehouden voor deepfakeporno.", "politie",
     "politie"),
])
def test_unnamed_local_police_is_its_country(lang: str, text: str, actor: str,
                                            regulator: str | None) -> None:
    a = in_context(lang, text)
    assert actor in {e.actor for e in a.events if e.measure == "legal_action"}
    regs = {r.id for r in a.regulators}
    assert (regulator in regs) if regulator else not any("police" in r for r in regs)


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("nl", "Frankrijk doet aangifte tegen X vanwege de beelden van Grok.", True),
    ("nl", "Een Nederlandse vrouw heeft aangifte gedaan tegen de maker van de beelden.", False),
    ("en", "A British mother filed a lawsuit against the app's maker.", False),
])
def test_a_state_filing_is_an_act_a_persons_is_not(lang: str, text: str, expected: bool) -> None:
    assert any(m == "legal_action" for _, m, _ in keys(lang, text)) is expected
