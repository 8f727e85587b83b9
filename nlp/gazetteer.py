"""Loading of the data files under nlp/data (gazetteers, descriptors, cues).

Everything is read once per process (``load()`` is cached) and kept as plain
Python structures; nlp/pipeline.py turns them into spaCy matchers.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spacy.attrs import LOWER

if TYPE_CHECKING:
    from spacy.tokens import Doc

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Body:
    id: str
    name: str
    country: str
    kind: str
    listed: bool = True  # False for bodies that are never reported as regulators


@dataclass
class Gazetteer:
    bodies: dict[str, Body]
    # (surface, key) for the case-insensitive and case-sensitive matchers
    lower_terms: list[tuple[str, str]] = field(default_factory=list)
    exact_terms: list[tuple[str, str]] = field(default_factory=list)
    # lowercased names and acronyms of listed bodies -> id: a body the grammar
    # (nlp/bodies.py) finds by its shape keeps its gazetteer id where one exists
    body_names: dict[str, str] = field(default_factory=dict)
    country_names: dict[str, str] = field(default_factory=dict)  # ISO code -> English name
    descriptor_names: dict[str, str] = field(default_factory=dict)  # kind -> name pattern
    platform_company: dict[str, str] = field(default_factory=dict)
    descriptor_suffix: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    defaults: dict[str, dict[str, str]] = field(default_factory=dict)
    fallback: dict[str, str] = field(default_factory=dict)
    us_state: dict[str, str] = field(default_factory=dict)
    # lowercased generic descriptor phrases per kind ("minister van justitie"): a body
    # matched by one of these names is only that body in its own country's articles
    generic_names: dict[str, set[str]] = field(default_factory=dict)
    cues: dict[str, Any] = field(default_factory=dict)
    relevance: dict[str, Any] = field(default_factory=dict)


def _jsonl(name: str) -> list[dict[str, Any]]:
    path = DATA / name
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _toml(name: str) -> dict[str, Any]:
    return tomllib.loads((DATA / name).read_text(encoding="utf-8"))


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


@lru_cache(maxsize=1)
def load() -> Gazetteer:
    bodies: dict[str, Body] = {}
    g = Gazetteer(bodies=bodies)
    for row in _jsonl("regulators.jsonl") + _jsonl("regulators_us_states.jsonl"):
        rid = row["id"]
        bodies[rid] = Body(rid, row["name"], row.get("country", ""), row.get("kind", ""),
                           not row.get("not_regulator", False))
        g.body_names.setdefault(row["name"].lower(), rid)
        for n in row.get("names", []):
            g.lower_terms.append((n, f"REG|{rid}"))
            g.body_names.setdefault(n.lower(), rid)
        for n in row.get("abbr", []):
            g.exact_terms.append((n, f"REG|{rid}"))
        for n in row.get("weak", []):
            g.exact_terms.append((n, f"REGW|{rid}"))
    g.country_names = _country_names()
    g.descriptor_names = _toml("body_grammar.toml").get("descriptor_names", {})

    for row in _jsonl("countries.jsonl"):
        code = row["code"]
        for kind, key in (("names", "name"), ("adjectives", "adj"), ("places", "place")):
            for n in row.get(kind, []):
                g.exact_terms.append((n, f"CTRY|{code}|{key}"))
                if n[:1].islower():
                    g.exact_terms.append((_cap(n), f"CTRY|{code}|{key}"))

    for row in _jsonl("platforms.jsonl"):
        name = row["name"]
        g.platform_company[name] = row.get("company", name)
        for n in row.get("names", []):
            g.exact_terms.append((n, f"PLAT|{name}"))
        for n in row.get("lower", []):
            g.lower_terms.append((n, f"PLAT|{name}"))

    desc = _toml("descriptors.toml")
    for lang, kinds in desc["kinds"].items():
        for kind, phrases in kinds.items():
            for p in phrases:
                g.lower_terms.append((p, f"DESC|{kind}|{lang}"))
                g.generic_names.setdefault(kind, set()).add(p.lower())
                if lang == "en" and p.count(" ") == 2:  # "data-protection authority"
                    g.lower_terms.append((p.replace(" ", "-", 1), f"DESC|{kind}|{lang}"))
    for lang, kinds in desc.get("suffix", {}).items():
        g.descriptor_suffix[lang] = [(s, k) for k, sufs in kinds.items() for s in sufs]
    g.defaults = desc["defaults"]
    g.fallback = desc.get("fallback", {})
    g.us_state = desc.get("us_state", {})

    cues = _toml("cues.toml")
    g.cues = cues
    g.relevance = _toml("relevance.toml")
    for lang in ("en", "nl"):
        c = cues[lang]
        for section, prefix in (("phrases", "PH"),):
            for label, phrases in c.get(section, {}).items():
                for p in phrases:
                    g.lower_terms.append((p, f"{prefix}|{label}|{lang}"))
        st = c["status"]
        for label in ("potential_phrases", "planned_phrases", "negation_exceptions",
                      "actual_override", "request_phrases"):
            for p in st.get(label, []):
                if " " in p or "'" in p:
                    g.lower_terms.append((p, f"ST|{label}|{lang}"))
        for p in c.get("anaphora", {}).get("words", []):
            g.lower_terms.append((p, f"ANA|x|{lang}"))
        for p in c.get("boilerplate", {}).get("words", []):
            g.lower_terms.append((p, f"BOIL|x|{lang}"))
    for p in cues["relevance"].get("strong_phrases", []):
        g.lower_terms.append((p, "REL|strong_phrase|*"))
    return g


def _country_names() -> dict[str, str]:
    import pycountry

    out = {"EU": "European Union", "GB": "United Kingdom", "US": "United States",
           "KR": "South Korea", "KP": "North Korea"}
    for c in pycountry.countries:
        name = getattr(c, "common_name", None) or c.name
        out.setdefault(c.alpha_2, name.split(",")[0])
    return out


class TokenClassifier:
    """Classifies one lowercased token into cue labels, memoised per form.

    Labels look like ``T:block`` (trigger), ``W:block`` (weak trigger),
    ``S:block`` (support), ``B`` (blocker), ``potential``/``planned``/``negation``/
    ``actual_override`` (status), ``rel:sexual``/``rel:ai``/``rel:strong``/``rel:negative``.
    """

    def __init__(self, lang: str, cues: dict[str, Any]) -> None:
        c = cues.get(lang) or cues["en"]
        self._rules: list[tuple[str, re.Pattern[str]]] = []

        def add(label: str, words: list[str]) -> None:
            words = [w for w in words if " " not in w]
            if words:
                self._rules.append((label, re.compile("(?:" + "|".join(words) + ")")))

        weak = c.get("weak", {})
        for label, words in c.get("trigger", {}).items():
            weak_re = re.compile("(?:" + "|".join(weak[label]) + ")") if label in weak else None
            weak_set = set(weak.get(label, []))
            strong = [w for w in words if w not in weak_set and
                      not (weak_re and weak_re.fullmatch(w))]
            add(f"T:{label}", strong)
            if label in weak:
                add(f"W:{label}", weak[label])
        for label, words in c.get("support", {}).items():
            add(f"S:{label}", words)
        add("B", c.get("blockers", {}).get("words", []))
        add("SO", c.get("state_only", {}).get("words", []))
        add("SRC", c.get("source", {}).get("words", []))
        add("PRIV", c.get("private", {}).get("words", []))
        add("FILE", c.get("private", {}).get("filing", []))
        add("LAW", c.get("law", {}).get("words", []))
        add("UNDER", c.get("law", {}).get("under", []))
        add("VIOL", c.get("law", {}).get("violations", []))
        add("PROD", c.get("product", {}).get("words", []))
        add("REQ", c.get("request", {}).get("words", []))
        add("WISH", c.get("request", {}).get("wish", []))
        add("SINCE", c.get("law", {}).get("since", []))
        add("POSS", c.get("private", {}).get("possessives", []))
        add("PUBHEAD", c.get("private", {}).get("public_heads", []))
        add("AUD", c.get("audience", {}).get("words", []))
        add("OTHER", c.get("other_subject", {}).get("words", []))
        add("GEN", c.get("penalty_frame", {}).get("subjects", []))
        add("RISK", c.get("penalty_frame", {}).get("verbs", []))
        add("JAIL", c.get("sentencing", {}).get("words", []))
        add("POWER", c.get("power", {}).get("words", []))
        st = c.get("status", {})
        for label in ("potential", "planned", "negation", "actual_override", "ongoing"):
            add(label, st.get(label, []))
        rel = cues.get("relevance", {})
        for label in ("sexual", "ai", "strong", "negative", "imagery", "consent", "deep"):
            add(f"rel:{label}", rel.get(label, []))
        self._cache: dict[str, tuple[str, ...]] = {}
        self._by_hash: dict[int, tuple[str, ...]] = {}

    def of_doc(self, doc: Doc) -> list[tuple[str, ...]]:
        """The labels of every token of ``doc``, read from its LOWER array (no Python
        object per token), memoised per lowercase form's hash."""
        cache = self._by_hash
        strings = doc.vocab.strings
        out = []
        for h in doc.to_array(LOWER).tolist():
            hit = cache.get(h)
            if hit is None:
                hit = self(strings[h])
                if len(cache) < 200_000:
                    cache[h] = hit
            out.append(hit)
        return out

    def __call__(self, form: str) -> tuple[str, ...]:
        hit = self._cache.get(form)
        if hit is None:
            hit = tuple(label for label, rx in self._rules if rx.fullmatch(form))
            if len(self._cache) < 200_000:
                self._cache[form] = hit
        return hit
