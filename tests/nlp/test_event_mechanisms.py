"""Mechanisms added after the second held-out set (own test sentences): requests that
are orders, an ongoing measure, a body's inability, unnamed services removing content,
"similar measures" after a platform's own step, generic titles in another country's
article, and a demand letter."""

from __future__ import annotations

from support.topic import event_keys, in_context


def keys(lang: str, text: str) -> set[tuple[str, str, str]]:
    return event_keys(in_context(lang, text))


def test_removal_at_the_request_of_a_body_is_its_order() -> None:
    got = keys("nl", "Telegram heeft tientallen kanalen verwijderd op verzoek van de "
                     "Australische eSafety Commissioner.")
    assert ("AU", "order", "actual") in got
    assert ("", "platform_measure", "actual") in got


def test_ongoing_investigation_is_actual_despite_modal_clause() -> None:
    got = keys("nl", "De Europese Commissie wil met het bevel voorkomen dat bewijs "
                     "verdwijnt in het lopende onderzoek naar Meta.")
    assert ("EU", "investigation", "actual") in got
    assert ("EU", "investigation", "planned") not in got


def test_inability_of_a_body_is_no_event() -> None:
    got = keys("en", "The Irish privacy regulator cannot impose fines on Meta in this case.")
    assert not any(m == "fine" for _, m, _ in got)


def test_unnamed_site_removing_content_is_no_order() -> None:
    got = keys("en", "Ofcom opened an investigation into the forum on Monday. The hosting "
                     "site said it had deleted the threads within hours.")
    assert ("GB", "investigation", "actual") in got
    assert not any(m == "order" for _, m, _ in got)


def test_similar_measures_skip_the_platforms_own_step() -> None:
    got = keys("nl", "Turkije heeft de toegang tot Grok geblokkeerd. xAI zegt dat de chatbot "
                     "geen beelden meer maakt van echte personen. Eerder nam Pakistan al "
                     "vergelijkbare maatregelen.")
    assert ("PK", "block", "actual") in got
    assert ("PK", "platform_measure", "actual") not in got


def test_generic_justice_minister_follows_the_articles_country() -> None:
    a = in_context("nl", "De Belgische politie in Luik en Brussel pakte twee verdachten op. "
                         "Het Belgische parket leidt het onderzoek. De minister van Justitie "
                         "zal een wetsvoorstel indienen om deepfakes strafbaar te stellen.",
                   must_be_relevant=False)
    juris = {(e.jurisdiction, e.measure) for e in a.events}
    assert ("BE", "legislation") in juris
    assert ("NL", "legislation") not in juris


def test_demand_letter_is_an_actual_order() -> None:
    got = keys("en", "The Texas attorney general sent xAI a cease-and-desist letter "
                     "demanding that it stop producing the images.")
    assert ("US", "order", "actual") in got


def test_cabinet_approving_a_draft_bill_is_planned_legislation() -> None:
    got = keys("en", "Portugal's cabinet approved a draft bill on Thursday that would make "
                     "sexual deepfakes a crime.")
    assert ("PT", "legislation", "planned") in got
    assert ("PT", "legislation", "actual") not in got
