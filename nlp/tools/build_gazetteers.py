"""One-off generator for the country and US-state gazetteers.

Run from the repository root::

    python -m nlp.tools.build_gazetteers

It merges pycountry's English and Dutch country names with the hand-written
``nlp/data/country_extra.toml`` into ``nlp/data/countries.jsonl`` and writes
per-state US bodies (attorney general, legislature, governor...) into
``nlp/data/regulators_us_states.jsonl``. The generated files are committed.
"""

from __future__ import annotations

import gettext
import json
import tomllib
from pathlib import Path

import pycountry

DATA = Path(__file__).resolve().parent.parent / "data"

# Country names that are also common words or first names in news text.
AMBIGUOUS = {
    "Jordan", "Chad", "Georgia", "Jersey", "Guernsey", "Man", "Niger", "Guinea", "Dominica",
    "Mali", "Oman", "Togo", "Cuba", "Peru", "Samoa", "Tonga", "Nauru", "Palau", "Turks",
    "Holy See", "Saint Martin", "Sint-Maarten", "Aruba", "Curaçao", "Bonaire", "Georgië",
    "Korea", "Congo", "Christmas Island", "Norfolk Island", "Heard Island", "Virgin Islands",
}

NL_STATE = {"California": "Californië", "North Carolina": "Noord-Carolina",
            "South Carolina": "Zuid-Carolina", "North Dakota": "Noord-Dakota",
            "South Dakota": "Zuid-Dakota", "Pennsylvania": "Pennsylvania"}


def slug(s: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in s.lower()).split())


def country_names() -> dict[str, set[str]]:
    nl = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["nl"])
    out: dict[str, set[str]] = {}
    for c in pycountry.countries:
        names = {c.name, getattr(c, "common_name", c.name)}
        names |= {nl.gettext(n) for n in list(names)}
        out[c.alpha_2] = {n for n in names if "," not in n and "(" not in n and n not in AMBIGUOUS}
    return out


def main() -> None:
    extra = tomllib.loads((DATA / "country_extra.toml").read_text(encoding="utf-8"))
    base = country_names()
    rows = []
    for code in sorted(set(base) | set(extra)):
        e = extra.get(code, {})
        names = sorted(base.get(code, set()) | set(e.get("names", [])))
        rows.append({
            "code": code,
            "names": names,
            "adjectives": sorted(set(e.get("adjectives", []))),
            "places": sorted(set(e.get("cities", [])) | set(e.get("states", []))
                             | set(e.get("nl_states", []))),
        })
    with open(DATA / "countries.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")

    states = extra["US"]["states"]
    with open(DATA / "regulators_us_states.jsonl", "w", encoding="utf-8") as f:
        for st in states:
            nl = NL_STATE.get(st, st)
            s = slug(st)
            bodies = [
                (f"{s}-attorney-general", f"{st} Attorney General", "law_officer",
                 [f"{st} Attorney General", f"Attorney General of {st}", f"{st} AG",
                  f"{st} attorney general", f"{st}'s attorney general",
                  f"{st}’s attorney general", f"{st} Department of Justice",
                  f"procureur-generaal van {nl}", f"{nl}se procureur-generaal",
                  f"openbaar aanklager van {nl}"]),
                (f"{s}-legislature", f"{st} Legislature", "parliament",
                 [f"{st} Legislature", f"{st} State Legislature", f"{st} lawmakers",
                  f"{st} legislature", f"{st} legislators", f"parlement van {nl}",
                  f"wetgevers in {nl}"]),
                (f"{s}-house-of-representatives", f"{st} House of Representatives",
                 "parliament", [f"{st} House of Representatives", f"{st} House",
                                f"{st} Assembly", f"{st} State Assembly"]),
                (f"{s}-senate", f"{st} Senate", "senate",
                 [f"{st} Senate", f"{st} State Senate", f"Senaat van {nl}"]),
                (f"{s}-governor", f"Governor of {st}", "government",
                 [f"Governor of {st}", f"{st} Governor", f"{st} governor",
                  f"gouverneur van {nl}"]),
            ]
            for rid, name, kind, names in bodies:
                f.write(json.dumps({"id": rid, "name": name, "country": "US", "kind": kind,
                                    "names": sorted(set(names)), "abbr": []},
                                   ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
