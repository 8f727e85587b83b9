"""Turn raw matcher hits into resolved mentions: bodies, countries, platforms.

Also resolves descriptive references ("de Britse toezichthouder",
"Malaysia's communications regulator", "the government") to a body through
the (country, kind) defaults in data/descriptors.toml.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from spacy.tokens import Doc

from . import bodies as grammar
from .gazetteer import Body, Gazetteer
from .pipeline import doc_text

# priority when entity spans overlap with the same length (lower wins)
_PRIO = {"REG": 0, "PLAT": 2, "CTRY": 3, "DESC": 4}
_NOT_BODY_KINDS = {"court", "authorities"}
# kinds whose bodies are local where a country has no national default
# (descriptors.toml): an unnamed one is its country acting
_LOCAL_KINDS = {"police"}
# bare descriptors ("the government", "de senaat") that refer to the article's home country
_HOME_KINDS = {"government", "justice_ministry", "police", "prosecutor", "parliament", "court",
               "senate", "attorney_general", "governor", "election_commission", "high_court"}
_APPOS_DETS = {"the", "de", "het", "a", "an", "een"}


@dataclass
class Mention:
    start: int
    end: int
    kind: str  # "body" | "country" | "platform" | "desc"
    value: str  # body id, ISO code, platform name, descriptor kind
    sub: str = ""  # country: name/adj/place; body: "weak" | "desc" | ""
    country: str = ""
    text: str = ""


@dataclass
class Mentions:
    bodies: list[Mention] = field(default_factory=list)
    countries: list[Mention] = field(default_factory=list)
    platforms: list[Mention] = field(default_factory=list)
    courts: list[Mention] = field(default_factory=list)  # unnamed courts: actor = country
    weak: list[Mention] = field(default_factory=list)
    phrases: list[tuple[str, int, int]] = field(default_factory=list)  # cue phrases
    home: str = ""
    extra_bodies: dict[str, Body] = field(default_factory=dict)
    boiler: bytearray = field(default_factory=bytearray)  # page boilerplate tokens


def _slug(s: str) -> str:
    s = s.lower().replace("ë", "e").replace("é", "e").replace("ü", "u").replace("ö", "o")
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")


_COMPOUND = re.compile(r"\w{2,}(?:toezichthouder|waakhond)\b", re.IGNORECASE)


def _named_head(doc: Doc, w: Mention) -> bool:
    """A weak name that ends a longer capitalised name ("the Online Safety Commission")
    is that other body's head word, not the body the weak name stands for."""
    if w.start == 0:
        return False
    prev = doc[w.start - 1]
    return (prev.is_title or prev.is_upper) and prev.is_alpha and not prev.is_sent_start


def collect(doc: Doc, g: Gazetteer, lang: str) -> Mentions:
    m = Mentions()
    ents: list[tuple[int, int, int, str, list[str]]] = []
    boil = bytearray(len(doc) + 1)
    for key, a, _b in doc._.tz_matches or ():
        if key.startswith("BOIL|"):
            end = doc[a].sent.end if doc.has_annotation("SENT_START") else len(doc)
            boil[a:end] = b"\x01" * (end - a)
    m.boiler = boil
    for key, a, b in doc._.tz_matches or ():
        if boil[a]:
            continue
        parts = key.split("|")
        head = parts[0]
        if head in _PRIO:
            ents.append((a, b, _PRIO[head], key, parts))
        elif head == "REGW":
            m.weak.append(Mention(a, b, "body", parts[1], "weak", g.bodies[parts[1]].country))
        else:
            m.phrases.append((key, a, b))
    # Dutch compounds: "internettoezichthouder" is a media regulator
    suffixes = g.descriptor_suffix.get(lang, [])
    if suffixes:
        for hit in _COMPOUND.finditer(doc_text(doc)):
            t = doc.char_span(hit.start(), hit.end(), alignment_mode="expand")[0]
            low = t.lower_
            if len(low) > 9 and (low.endswith("toezichthouder") or low.endswith("waakhond")):
                for suf, kind in suffixes:
                    if low.endswith(suf):
                        ents.append((t.i, t.i + 1, 5, f"DESC|{kind}|{lang}",
                                     ["DESC", kind, lang]))
                        break
    ents.sort(key=lambda e: (-(e[1] - e[0]), e[2], e[0]))
    taken = bytearray(len(doc) + 1)
    chosen = []
    for a, b, _prio, key, parts in ents:
        if any(taken[a:b]):
            continue
        taken[a:b] = b"\x01" * (b - a)
        chosen.append((a, b, key, parts))
    chosen.sort()
    m.weak = [w for w in m.weak if not any(taken[w.start:w.end]) and not _named_head(doc, w)]
    for a, b, _key, parts in chosen:
        head = parts[0]
        if head == "REG":
            body = g.bodies[parts[1]]
            m.bodies.append(Mention(a, b, "body", body.id, "", body.country))
        elif head == "PLAT":
            m.platforms.append(Mention(a, b, "platform", parts[1]))
        elif head == "CTRY":
            m.countries.append(Mention(a, b, "country", parts[1], parts[2],
                                       text=doc[a:b].text))
        elif head == "DESC":
            m.bodies.append(Mention(a, b, "desc", parts[1]))
    _grammar_bodies(doc, g, m, lang)
    _foreign_generic_bodies(doc, g, m)
    m.home = _home_country(m, lang)
    _generic_bodies_abroad(doc, g, m)
    _resolve_descriptors(doc, g, m)
    return m


def _grammar_bodies(doc: Doc, g: Gazetteer, m: Mentions, lang: str) -> None:
    """Add the bodies named by their shape (nlp/bodies.py). A gazetteer body of the same
    country inside or over the span wins (canonical id, name); one of another country
    inside it gives way ("Kenya's Ministry of Justice" is not the UK's)."""
    home = _home_country(m, lang)
    blocked = bytearray(len(doc) + 1)
    for x in m.platforms:
        blocked[x.start:x.end] = b"\x01" * (x.end - x.start)
    for x in m.bodies:
        if x.kind == "body":
            blocked[x.start:x.end] = b"\x01" * (x.end - x.start)
    hits = [grammar.CountryHit(c.start, c.end, c.value, c.sub) for c in m.countries]
    cands = grammar.find(doc, lang, hits, home, blocked, g.country_names)
    if not cands:
        return
    for c in cands:
        if any(p.start < c.end and c.start < p.end for p in m.platforms):
            continue
        over = [b for b in m.bodies if b.start < c.end and c.start < b.end]
        if c.by_country and c.kind != "court" and any(b.kind == "desc" for b in over):
            continue  # "Brazil's National Data Protection Authority": the descriptor's body
        if any(b.kind == "body" and (b.country == c.country or
                                     (b.start <= c.start and b.end >= c.end))
               for b in over):
            continue
        rid = c.id
        body = g.bodies.get(rid)
        if body is None and c.name:
            named = g.body_names.get(c.name.lower()) or g.body_names.get(
                doc[c.start:c.end].text.lower())
            body = g.bodies.get(named or "")
        if body is None:
            body = m.extra_bodies.get(rid) or Body(rid, c.name, c.country, c.kind)
            m.extra_bodies[rid] = body
        m.bodies = [b for b in m.bodies if b not in over]
        m.weak = [w for w in m.weak if not (w.start < c.end and c.start < w.end)]
        m.countries = [x for x in m.countries if not (x.start < c.end and c.start < x.end)]
        m.bodies.append(Mention(c.start, c.end, "body", body.id, "", body.country))
        if body.kind == "court" and c.place is not None and body.id not in g.bodies:
            # a court named by its seat ("rechtbank Amsterdam", "Chelmsford Crown Court")
            # is a named body; the seat also names the country
            a, b = c.place
            m.countries.append(Mention(a, b, "country", body.country, "place",
                                       text=doc[a:b].text))
    m.bodies.sort(key=lambda x: x.start)
    m.countries.sort(key=lambda x: x.start)


_GENERIC_KINDS = {"justice_ministry", "interior_ministry", "government", "police", "prosecutor",
                  "parliament", "senate"}


def _foreign_generic_bodies(doc: Doc, g: Gazetteer, m: Mentions) -> None:
    """A body matched by a generic name ("minister van Justitie", "House of
    Representatives") right after another country's adjective ("de Britse minister van
    Justitie", "het Japanse ministerie van Justitie") is that country's body: turn it
    into a descriptor of the same kind."""
    adjs = [c for c in m.countries if c.sub in ("adj", "name")]
    for i, b in enumerate(m.bodies):
        if b.kind != "body":
            continue
        body = g.bodies.get(b.value)
        if body is None or body.kind not in _GENERIC_KINDS:
            continue
        for c in adjs:
            if c.end <= b.start and b.start - c.end <= 1 and c.value not in (body.country, "EU"):
                if all(t.is_alpha for t in doc[c.end:b.start]):
                    m.bodies[i] = Mention(b.start, b.end, "desc", body.kind)
                break


def _generic_bodies_abroad(doc: Doc, g: Gazetteer, m: Mentions) -> None:
    """A body matched only by a generic title ("minister van Justitie", "the justice
    minister") in an article whose home country is another one (a Belgian story in
    Dutch) is the home country's body: turn it into a descriptor of the same kind."""
    if not m.home or m.home == "EU":
        return
    for i, b in enumerate(m.bodies):
        if b.kind != "body":
            continue
        body = g.bodies.get(b.value)
        if body is None or body.kind not in _GENERIC_KINDS or body.country == m.home:
            continue
        if doc[b.start:b.end].text.lower() in g.generic_names.get(body.kind, ()):
            m.bodies[i] = Mention(b.start, b.end, "desc", body.kind)


def _home_country(m: Mentions, lang: str) -> str:
    c = Counter(x.value for x in m.countries if x.value != "EU")
    c.update(x.country for x in m.bodies if x.country and x.country != "EU")
    if not c:
        return "NL" if lang == "nl" else ""
    (top, n), *rest = c.most_common(2) + [("", 0)]
    second = rest[0][1] if rest else 0
    if lang == "nl" and c.get("NL", 0) >= n * 0.6 and top != "NL" and c["NL"] >= second:
        return "NL"
    if n >= 2 * second or (lang == "nl" and top == "NL"):
        return top
    return ""


def _resolve_descriptors(doc: Doc, g: Gazetteer, m: Mentions) -> None:
    countries = sorted(m.countries, key=lambda x: x.start)
    resolved: list[Mention] = []
    for d in m.bodies:
        if d.kind != "desc":
            resolved.append(d)
            continue
        kind = d.value
        country = ""
        for c in countries:  # "de Britse toezichthouder", "Malaysia's regulator"
            if c.end <= d.start and d.start - c.end <= 3 and c.sub in ("name", "adj"):
                gap = doc[c.end:d.start]
                if all(t.is_alpha or t.text in ("'s", "’s", "-") for t in gap) and not any(
                        t.lower_ in ("en", "and", "of", "van", "in") for t in gap):
                    country = c.value
        if not country:  # "de privacytoezichthouder van Ierland", "police in South Korea"
            for c in countries:
                if c.start >= d.end and c.start - d.end == 1 and doc[d.end].lower_ in (
                        "van", "of", "in", "uit"):
                    country = c.value
                    break
        if not country:  # "de Europese Raad en het Parlement": coordinated with a named body
            for b in m.bodies:
                if b.kind == "body" and b.end <= d.start and d.start - b.end <= 3 and any(
                        t.lower_ in ("en", "and", "&") for t in doc[b.end:d.start]):
                    country = b.country
        if _apposition(doc, d, m.bodies):
            continue  # "de Franse telecomautoriteit CSA", "Ofcom, the UK regulator"
        explicit = bool(country)
        if not country and kind in _HOME_KINDS:
            country = m.home
        if not country:
            continue
        rid = "" if kind in _NOT_BODY_KINDS else (
            _us_state_body(g, m, d, kind) if country == "US" else "") or _default(g, country, kind)
        if kind in _NOT_BODY_KINDS or (not rid and kind in _LOCAL_KINDS):
            # "a Dutch court", "police in Sydney": a body the text does not name acts for
            # its country
            m.courts.append(Mention(d.start, d.end, "court", country, "", country))
            continue
        if rid:
            body = g.bodies[rid]
            resolved.append(Mention(d.start, d.end, "body", rid, "desc" if explicit else "bare",
                                    body.country))
        elif explicit and kind in g.descriptor_names and country != "EU":
            # "the Kenyan government", "de Braziliaanse privacytoezichthouder": the
            # country's body of that kind, though no gazetteer entry lists it
            name = g.descriptor_names[kind].format(country=g.country_names.get(country,
                                                                               country))
            rid = grammar.slug(name)
            body = g.bodies.get(g.body_names.get(name.lower(), ""))
            if body is None:
                body = m.extra_bodies.setdefault(rid, Body(rid, name, country, kind))
            resolved.append(Mention(d.start, d.end, "body", body.id, "desc", country))
    m.bodies = resolved


def _apposition(doc: Doc, d: Mention, bodies: list[Mention]) -> bool:
    """A descriptor standing next to a named body names that body, not another one."""
    for b in bodies:
        if b.kind != "body":
            continue
        if 0 <= b.start - d.end <= 1 and all(t.text in (",", "(", "-", "–") or t.is_alpha
                                             for t in doc[d.end:b.start]):
            return True
        if 0 <= d.start - b.end <= 3 and doc[b.end].text in (",", "(", "–", "-"):
            if all(t.text in (",", "(", "–", "-") or t.lower_ in _APPOS_DETS
                   for t in doc[b.end:d.start]):
                return True
    return False


def _us_state_body(g: Gazetteer, m: Mentions, d: Mention, kind: str) -> str:
    suffix = g.us_state.get(kind)
    if not suffix:
        return ""
    states = [c for c in m.countries if c.value == "US" and c.sub == "place"
              and f"{_slug(c.text)}-{suffix}" in g.bodies]
    if not states:
        # the state named only inside another state body ("California Attorney General")
        sufs = set(g.us_state.values())
        near = sorted(m.bodies, key=lambda b: (b.start > d.start, abs(b.start - d.start)))
        for b in near:
            body = g.bodies.get(b.value)
            if body is not None and body.country == "US" and b.kind == "body":
                for suf in sufs:
                    if b.value.endswith("-" + suf):
                        rid = b.value[: -len(suf)] + suffix
                        if rid in g.bodies:
                            return rid
        return ""
    before = [c for c in states if c.end <= d.start]
    pick = before[-1] if before else states[0]
    return f"{_slug(pick.text)}-{suffix}"


def _default(g: Gazetteer, country: str, kind: str) -> str:
    table = g.defaults.get(country, {})
    while kind:
        if kind in table:
            return table[kind]
        kind = g.fallback.get(kind, "")
    return ""
