"""Robustness, hard negatives, language id, API shape."""

from __future__ import annotations

import json
from datetime import date

import pytest

import nlp
from nlp.dates import find_dates

KEYS = {"lang", "relevant", "relevance_score", "regulators", "countries", "platforms",
        "measures", "events"}
EVENT_KEYS = {"actor", "jurisdiction", "measure", "target", "status", "date", "evidence",
              "confidence"}


def check_shape(a: nlp.Analysis) -> dict:
    d = a.to_dict()
    assert set(d) == KEYS
    json.dumps(d)
    for e in d["events"]:
        assert set(e) == EVENT_KEYS
    return d


@pytest.mark.parametrize("text", [
    "",
    "   \n\t ",
    "\x00\x01\x02\xff\xfe" * 2000,
    bytes(range(256)).decode("latin-1") * 50,
    "<html><head><script>var x = '<p>';</script></head><body><p>Ofcom opent een onderzoek "
    "naar <b>Grok</b> over seksuele deepfakes.</p></body></html>",
    "Ofcom opened an investigation into Grok. De Europese Commissie onderzoekt X ook.",
    "a" * 10_000,
    "🙂" * 500,
])
def test_odd_input_gives_valid_output(text: str) -> None:
    check_shape(nlp.analyze(text))


def test_huge_text_is_capped() -> None:
    text = ("Ofcom opened an investigation into Grok over sexual deepfakes. " * 80_000)[:5_000_000]
    d = check_shape(nlp.analyze(text))
    assert d["lang"] == "en"


def test_html_is_stripped() -> None:
    a = nlp.analyze("<div><p>Ofcom opened an investigation into X after Grok made sexual "
                    "deepfakes and nude images of women.</p><script>alert(1)</script></div>")
    assert "ofcom" in {r.id for r in a.regulators}
    assert "alert" not in a.events[0].evidence if a.events else True


@pytest.mark.parametrize(("text", "lang"), [
    ("De Europese Commissie is een onderzoek gestart naar X.", "nl"),
    ("The European Commission has opened an investigation into X.", "en"),
    ("Ofcom onderzoekt Grok", "nl"),
    ("Die Kommission hat ein Verfahren gegen X eröffnet und prüft die Vorwürfe.", "de"),
])
def test_language(text: str, lang: str) -> None:
    assert nlp.analyze(text).lang == lang


HARD_NEGATIVES = [
    # general AI news
    ("en", "OpenAI released a new version of ChatGPT that writes code faster, and the "
           "European Commission said the AI Act will apply to such general-purpose models."),
    # AI Act news not about imagery
    ("nl", "De Europese AI-verordening verplicht bedrijven om risico's van hun AI-systemen in "
           "kaart te brengen. De Europese Commissie houdt toezicht op de naleving."),
    # Grok politics
    ("en", "Grok, the chatbot from xAI, was criticised for political answers about the "
           "election, and Turkish prosecutors opened an investigation into its insults."),
    # voice-scam deepfakes
    ("nl", "Oplichters gebruiken deepfake-stemmen om geld te vragen aan familieleden. De "
           "politie waarschuwt voor deze vorm van fraude met kunstmatige intelligentie."),
    ("en", "Scammers used an AI voice clone of a CEO to steal $25 million; police in Hong "
           "Kong arrested six people in the fraud investigation."),
]


@pytest.mark.parametrize(("lang", "text"), HARD_NEGATIVES)
def test_hard_negatives_not_relevant(lang: str, text: str) -> None:
    a = nlp.analyze(text, lang=lang)
    assert not a.relevant, a.relevance_score
    assert a.events == [] and a.measures == []


@pytest.mark.parametrize(("text", "expected"), [
    ("afgelopen zondag", date(2026, 1, 11)),
    ("last Sunday", date(2026, 1, 11)),
    ("gisteren", date(2026, 1, 12)),
    ("on Monday", date(2026, 1, 12)),
    ("11 januari 2026", date(2026, 1, 11)),
    ("January 11, 2026", date(2026, 1, 11)),
    ("Jan. 11", date(2026, 1, 11)),
])
def test_dates(text: str, expected: date) -> None:
    assert find_dates(text, date(2026, 1, 13))[0] == expected


def test_relative_date_needs_published() -> None:
    assert find_dates("afgelopen zondag", None) == []


def test_title_is_first_sentence() -> None:
    a = nlp.analyze("The chatbot made sexual deepfakes: AI-generated nude images of women "
                    "and children were shared without consent.",
                    title="Ofcom opens investigation into Grok")
    assert ("GB", "investigation") in {(e.jurisdiction, e.measure) for e in a.events}


def test_countries_and_platforms_canonical() -> None:
    a = nlp.analyze("Maleisische en Britse toezichthouders kijken naar Grok-beelden op "
                    "WhatsApp-groepen en X. In Californië en Seoul ook.", lang="nl")
    assert {"MY", "GB", "US", "KR"} <= set(a.countries)
    assert {"Grok", "WhatsApp", "X"} <= set(a.platforms)


def test_analyze_many_keeps_order() -> None:
    items = [("Ofcom opened an investigation into Grok over sexual deepfakes.", {}),
             ("", {}),
             ("Het OM vervolgt een man voor deepfakeporno.", {"lang": "nl"})]
    out = list(nlp.analyze_many(items))
    assert [a.lang for a in out] == ["en", "und", "nl"]
    assert isinstance(nlp.NLP_VERSION, str)
