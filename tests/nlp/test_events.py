"""Event extraction, sentence by sentence, in Dutch and English (own test sentences)."""

from __future__ import annotations

import pytest
from support.topic import event_keys, in_context


# A topic sentence so that the article is relevant; the test sentence follows it.
def events_of(lang: str, sentence: str, published: str | None = "2026-01-13"):
    a = in_context(lang, sentence, published=published)
    return event_keys(a), a


# (lang, sentence, expected (jurisdiction, measure, status))
CASES = [
    # investigation
    ("nl", "De Ierse privacytoezichthouder is een onderzoek naar X gestart.",
     ("IE", "investigation", "actual")),
    ("en", "Britain's media regulator Ofcom has opened a formal investigation into X.",
     ("GB", "investigation", "actual")),
    ("nl", "De Franse toezichthouder Arcom stelt een onderzoek in naar Telegram.",
     ("FR", "investigation", "actual")),
    # block
    ("nl", "Turkije heeft de toegang tot Grok geblokkeerd.", ("TR", "block", "actual")),
    ("en", "The Philippines blocked access to Grok on Thursday.", ("PH", "block", "actual")),
    # fine
    ("nl", "De Autoriteit Persoonsgegevens legt Clothoff een boete op van 2 miljoen euro.",
     ("NL", "fine", "actual")),
    ("en", "The eSafety Commissioner fined Telegram A$1 million.", ("AU", "fine", "actual")),
    # legal action
    ("nl", "Het Openbaar Ministerie heeft de 29-jarige maker van de beelden vervolgd.",
     ("NL", "legal_action", "actual")),
    ("en", "San Francisco City Attorney David Chiu sued the operators of 16 websites.",
     ("US", "legal_action", "actual")),
    # legislation
    ("nl", "Het kabinet wil het maken van seksuele deepfakes strafbaar stellen.",
     ("NL", "legislation", "planned")),
    ("en", "The Italian Senate approved a law that makes sharing such images a crime.",
     ("IT", "legislation", "actual")),
    ("en", "The UK government will introduce a bill to ban nudification apps.",
     ("GB", "legislation", "planned")),
    # order
    ("nl", "De Europese Commissie heeft X bevolen alle documenten over Grok te bewaren.",
     ("EU", "order", "actual")),
    ("en", "India's IT ministry ordered X to remove the content within 72 hours.",
     ("IN", "order", "actual")),
    # warning
    ("nl", "De Britse premier Keir Starmer noemde de beelden van Grok walgelijk.",
     ("GB", "warning", "actual")),
    ("en", "The European Commission warned X that Grok's images are unacceptable.",
     ("EU", "warning", "actual")),
    # platform measure
    ("nl", "X heeft het genereren van afbeeldingen met Grok beperkt tot betalende gebruikers.",
     ("", "platform_measure", "actual")),
    ("en", "Meta removed the ads for the nudify app from Instagram.",
     ("", "platform_measure", "actual")),
    # status: potential
    ("nl", "Een Europees verbod op Grok is niet ondenkbaar.", ("EU", "block", "potential")),
    ("en", "Ofcom could fine X up to 10% of its global turnover.", ("GB", "fine", "potential")),
    ("nl", "De minister van Justitie overweegt een verbod op uitkleedapps.",
     ("NL", "legislation", "potential")),
    # status: planned
    ("en", "The European Commission will open an investigation into Grok next week.",
     ("EU", "investigation", "planned")),
    ("nl", "De Europese Commissie gaat X verder onderzoeken.", ("EU", "investigation", "planned")),
]


@pytest.mark.parametrize(("lang", "sentence", "expected"), CASES,
                         ids=[f"{c[0]}-{c[2][1]}-{c[2][2]}-{i}" for i, c in enumerate(CASES)])
def test_measure_and_status(lang: str, sentence: str, expected: tuple[str, str, str]) -> None:
    found, _ = events_of(lang, sentence)
    assert expected in found, found


NEGATED = [
    ("nl", "Ofcom heeft geen onderzoek naar Grok ingesteld."),
    ("en", "Ofcom did not open an investigation into Grok."),
    ("nl", "Het maken van deepfakeporno is in Nederland al strafbaar."),
    ("en", "Creating such images is already illegal in Britain."),
]


@pytest.mark.parametrize(("lang", "sentence"), NEGATED)
def test_negated_and_background_are_not_events(lang: str, sentence: str) -> None:
    found, _ = events_of(lang, sentence)
    assert found == set(), found


# Worked example of shared/EVENTS.md, sentence by sentence (Dutch)
WORKED = [
    ("Maleisië heeft de toegang tot Grok voorlopig beperkt. Dat bevestigde de Maleisische "
     "internettoezichthouder afgelopen zondag.", ("mcmc", "MY", "block", "Grok", "actual")),
    ("Ofcom is inmiddels dan ook een onderzoek naar Grok gestart.",
     ("ofcom", "GB", "investigation", "Grok", "actual")),
    ("Ook maakte xAI bekend dat alleen betalende gebruikers van Grok nog afbeeldingen "
     "kunnen genereren.", ("xAI", "", "platform_measure", "Grok", "actual")),
    ("Een Europees verbod voor Grok en/of X is dan ook zeker niet ondenkbaar.",
     ("EU", "EU", "block", "Grok", "potential")),
]


@pytest.mark.parametrize(("sentence", "expected"), WORKED)
def test_worked_example(sentence: str, expected: tuple[str, ...]) -> None:
    _, a = events_of("nl", sentence)
    got = {(e.actor, e.jurisdiction, e.measure, e.target, e.status) for e in a.events}
    assert expected in got, got


def test_worked_example_details() -> None:
    _, a = events_of("nl", "Maleisië heeft de toegang tot Grok voorlopig beperkt. Dat "
                           "bevestigde de Maleisische internettoezichthouder afgelopen zondag.")
    ev = next(e for e in a.events if e.measure == "block")
    assert ev.date is not None and ev.date.isoformat() == "2026-01-11"
    assert "mcmc" in {r.id for r in a.regulators}
    assert "MY" in a.countries
    _, b = events_of("nl", "Het maken van ongevraagd seksueel getint beeldmateriaal is in "
                           "Nederland strafbaar.")
    assert b.events == [] and "NL" in b.countries


def test_similar_measures_repeat_previous_measure() -> None:
    found, _ = events_of("nl", "Maleisië heeft de toegang tot Grok beperkt. Indonesië nam een "
                               "dag eerder al vergelijkbare maatregelen tegen Grok.")
    assert ("ID", "block", "actual") in found
