"""Generated articles for the search tests and bench/search.py.

:func:`corpus` is a small, hand-written, fully known corpus: thirteen stories in
Dutch and English (some syndicated to several outlets with a different headline
and a wire tag), plus off-topic articles, with known countries, regulators,
platforms, events and dates, so tests can assert exact counts. :func:`bulk`
generates any number of realistic-length articles for the benchmark.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from index.ids import article_id


def _ev(actor: str, jurisdiction: str, measure: str, target: str, status: str,
        evidence: str = "", when: str | None = None) -> dict[str, Any]:
    return {"actor": actor, "jurisdiction": jurisdiction, "measure": measure, "target": target,
            "status": status, "date": when, "evidence": evidence, "confidence": 0.9}


def _reg(rid: str, name: str, country: str) -> dict[str, str]:
    return {"id": rid, "name": name, "country": country}


OFCOM = _reg("ofcom", "Ofcom", "GB")
MCMC = _reg("mcmc", "Malaysian Communications and Multimedia Commission", "MY")
KOMDIGI = _reg("komdigi", "Ministry of Communication and Digital Affairs", "ID")
EC = _reg("european-commission", "European Commission", "EU")
UKGOV = _reg("uk-government", "UK Government", "GB")
JUSTIZ = _reg("ministerie-van-justitie-en-veiligheid", "Ministry of Justice and Security", "NL")
SFCA = _reg("san-francisco-city-attorney", "San Francisco City Attorney", "US")
ESAFETY = _reg("esafety-commissioner", "eSafety Commissioner", "AU")

# (key, lang, date, [(source, title)], body, analysis)
STORIES: list[dict[str, Any]] = [
    {"key": "ofcom-en", "lang": "en", "published": "2026-01-12T09:30:00+00:00",
     "copies": [("wire-uk", "Ofcom opens investigation into X over Grok images"),
                ("dailynews", "UK regulator probes X after Grok deepfake images"),
                ("techpost", "Ofcom investigates X over sexualised Grok pictures")],
     "body": "The British media regulator Ofcom has opened a formal investigation into X "
             "after thousands of sexualised images of real women and girls were generated "
             "with the Grok chatbot. The regulator will examine whether the platform met its "
             "duties under the Online Safety Act to assess the risk of illegal content and to "
             "remove it quickly once reported. A fine of up to ten percent of global turnover "
             "is possible if breaches are found, the watchdog said on Monday.",
     "analysis": {"regulators": [OFCOM], "countries": ["GB"], "platforms": ["X", "Grok"],
                  "events": [_ev("ofcom", "GB", "investigation", "X", "actual")]}},
    {"key": "ofcom-nl", "lang": "nl", "published": "2026-01-13T08:00:00+01:00",
     "copies": [("nieuwsdienst", "Ofcom start onderzoek naar X om Grok-beelden"),
                ("dagblad", "Britse toezichthouder onderzoekt X na naaktbeelden")],
     "body": "De Britse mediatoezichthouder Ofcom is een formeel onderzoek gestart naar X. "
             "Aanleiding zijn de duizenden beelden die gebruikers met de chatbot Grok maakten "
             "van echte vrouwen en meisjes, waarop zij zonder toestemming naakt werden "
             "afgebeeld. Volgens Ofcom moet worden vastgesteld of X zich houdt aan de Online "
             "Safety Act. Het onderzoek kan uitmonden in een boete van maximaal tien procent "
             "van de wereldwijde omzet van het bedrijf.",
     "analysis": {"regulators": [OFCOM], "countries": ["GB"], "platforms": ["X", "Grok"],
                  "events": [_ev("ofcom", "GB", "investigation", "X", "actual")]}},
    {"key": "maleisie", "lang": "nl", "published": "2026-01-11T18:00:00+01:00",
     "copies": [("nieuwsdienst", "Maleisië beperkt toegang tot Grok")],
     "body": "Maleisië heeft de toegang tot de chatbot Grok voorlopig beperkt. De Maleisische "
             "communicatietoezichthouder MCMC zegt dat de dienst herhaaldelijk werd misbruikt "
             "om nepnaaktbeelden van vrouwen en kinderen te maken. De beperking blijft van "
             "kracht totdat het bedrijf achter Grok betere waarborgen heeft ingebouwd, aldus "
             "de toezichthouder in een verklaring.",
     "analysis": {"regulators": [MCMC], "countries": ["MY"], "platforms": ["Grok", "xAI"],
                  "events": [_ev("mcmc", "MY", "block", "Grok", "actual")]}},
    {"key": "indonesia", "lang": "en", "published": "2026-01-10T07:15:00+00:00",
     "copies": [("wire-asia", "Indonesia blocks Grok over deepfake images"),
                ("techpost", "Indonesia becomes first country to block Grok")],
     "body": "Indonesia temporarily blocked access to the Grok chatbot on Saturday, saying "
             "the artificial intelligence tool had been used to create non-consensual sexual "
             "deepfakes of women and minors. The communications ministry said the block "
             "would stay in place until xAI showed it could prevent such abuse, and summoned "
             "representatives of the company to explain its safeguards.",
     "analysis": {"regulators": [KOMDIGI], "countries": ["ID"], "platforms": ["Grok", "xAI"],
                  "events": [_ev("komdigi", "ID", "block", "Grok", "actual")]}},
    {"key": "ec-en", "lang": "en", "published": "2026-01-08T12:00:00+00:00",
     "copies": [("brusselsreport", "Commission orders X to keep Grok documents")],
     "body": "The European Commission has ordered X to retain all internal documents and "
             "data relating to Grok until the end of the year, extending an earlier "
             "retention order under the Digital Services Act. A Commission spokesperson "
             "called the sexualised images produced by the chatbot illegal and appalling, "
             "and said the executive was looking very seriously into the matter.",
     "analysis": {"regulators": [EC], "countries": ["EU"], "platforms": ["X", "Grok"],
                  "events": [_ev("european-commission", "EU", "order", "X", "actual")]}},
    {"key": "ec-nl", "lang": "nl", "published": "2026-01-09T10:00:00+01:00",
     "copies": [("dagblad", "Europese Commissie eist documenten van X over Grok")],
     "body": "De Europese Commissie heeft X opgedragen alle interne documenten over Grok te "
             "bewaren tot het einde van het jaar. Daarmee wordt een eerder bevel op grond van "
             "de Digitale Dienstenverordening verlengd. Een woordvoerder noemde de "
             "seksueel getinte beelden die de chatbot maakt illegaal en verschrikkelijk.",
     "analysis": {"regulators": [EC], "countries": ["EU", "NL"], "platforms": ["X", "Grok"],
                  "events": [_ev("european-commission", "EU", "order", "X", "actual")]}},
    {"key": "sf", "lang": "en", "published": "2025-08-15T16:00:00+00:00",
     "copies": [("uswire", "San Francisco sues nudify websites")],
     "body": "The San Francisco City Attorney has filed a lawsuit against sixteen websites "
             "that let users undress photos of women and girls with artificial intelligence. "
             "The complaint accuses the operators, including the company behind Clothoff, of "
             "violating state laws against deepfake pornography and child sexual abuse "
             "material, and asks the court to shut the sites down.",
     "analysis": {"regulators": [SFCA], "countries": ["US"], "platforms": ["Clothoff"],
                  "events": [_ev("san-francisco-city-attorney", "US", "legal_action",
                                 "Clothoff", "actual")]}},
    {"key": "ukbill", "lang": "en", "published": "2025-12-18T11:00:00+00:00",
     "copies": [("wire-uk", "UK to criminalise nudification apps"),
                ("dailynews", "Government plans ban on apps that create fake nudes")],
     "body": "The UK government will introduce legislation to make it a criminal offence to "
             "create or supply apps designed to generate nude images of real people without "
             "consent, the technology secretary announced. The planned law would sit "
             "alongside existing offences for sharing intimate deepfakes and give police new "
             "powers against the developers of so-called nudification tools.",
     "analysis": {"regulators": [UKGOV], "countries": ["GB"], "platforms": [],
                  "events": [_ev("uk-government", "GB", "legislation", "", "planned")]}},
    {"key": "ukact", "lang": "en", "published": "2026-01-15T13:00:00+00:00",
     "copies": [("wire-uk", "Ban on nudification apps becomes law in the UK")],
     "body": "Creating or supplying an app that generates nude images of real people without "
             "their consent is now a criminal offence in the United Kingdom, after the new "
             "law received royal assent on Thursday. Campaigners welcomed the change but said "
             "enforcement against developers based abroad would be the real test.",
     "analysis": {"regulators": [UKGOV], "countries": ["GB"], "platforms": [],
                  "events": [_ev("uk-government", "GB", "legislation", "", "actual")]}},
    {"key": "kabinet", "lang": "nl", "published": "2025-11-20T14:00:00+01:00",
     "copies": [("nieuwsdienst", "Kabinet wil maken van deepfakeporno strafbaar stellen")],
     "body": "Het kabinet komt met een wetsvoorstel om het maken van seksuele deepfakes van "
             "echte personen zonder toestemming expliciet strafbaar te stellen. Minister van "
             "Justitie en Veiligheid schrijft aan de Tweede Kamer dat slachtoffers nu te "
             "weinig bescherming hebben. Het voorstel gaat binnenkort in internetconsultatie.",
     "analysis": {"regulators": [JUSTIZ], "countries": ["NL"], "platforms": [],
                  "events": [_ev("ministerie-van-justitie-en-veiligheid", "NL", "legislation",
                                 "", "planned")]}},
    {"key": "euban", "lang": "en", "published": "2026-01-14T15:00:00+00:00",
     "copies": [("brusselsreport", "A European ban on Grok is not unthinkable, MEPs say")],
     "body": "Members of the European Parliament said a Europe wide ban on Grok could not be "
             "ruled out if the chatbot keeps producing sexualised images of real people. "
             "Several lawmakers urged Brussels to use its strongest powers against the "
             "service, while others warned that a ban would be hard to enforce in practice.",
     "analysis": {"regulators": [], "countries": ["EU"], "platforms": ["Grok"],
                  "events": [_ev("EU", "EU", "block", "Grok", "potential")]}},
    {"key": "xai-nl", "lang": "nl", "published": "2026-01-09T20:00:00+01:00",
     "copies": [("dagblad", "xAI beperkt beeldgeneratie tot betalende gebruikers")],
     "body": "xAI heeft bekendgemaakt dat alleen betalende gebruikers nog afbeeldingen kunnen "
             "genereren met Grok. Het bedrijf reageert daarmee op de golf van kritiek op "
             "ongevraagde naaktbeelden. Critici noemen de maatregel onvoldoende omdat "
             "betalende gebruikers nog steeds beelden van echte mensen kunnen bewerken.",
     "analysis": {"regulators": [], "countries": [], "platforms": ["xAI", "Grok"],
                  "events": [_ev("xAI", "", "platform_measure", "Grok", "actual")]}},
    {"key": "esafety", "lang": "en", "published": "2025-10-02T03:00:00+00:00",
     "copies": [("ausnews", "eSafety fines operator of nudify app")],
     "body": "Australia's eSafety Commissioner has fined the operator of a nudify app after "
             "it failed to respond to a legal notice about how it prevents the creation of "
             "sexual images of children. The regulator also issued a formal warning to two "
             "other services and said further enforcement action was likely this year.",
     "analysis": {"regulators": [ESAFETY], "countries": ["AU"], "platforms": ["Clothoff"],
                  "events": [_ev("esafety-commissioner", "AU", "fine", "Clothoff", "actual"),
                             _ev("esafety-commissioner", "AU", "warning", "", "actual")]}},
]
OFF_TOPIC = [
    ("en", "2026-01-12T10:00:00+00:00", "dailynews", "Local team wins the cup",
     "The local football team won the national cup on Sunday after a dramatic penalty "
     "shootout. Supporters celebrated in the streets until late at night, and the mayor "
     "promised a reception at the town hall next week for players and staff.", ["GB"]),
    ("nl", "2026-01-13T10:00:00+01:00", "dagblad", "Storm zorgt voor overlast in het noorden",
     "Een zware storm heeft in het noorden van het land voor veel overlast gezorgd. Bomen "
     "waaiden om, treinen reden niet en duizenden huishoudens zaten urenlang zonder stroom. "
     "Het KNMI had code oranje afgegeven voor de kustprovincies.", ["NL"]),
    ("en", "2025-12-01T10:00:00+00:00", "techpost", "Regulator fines bank over outages",
     "The financial regulator fined a large bank over repeated outages of its mobile "
     "banking app, which left customers unable to pay for weeks. The investigation found "
     "that the bank had ignored warnings about its ageing systems.", ["GB"]),
]
WIRE_TAG = {"en": "(Reuters) ", "nl": "(ANP) "}
WIRE_TAIL = {"en": " Reporting by staff; editing by the desk.",
             "nl": " Bron: ANP, bewerkt door de redactie."}


def _article(url: str, source: str, title: str, text: str, lang: str, published: str,
             analysis: dict[str, Any]) -> dict[str, Any]:
    measures = sorted({e["measure"] for e in analysis.get("events", [])})
    return {"id": article_id(url), "url": url, "canonical_url": url, "source": source,
            "title": title, "text": text, "lang": lang, "published": published,
            "nlp_version": "synthetic", "analysis": {**analysis, "measures": measures}}


def corpus() -> list[dict[str, Any]]:
    """The test corpus: 18 relevant articles in 13 stories, 3 off-topic articles."""
    out = []
    for story in STORIES:
        lang = story["lang"]
        analysis = {"lang": lang, "relevant": True, "relevance_score": 0.9,
                    **story["analysis"]}
        for i, (source, title) in enumerate(story["copies"]):
            text = story["body"]
            if i:  # syndicated copies: the wire tag in front, a credit line behind
                text = WIRE_TAG[lang] + text + (WIRE_TAIL[lang] if i == 2 else "")
            url = f"https://{source}.example/{story['key']}"
            out.append(_article(url, source, title, text, lang, story["published"],
                                analysis))
    for i, (lang, published, source, title, text, countries) in enumerate(OFF_TOPIC):
        analysis = {"lang": lang, "relevant": False, "relevance_score": 0.05,
                    "countries": countries, "regulators": [], "platforms": [], "events": []}
        out.append(_article(f"https://{source}.example/off-{i}", source, title, text, lang,
                            published, analysis))
    return out


# -- the benchmark corpus -------------------------------------------------------

_EN = ("the regulator said platform images deepfake investigation women girls online safety "
       "law company users fine court police government minister report chatbot app sexual "
       "abuse children content illegal consent victims developers ban access country new "
       "european commission week statement rules powers data service public pressure "
       "technology artificial intelligence generated nude pictures apps websites operators "
       "parliament lawmakers enforcement action policy social media accounts removed").split()
_NL = ("de het een toezichthouder zei platform beelden deepfake onderzoek vrouwen meisjes "
       "online veiligheid wet bedrijf gebruikers boete rechter politie kabinet minister "
       "rapport chatbot app seksueel misbruik kinderen inhoud illegaal toestemming "
       "slachtoffers ontwikkelaars verbod toegang land nieuwe europese commissie week "
       "verklaring regels bevoegdheden gegevens dienst publieke druk technologie kunstmatige "
       "intelligentie gemaakte naaktbeelden apps websites exploitanten kamer politici "
       "handhaving maatregel beleid sociale media accounts verwijderd").split()
_NAMES = ["Ofcom", "Grok", "X", "Meta", "Telegram", "Clothoff", "xAI", "Brussel", "Londen",
          "Amsterdam", "Maleisië", "Indonesië", "Australië", "Canada"]
_COUNTRIES = ["GB", "NL", "EU", "US", "MY", "ID", "AU", "FR", "DE", "BE", "IE", "CA"]
_REGS = [("ofcom", "GB"), ("european-commission", "EU"), ("mcmc", "MY"), ("komdigi", "ID"),
         ("esafety-commissioner", "AU"), ("autoriteit-persoonsgegevens", "NL"),
         ("arcom", "FR"), ("ftc", "US"), ("coimisiun-na-mean", "IE")]
_PLATFORMS = ["X", "Grok", "xAI", "Meta", "Telegram", "Clothoff", "TikTok", "Discord"]
_MEASURES = ["investigation", "block", "fine", "legal_action", "legislation", "order",
             "warning", "platform_measure"]
_STATUSES = ["actual", "actual", "planned", "potential"]
_SOURCES = [f"source-{i:02d}" for i in range(40)]


def _text(rng: random.Random, words: list[str], n: int) -> str:
    out, sentence = [], []
    for _ in range(n):
        w = rng.choice(words) if rng.random() > 0.06 else rng.choice(_NAMES)
        sentence.append(w)
        if len(sentence) > rng.randint(9, 22):
            s = " ".join(sentence)
            out.append(s[0].upper() + s[1:] + ".")
            sentence = []
    if sentence:
        s = " ".join(sentence)
        out.append(s[0].upper() + s[1:] + ".")
    return " ".join(out)


def bulk(n: int, *, seed: int = 42, start: date = date(2024, 1, 1),
         days: int = 730) -> Iterator[dict[str, Any]]:
    """``n`` random articles (60% Dutch), 150-900 words, 80% relevant, dates over
    ``days`` days, about 10% syndicated copies of an earlier article."""
    rng = random.Random(seed)
    recent: list[tuple[str, str, dict[str, Any], str]] = []
    for i in range(n):
        lang = "nl" if rng.random() < 0.6 else "en"
        published = (start + timedelta(days=rng.randrange(days))).isoformat() \
            + f"T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00+00:00"
        source = rng.choice(_SOURCES)
        url = f"https://{source}.example/{i}"
        if recent and rng.random() < 0.1:  # a syndicated copy of a recent article
            title, text, analysis, lang = rng.choice(recent)
            text = WIRE_TAG[lang] + text
        else:
            words = _NL if lang == "nl" else _EN
            title = _text(rng, words, rng.randint(6, 12)).rstrip(".")
            text = _text(rng, words, rng.randint(150, 900))
            relevant = rng.random() < 0.8
            events = []
            if relevant:
                for _ in range(rng.choice([0, 1, 1, 2, 3])):
                    actor, country = rng.choice(_REGS)
                    events.append(_ev(actor, country, rng.choice(_MEASURES),
                                      rng.choice(_PLATFORMS + [""]), rng.choice(_STATUSES)))
            regs = [{"id": e["actor"], "country": e["jurisdiction"]} for e in events]
            analysis = {"lang": lang, "relevant": relevant,
                        "relevance_score": round(rng.random(), 3),
                        "regulators": regs,
                        "countries": sorted({*rng.sample(_COUNTRIES, rng.randint(0, 3)),
                                             *(e["jurisdiction"] for e in events)}),
                        "platforms": sorted(set(rng.sample(_PLATFORMS, rng.randint(0, 3)))),
                        "events": events}
            recent.append((title, text, analysis, lang))
            if len(recent) > 200:
                recent.pop(0)
        yield _article(url, source, title, text, lang, published, analysis)


# -- the analysis corpus --------------------------------------------------------------

# (lang, title, text): written for the test of both backends' analysis (Dutch and
# English word forms, accents, possessives, numbers); not news
ANALYSIS_TEXTS: list[tuple[str | None, str, str]] = [
    ("nl", "Toezichthouder onderzoekt deepfake-app",
     "De toezichthouder onderzoekt een app die deepfakes maakt. Eerder werd de maker al "
     "onderzocht door de politie in Maleisië."),
    ("nl", "Onderzoeken naar deepfakes lopen vast",
     "Twee onderzoeken naar het maken van deepfakes zijn gestopt. De regels voor zulke "
     "beelden zijn onduidelijk, zegt de naïeve woordvoerder van het café."),
    ("nl", "Kabinet wil verbod op deepfake",
     "Het kabinet wil een verbod. Verboden beelden moeten binnen 24 uur weg; de regelgeving "
     "geldt vanaf 1 januari. Het onderzoek duurt 3,5 maand."),
    ("nl", "Nieuwe regel voor apps",
     "Apps die naaktbeelden genereren worden verboden. De minister verbiedt de verkoop en "
     "laat de technologie onderzoeken door de Autoriteit."),
    ("en", "Regulator investigates deepfake apps",
     "The regulator investigates apps that generate deepfakes. Musk's company said the "
     "technology was investigated before, in Malaysia and in a cafe in Brussels."),
    ("en", "Investigation into deepfakes widens",
     "Two investigations into deepfake images are open. Lawmakers want to investigate the "
     "technologies and the company's policies; the fine is 3.5 million."),
    ("en", "Ban on nudify technology",
     "The ministry banned the app. Banning such apps is one of the new rules; a rule for "
     "deepfake videos follows, the minister's office said on Monday."),
    ("en", "Café owner targeted by a deepfake",
     "A fake video of the café owner spread online. The police are investigating who made "
     "the deepfake and whether the platform's generalizations about consent hold."),
    (None, "Deepfake onderzoek international",
     "Deepfakes, investigations and onderzoeken: an article in no known language mixes "
     "both, with Maleisie spelt without its accent."),
]


def analysis_corpus() -> list[dict[str, Any]]:
    """Articles in Dutch, English and an unknown language for comparing how the two
    backends analyse words (all relevant, one story each)."""
    out = []
    for i, (lang, title, text) in enumerate(ANALYSIS_TEXTS):
        analysis = {"lang": lang, "relevant": True, "relevance_score": 0.9,
                    "countries": [], "regulators": [], "platforms": [], "events": []}
        out.append(_article(f"https://analysis.example/{i}", "analysis", title, text,
                            lang or "", f"2026-01-{i + 1:02d}T08:00:00Z", analysis))
    return out
