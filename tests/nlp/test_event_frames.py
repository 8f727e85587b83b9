"""Generic frames that decide whether a measure word is an action (own sentences)."""

from __future__ import annotations

import pytest

import nlp

CONTEXT = {
    "nl": "Met de AI-chatbot Grok werden seksueel expliciete deepfakes en naaktbeelden van "
          "vrouwen en minderjarigen gemaakt zonder toestemming.",
    "en": "The AI chatbot Grok was used to create sexually explicit deepfakes and nude images "
          "of women and minors without their consent.",
}


def events(lang: str, text: str) -> set[tuple[str, str, str]]:
    a = nlp.analyze(CONTEXT[lang] + " " + text, lang=lang, published="2026-02-01")
    assert a.relevant
    return {(e.jurisdiction, e.measure, e.status) for e in a.events}


@pytest.mark.parametrize(("lang", "text", "expected"), [
    # coordinated actors each act
    ("nl", "Turkije, Pakistan en Vietnam blokkeerden de chatbot vorige week.",
     {("TR", "block", "actual"), ("PK", "block", "actual"), ("VN", "block", "actual")}),
    ("en", "Brazil and Chile blocked Grok on Friday.",
     {("BR", "block", "actual"), ("CL", "block", "actual")}),
    # passive agent after a determiner, coordinated
    ("nl", "Het platform wordt ook onderzocht door de Europese Commissie en Frankrijk.",
     {("EU", "investigation", "actual"), ("FR", "investigation", "actual")}),
    # "similar measures" keep the previous target
    ("nl", "Vietnam blokkeerde Grok. Thailand nam twee dagen later vergelijkbare maatregelen.",
     {("VN", "block", "actual"), ("TH", "block", "actual")}),
    # a generic product noun refers back to the last named platform
    ("nl", "In Thailand is de toegang tot de chatbot inmiddels beperkt.",
     {("TH", "block", "actual")}),
    ("en", "Pakistan has blocked several nudify websites.", {("PK", "block", "actual")}),
    # passive measure on a platform: the public agent acts, not the platform
    ("nl", "Zo werd de website Clothoff vorige maand geblokkeerd na ingrijpen van de "
           "Autoriteit Persoonsgegevens.", {("NL", "block", "actual")}),
    # clause-level planning frames
    ("en", "The directive is pending adoption by the European Parliament.",
     {("EU", "legislation", "planned")}),
    ("nl", "In de komende fase stuurt de Europese Commissie X aanvullende informatieverzoeken.",
     {("EU", "order", "planned")}),
    # an evaluative word is a warning only in a speech frame
    ("en", "The images made with Grok are unacceptable, the Irish government said.",
     {("IE", "warning", "actual")}),
    ("nl", "De Britse premier noemde de beelden van Grok walgelijk.",
     {("GB", "warning", "actual")}),
])
def test_frames_that_make_events(lang: str, text: str, expected: set) -> None:
    assert expected <= events(lang, text)


@pytest.mark.parametrize(("lang", "text"), [
    # private lawsuits and complaints are no event until a court or prosecutor acts
    ("nl", "De rechtszaak, aangespannen in Londen door een influencer, beschrijft hoe de "
           "chatbot haar uitkleedde."),
    ("nl", "Twee slachtoffers hebben een dagvaarding ingediend bij de rechtbank in Breda."),
    ("en", "The victims filed a lawsuit in California against the app maker."),
    ("en", "The new bill allows victims to sue the makers of such apps."),
    # the law is the subject: its content, not a separate measure
    ("en", "The law also requires the government to publish guidance."),
    ("nl", "De wet moet lidstaten verplichten om meldpunten op te richten."),
    ("nl", "Bij verspreiding gaat het om een mogelijke celstraf onder het nieuwe voorstel."),
    # idioms and non-public agents
    ("nl", "De chatbot maakte de beelden op verzoek van gebruikers in Duitsland."),
    ("en", "The images were made at the request of users in Germany."),
    ("en", "A separate investigation by Bellingcat found hundreds of such apps in Germany."),
    ("nl", "Slachtoffers hebben er veel last van, zei een onderzoeker in Duitsland."),
    # a platform is the subject: no public measure
    ("en", "In Germany, Apple removed 20 apps and issued warnings to developers."),
    # titles of laws in force are no legislation
    ("en", "Police in India cited the Protection of Children from Sexual Offences Act."),
    # clothing removed is the abuse, not a platform measure
    ("nl", "De kledij die van het lichaam wordt gehaald, verkoopt Child Focus via Vinted."),
])
def test_frames_that_make_no_events(lang: str, text: str) -> None:
    found = events(lang, text)
    assert not {e for e in found if e[1] != "platform_measure" or "Vinted" in text}, found


@pytest.mark.parametrize(("lang", "text"), [
    # a private party asking a court for a measure
    ("nl", "De eisers willen dat de rechter in Breda de functie van Grok meteen verbiedt."),
    ("en", "The plaintiffs ask the court in Texas to order X to block Grok."),
    # a body of law in force named by its country adjective
    ("en", "There are loopholes in the Irish laws governing such images."),
    ("nl", "Dat is in strijd met de Duitse wetgeving over beeldrecht."),
])
def test_requests_and_laws_in_force_are_no_events(lang: str, text: str) -> None:
    assert events(lang, text) == set()


@pytest.mark.parametrize(("lang", "text", "expected"), [
    # a passive weighing right after the measure noun makes it potential
    ("en", "Further legal measures are to be considered by the Irish government.",
     ("IE", "legislation", "potential")),
    ("nl", "Een verbod op uitkleedapps wordt in Nederland als optie onderzocht.",
     ("NL", "legislation", "potential")),
    # inability is a fact, not a possibility
    ("nl", "In Vietnam kunnen mensen er helemaal geen gebruik van maken van Grok.",
     ("VN", "block", "actual")),
])
def test_status_frames(lang: str, text: str, expected: tuple[str, str, str]) -> None:
    assert expected in events(lang, text)
