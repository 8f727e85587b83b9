"""Display names for the ids an action carries: a regulator id becomes the body's
canonical name (the nlp gazetteer), a country code the country's name in English or
Dutch (pycountry and its Dutch translations, preferring the Dutch names of
nlp/data/countries.jsonl), ``EU`` the European Union. Ids stay ids everywhere a
machine reads them; these names are only for people."""

from __future__ import annotations

import gettext
import json
from collections.abc import Mapping
from functools import cache

LANGS = ("en", "nl")
EU_NAMES = {"en": "European Union", "nl": "Europese Unie"}


@cache
def _bodies() -> dict[str, str]:
    from nlp.gazetteer import load

    return {rid: body.name for rid, body in load().bodies.items()}


@cache
def _data_names() -> dict[str, list[str]]:
    """Country code -> the names nlp/data/countries.jsonl knows (English and Dutch)."""
    from nlp.gazetteer import DATA

    out: dict[str, list[str]] = {}
    with open(DATA / "countries.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                out[row["code"].upper()] = list(row.get("names", []))
    return out


@cache
def _dutch() -> gettext.NullTranslations:
    import pycountry

    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["nl"])
    except OSError:
        return gettext.NullTranslations()


def _dutch_name(code: str, iso_name: str, english: set[str]) -> str:
    """The Dutch name: pycountry's translation when the gazetteer uses it too; for an
    inverted ISO form ('Korea, Republiek') the gazetteer's own Dutch name
    ('Zuid-Korea'), else the translation as it is."""
    translated = _dutch().gettext(iso_name)
    known = _data_names().get(code, [])
    if translated in known or ", " not in translated:
        return translated
    head = translated.split(", ", 1)[0]
    for suffix in ("-", " "):
        hits = [n for n in known if n.endswith(suffix + head) and n not in english]
        if hits:
            return hits[0]
    return head if head in known else translated


@cache
def country_name(code: str, lang: str = "en") -> str:
    """``GB`` -> 'United Kingdom' / 'Verenigd Koninkrijk'; an unknown code stays as is."""
    import pycountry

    key = (code or "").strip().upper()
    if key == "EU":
        return EU_NAMES.get(lang, EU_NAMES["en"])
    country = pycountry.countries.get(alpha_2=key) if len(key) == 2 else None
    if country is None:
        return code or ""
    english = getattr(country, "common_name", None) or country.name
    if lang != "nl":
        return english
    forms = {country.name, english, getattr(country, "official_name", "") or ""}
    return _dutch_name(key, country.name, forms)


@cache
def is_country(code: str) -> bool:
    import pycountry

    key = (code or "").strip()
    return key == "EU" or (len(key) == 2 and key.isupper()
                           and pycountry.countries.get(alpha_2=key) is not None)


def actor_name(actor: str, lang: str = "en", known: Mapping[str, str] | None = None) -> str:
    """A regulator id as the body's name, a country code as the country's name; names
    the articles gave the id (``known``) are used for ids the gazetteer lacks."""
    if not actor:
        return ""
    body = _bodies().get(actor)
    if body:
        return body
    if is_country(actor):
        return country_name(actor, lang)
    return (known or {}).get(actor) or actor
