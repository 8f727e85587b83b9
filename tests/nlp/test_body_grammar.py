"""Body-name grammar (nlp/bodies.py): public bodies found from their shape, with places
that no list of the project holds. Sentences written for these tests."""

from __future__ import annotations

import pytest

import nlp
from nlp import bodies
from nlp.gazetteer import load
from nlp.mentions import collect
from nlp.pipeline import get_nlp


def found(lang: str, text: str) -> dict[str, tuple[str, str]]:
    """id -> (name, country) of the bodies collected from ``text``."""
    g = load()
    m = collect(get_nlp(lang)(text), g, lang)
    known = {**g.bodies, **m.extra_bodies}
    return {b.value: (known[b.value].name, b.country) for b in m.bodies if b.kind == "body"}


# (lang, sentence, id, country)
POSITIVE = [
    ("en", "The Brookfield Police Department arrested a teenager over fake nude photos.",
     "brookfield-police-department", "US"),
    ("en", "Officers of the Pune Police registered a case against the app's operator.",
     "pune-police", "IN"),
    ("en", "The Court of Lecce ordered the removal of the manipulated images.",
     "court-of-lecce", "IT"),
    ("en", "The Alberta government promised a law against sexual deepfakes.",
     "government-of-alberta", "CA"),
    ("en", "The Manitoba legislature passed the intimate images bill on Tuesday.",
     "manitoba-legislature", "CA"),
    ("en", "Kenya's Ministry of ICT warned the platform over the fake images.",
     "ke-ministry-of-ict", "KE"),
    ("en", "A judge at the Fresno County Superior Court sentenced the man.",
     "fresno-county-superior-court", "US"),
    ("en", "The Chiba Prefectural Police arrested a man for selling the pictures.",
     "chiba-prefectural-police", "JP"),
    ("en", "The Supreme Court of Taiwan upheld the sentence.", "supreme-court-of-taiwan", "TW"),
    ("en", "The case went to Guildford Crown Court last week.", "guildford-crown-court", "GB"),
    ("en", "A bipartisan coalition of 41 attorneys general wrote to the company.",
     "us-state-attorneys-general", "US"),
    ("en", "Prosecutors in Bari opened a case against the app.",
     "bari-prosecutors-office", "IT"),
    ("nl", "De rechtbank Zutphen veroordeelde de man tot een taakstraf.",
     "zutphen-district-court", "NL"),
    ("nl", "De gemeente Heerhugowaard doet aangifte tegen de makers van de app.",
     "gemeente-heerhugowaard", "NL"),
    ("nl", "De burgemeester van Wageningen wil een verbod op de app.",
     "gemeente-wageningen", "NL"),
    ("nl", "Het parket van Kortrijk heeft een onderzoek geopend naar de beelden.",
     "parket-kortrijk", "BE"),
    ("nl", "Het Milanese parket opende een onderzoek naar de website.",
     "parket-milan", "IT"),
    ("nl", "De politie in Pune heeft een man gearresteerd.", "pune-police", "IN"),
    ("nl", "De provincie Gelderland start een campagne tegen deepfakes.",
     "provincie-gelderland", "NL"),
]


@pytest.mark.parametrize(("lang", "text", "rid", "country"), POSITIVE)
def test_body_from_its_shape(lang: str, text: str, rid: str, country: str) -> None:
    got = found(lang, text)
    assert rid in got, got
    assert got[rid][1] == country


# (lang, sentence, id that must not appear or "" for: no grammar body at all)
NEGATIVE = [
    ("en", "Reading police reports about the images is painful.", ""),
    ("en", "Nice police work, said the commentator.", ""),
    ("en", "The scandal was judged in the court of public opinion.", ""),
    ("en", "The newspaper's investigations desk found dozens of such apps.", ""),
    ("en", "She moved to the city of Sanda last year.", ""),
    ("en", "The Labour government promised a new law.", ""),
    ("nl", "De politie in Utrecht heeft een man aangehouden.", ""),
    ("nl", "De Britse politie doet onderzoek naar de beelden.", ""),
]


@pytest.mark.parametrize(("lang", "text", "rid"), NEGATIVE)
def test_not_a_body(lang: str, text: str, rid: str) -> None:
    g = load()
    got = found(lang, text)
    new = {k for k in got if k not in g.bodies}
    assert (rid not in got) if rid else not new, got


# a nationality adjective attaches to the body it modifies, not to the home country
ADJECTIVES = [
    ("en", "Belgian officials met. The British data protection authority also opened an "
           "inquiry, and the Brazilian data-protection authority followed.", {"GB", "BR"}),
    ("nl", "In België is er ophef. De Braziliaanse toezichthouder eist dat X ingrijpt.", {"BR"}),
    ("en", "The Kenyan government said it would act.", {"KE"}),
]


@pytest.mark.parametrize(("lang", "text", "countries"), ADJECTIVES)
def test_adjective_names_the_country(lang: str, text: str, countries: set[str]) -> None:
    got = found(lang, text)
    assert countries <= {c for _n, c in got.values()}, got
    assert "BE" not in {c for _n, c in got.values()}


def test_gazetteer_entry_wins() -> None:
    got = found("en", "The Minnesota legislature passed the bill.")
    assert "minnesota-legislature" in got
    got = found("nl", "De rechtbank Amsterdam deed uitspraak.")
    assert len(got) == 1


# place resolution: home country first, then the largest population
@pytest.mark.parametrize(("name", "home", "country"), [
    ("Ede", "NL", "NL"), ("Ede", "", "NG"), ("Paris", "", "FR"), ("Parijs", "", "FR"),
    ("Manchester", "", "GB"), ("Manchester", "US", "US"), ("Alberta", "", "CA"),
    ("Gyeonggi", "", "KR"), ("Lecce", "", "IT"), ("Atlantis Nowhere", "", ""),
])
def test_resolve(name: str, home: str, country: str) -> None:
    assert bodies.resolve(name, home)[0] == country


def test_slug() -> None:
    assert bodies.slug("Paris Public Prosecutor's Office") == "paris-public-prosecutors-office"
    assert bodies.slug("Court of Québec") == "court-of-quebec"


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "A new Online Harms Commission and a planned bill should give victims of deepfake "
           "porn faster help."),
    ("nl", "Een nieuwe Online Schade Commissie en een gepland wetsvoorstel moeten slachtoffers "
           "van deepfakeporno sneller helpen."),
])
def test_a_weak_name_ending_another_name_is_not_its_body(lang: str, text: str) -> None:
    a = nlp.analyze(text, lang=lang)
    assert "european-commission" not in {r.id for r in a.regulators}
    assert "european-commission" not in {e.actor for e in a.events}
