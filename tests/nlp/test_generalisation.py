"""Mechanisms added for generalisation to unseen articles (own sentences)."""

from __future__ import annotations

import nlp


def keys(text: str, lang: str) -> set[tuple[str, str, str]]:
    a = nlp.analyze(text, lang=lang)
    return {(e.jurisdiction, e.measure, e.status) for e in a.events}


TOPIC_EN = "after Grok was used to create sexually explicit deepfakes of women. "
TOPIC_NL = "nadat met Grok seksueel expliciete deepfakes van vrouwen werden gemaakt. "


def test_other_subject_sentence_is_no_event() -> None:
    k = keys("The European Commission opened an investigation into X " + TOPIC_EN +
             "The Commission fined X 50 million euros in March over its blue checkmarks.", "en")
    assert ("EU", "investigation", "actual") in k
    assert ("EU", "fine", "actual") not in k


def test_penalty_for_generic_offender_is_law_content() -> None:
    k = keys("Parliament in Seoul passed a law against sexual deepfakes " + TOPIC_EN +
             "Anyone convicted will face up to five years in prison.", "en")
    assert not any(m == "legal_action" for _, m, _ in k)
    k = keys("De Britse regering maakt het maken van seksuele deepfakes strafbaar. " +
             "Daders riskeren een boete en een celstraf.", "nl")
    assert not any(m in ("fine", "legal_action") for _, m, _ in k)


def test_trigger_is_no_potential_cue_for_itself() -> None:
    k = keys("De Britse toezichthouder Ofcom onderzoekt sinds januari of X genoeg heeft "
             "gedaan, " + TOPIC_NL, "nl")
    assert ("GB", "investigation", "actual") in k


def test_inverted_modal_before_actor_is_potential() -> None:
    k = keys("De ATKM heeft een hostingprovider bevolen seksueel expliciete deepfakes van "
             "kinderen offline te halen. Gebeurt dat niet binnen 24 uur, dan kan de ATKM "
             "een bestuurlijke boete opleggen.", "nl")
    assert ("NL", "fine", "potential") in k
    assert ("NL", "fine", "actual") not in k


def test_breaking_the_law_is_not_the_law_as_subject() -> None:
    k = keys("Ofcom opened an investigation into X " + TOPIC_EN +
             "If X has broken the law, it could be fined by Ofcom.", "en")
    assert ("GB", "fine", "potential") in k


def test_public_and_formal_warnings_need_no_target() -> None:
    k = keys("De Autoriteit Persoonsgegevens waarschuwt ouders voor apps die "
             "naaktbeelden maken van kinderen met kunstmatige intelligentie.", "nl")
    assert ("NL", "warning", "actual") in k
    k = keys("Australia's eSafety Commissioner issued a formal warning to a nudify "
             "service used to create deepfake nude images of students.", "en")
    assert ("AU", "warning", "actual") in k


def test_ordered_limitation_is_a_block_not_an_order() -> None:
    k = keys("Italy's data protection authority, the Garante per la protezione dei dati "
             "personali, ordered an immediate limitation on the processing of data by "
             "Clothoff, an app that creates fake nude images.", "en")
    assert ("IT", "block", "actual") in k
    assert ("IT", "order", "actual") not in k


def test_under_a_law_is_no_legislation_event() -> None:
    k = keys("The Garante warned users that making fake nude images with AI is a crime "
             "under Italy's new law on artificial intelligence.", "en")
    assert not any(m == "legislation" for _, m, _ in k)


def test_foreign_adjective_reassigns_generic_body() -> None:
    a = nlp.analyze("Het Japanse ministerie van Justitie overweegt seksuele deepfakes "
                    "strafbaar te stellen nadat naaktbeelden van actrices opdoken.", lang="nl")
    ids = {r.id for r in a.regulators}
    assert "japanese-ministry-of-justice" in ids
    assert "ministry-of-justice-and-security-nl" not in ids


def test_hyphenated_and_multiword_template_names() -> None:
    a = nlp.analyze("Het parket van Oost-Vlaanderen heeft een onderzoek geopend naar "
                    "nepnaaktfoto's van leerlingen.", lang="nl")
    assert "parket-oost-vlaanderen" in {r.id for r in a.regulators}
    a = nlp.analyze("A San Francisco Superior Court judge barred the operator of nudify "
                    "websites from creating deepfake nude images.", lang="en")
    assert "san-francisco-superior-court" in {r.id for r in a.regulators}


def test_boilerplate_is_not_annotated() -> None:
    a = nlp.analyze("De Europese Commissie is een onderzoek begonnen naar X " + TOPIC_NL +
                    "Deel dit artikel: Facebook | LinkedIn | WhatsApp", lang="nl")
    assert "LinkedIn" not in a.platforms


def test_new_verbs_and_phrases() -> None:
    k = keys("The government said it will legislate to ban nudify apps that create "
             "sexually explicit deepfakes, Australia's communications minister said.", "en")
    assert ("AU", "legislation", "planned") in k
    k = keys("Brazil's National Data Protection Authority said it could go to court "
             "against X " + TOPIC_EN, "en")
    assert ("BR", "legal_action", "potential") in k
    k = keys("Het Europees Parlement heeft ingestemd met een richtlijn die seksuele "
             "deepfakes strafbaar maakt.", "nl")
    assert ("EU", "legislation", "actual") in k
