"""Event assembly: one action by one actor, from triggers and mentions.

For each trigger in a sentence: choose the actor (nearest named body before
the trigger, else after it; else a country acting; else an adjective on the
trigger noun, "Europees verbod"; else carried over from the previous sentence
through an anaphor), the target (a platform in the sentence), the measure
(restrict/remove/ban/similar resolved by the actor's type and target), the
status (nlp/status.py), and a date (nlp/dates.py). The stages, each a function:
``propose`` (candidates with features and the rule frames against them as flags),
the scorer (nlp/scorer.py) keeps or drops each, ``_upgrade_country_actors`` (a
country acting becomes its body named in the next sentence), ``_merge`` (one event
per actor, measure and target, strongest status) and ``_fold`` (a country's act into
its named body's, one event per target family).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
from spacy.attrs import ORTH
from spacy.strings import hash_string
from spacy.tokens import Doc, Span

from . import status as st
from .actions import family, is_code
from .dates import find_dates
from .gazetteer import Body, Gazetteer
from .measures import Trigger, find_triggers
from .mentions import Mention, Mentions
from .model import Event
from .pipeline import doc_text
from .scorer import Scorer, default_scorer

PREPS = frozenset("tot to op on van of naar into voor for against tegen over about at bij in "
                  "with met from uit by door via through".split())
PASSIVE = frozenset(("door", "by"))
REG_MEASURES = ("investigation", "block", "fine", "legal_action", "legislation", "order",
                "warning")
NEEDS_TARGET = ("warning", "block")
DETERMINERS = frozenset("de het een the a an an this dat dit deze die that new nieuw nieuwe "
                        "eigen own formal formeel formele".split())


@dataclass
class Actor:
    kind: str  # body | country | platform
    value: str  # body id, ISO code, platform name
    country: str
    start: int
    end: int


def _in(m: Mention | Trigger, sent: Span) -> bool:
    return m.start >= sent.start and m.end <= sent.end


def _prep_before(doc: Doc, m: Mention) -> bool:
    j = m.start - 1
    while j >= 0 and doc[j].lower_ in ("de", "het", "the", "a", "een", "chatbot", "platform"):
        j -= 1
    return j >= 0 and doc[j].lower_ in PREPS


def _body_actor(m: Mention, gaz: Gazetteer, ms: Mentions) -> Actor:
    return Actor("body", m.value, m.country, m.start, m.end)


@dataclass
class Candidate:
    """An event the rules propose, with the features the scorer (nlp/scorer.py) weighs;
    ``flags`` name the rule frames that speak against it ("negated", "law_content")."""

    event: Event
    feats: dict[str, float]
    flags: tuple[str, ...] = ()
    weak_body: str = ""  # the weak body id that acts, if any


def extract(doc: Doc, gaz: Gazetteer, ms: Mentions, labels: list[tuple[str, ...]],
            published: date | None, lang: str, scorer: Scorer | None = None,
            relevance: float = 1.0) -> tuple[list[Event], set[str]]:
    """Events of a (relevant) document, and the ids of weak bodies that acted:
    propose candidates, keep those the scorer accepts, resolve country actors, merge."""
    sc = scorer or default_scorer()
    kept = [c for c in propose(doc, gaz, ms, labels, published, lang, relevance)
            if sc.keep(c.feats)]
    events = [c.event for c in kept]
    _upgrade_country_actors(events, list(doc.sents), ms, published)
    return _fold(_merge(events)), {c.weak_body for c in kept if c.weak_body}


def propose(doc: Doc, gaz: Gazetteer, ms: Mentions, labels: list[tuple[str, ...]],
            published: date | None, lang: str, relevance: float = 1.0) -> list[Candidate]:
    """Every event the rules can read from the document, each with its features. A
    trigger without an actor or a measure proposes nothing; the frames that argue
    against an event become flags for the scorer instead of dropping it."""
    labels = _separable(doc, gaz, labels, lang)
    masked = bytearray(len(doc) + 1)
    for m in ms.bodies + ms.platforms + ms.weak:
        masked[m.start:m.end] = b"\x01" * (m.end - m.start)
    for k, a, b in ms.phrases:
        if k.startswith(("PH|lawname", "PH|background", "PH|idiom")):
            masked[a:b] = b"\x01" * (b - a)
    _mask_law_titles(doc, masked)
    if ms.boiler:
        for i, v in enumerate(ms.boiler[:len(doc)]):
            if v:
                masked[i] = 1
    plat_starts = sorted(ms.platforms, key=lambda p: p.start)
    bodies_all = {**gaz.bodies, **ms.extra_bodies}
    # "dat" refers back only at a sentence start ("Dat maakte ... bekend") or as a
    # relative pronoun after a comma; "zeggen dat de boete ..." is a conjunction
    anaphora = [(a, b) for k, a, b in ms.phrases if k.startswith("ANA|") and not (
        b - a == 1 and doc[a].lower_ in ("dat", "that") and a > doc[a].sent.start
        and not doc[a - 1].is_punct and a + 1 < len(doc)
        and doc[a + 1].lower_ in DETERMINERS)]
    out: list[Candidate] = []
    last_actor: Actor | None = None
    last_measure = ""
    last_public = ""  # last measure taken by a public body or country ("similar measures")
    last_target = ""
    sents = list(doc.sents)
    for si, sent in enumerate(sents):
        # questions ("Vraag 6 ... ?") report no action
        stext = _text(doc, sent)
        sent_flags = ("question",) if stext.endswith("?") else ()
        if _other_subject(sent, labels):
            sent_flags += ("other_subject",)
        sent_feats = _sentence_features(sent, stext, labels)
        trigs = find_triggers(doc, sent, si, labels, ms.phrases, masked)
        spurious = {t.start for t in trigs if _spurious(doc, sent, t, trigs, labels)}
        kept_trigs = [t for t in trigs if t.start not in spurious]
        ordered = {t.start for t in kept_trigs} - {
            t.start for t in _drop_orders_of_measures(doc, kept_trigs)}
        bodies = [m for m in ms.bodies if _in(m, sent)]
        weak = [m for m in ms.weak if _in(m, sent)]
        courts = [m for m in ms.courts if _in(m, sent)]
        countries = [m for m in ms.countries if _in(m, sent)]
        plats = [m for m in ms.platforms if _in(m, sent)]
        has_ana = any(a >= sent.start and b <= sent.end for a, b in anaphora)
        sent_actor: Actor | None = None
        n_before = len(out)
        seen: set[tuple[str, str]] = set()
        order_at = min((t.start for t in kept_trigs if t.label == "order"
                        and t.start not in ordered), default=None)
        for t in trigs:
            flags = list(sent_flags)
            if t.start in spurious:
                flags.append("spurious_trigger")
            if t.start in ordered:
                flags.append("ordered_measure")
            if _penalty_frame(sent, t, labels):
                flags.append("penalty_frame")
            if t.label == "warning" and any("PUBHEAD" in labels[k] for k in range(
                    t.end, min(sent.end, t.end + 3))):
                flags.append("call_on_public")  # "called on his government to ...": a plea
            if _investigated(doc, t, trigs):
                flags.append("investigated_question")
            if t.label in ("fine", "order") and _sentencing(sent, labels):
                flags.append("sentencing")
            if _power_to_act(doc, sent, t, labels):
                flags.append("power_to_act")
            label = t.label
            if label in ("remove", "restrict") and order_at is not None and order_at < t.start:
                flags.append("order_content")  # the content of a demand ("ordered X to remove")
            if label == "similar":
                if not (last_public or last_measure):
                    continue
                label = last_public or last_measure
            via = "near"
            actor = _choose_actor(doc, t, label, bodies, weak, courts, countries, plats)
            if actor is _NO_ACTOR:
                continue  # a platform or private party is the subject of a public measure
            if actor is None and (has_ana or t.label == "similar") and last_actor is not None:
                if has_ana and _platform_antecedent(doc, sent, anaphora, plats, t):
                    continue  # "Apple confirmed that it had ...": "it" is the platform
                actor, via = last_actor, "carried"
            if actor is None and "SO" in labels[t.start] and ms.home:
                actor, via = Actor("country", ms.home, ms.home, t.start, t.start), "home"
            if actor is None:
                # no actor named: the country the story is set in, for the scorer to weigh
                place = _story_country(ms, t.start) if label in REG_MEASURES else ""
                if not place:
                    continue
                actor, via = Actor("country", place, place, t.start, t.start), "unnamed"
                flags.append("no_actor")
            if label in ("remove", "restrict") and actor.kind != "platform" and not bodies \
                    and not countries and _product_subject(doc, sent, labels, masked):
                flags.append("product_subject")  # "the auction site said it had deleted"
            if actor.kind == "platform" and _platform_is_patient(doc, sent, actor, t):
                actor = _agent_of_passive(doc, sent, t, bodies, countries)
                if actor is None:
                    continue
                via = "passive"
            measure = _resolve_measure(doc, label, actor, plats, t)
            if measure is None:
                continue
            if actor.kind == "body" and getattr(bodies_all.get(actor.value), "kind", "") \
                    in _PRIVATE_KINDS:
                flags.append("private_body")  # a hotline's notice is no public act
            reason = _not_an_action(doc, sent, t, actor, measure, labels, bodies_all)
            if reason:
                flags.append(reason)
            target = _target(doc, measure, actor, plats, t, gaz)
            generic_ok = False
            if not target and measure != "legislation":
                if t.label == "similar" or (has_ana and measure in NEEDS_TARGET):
                    target = last_target
                elif _has_product(doc, sent, labels, masked):
                    target = _previous_platform(plat_starts, sent.start)
                    generic_ok = measure == "block"
            if measure in NEEDS_TARGET and not target and not generic_ok and not (
                    measure == "warning" and _public_warning(doc, sent, t, labels)):
                flags.append("no_target")
            if (actor.value, measure) in seen:
                continue
            window_start = actor.end if actor.end <= t.start else t.start - 8
            if actor.end <= t.start:
                # inverted modal before the actor: "dan kan de ATKM een boete opleggen"
                k = actor.start - 1
                while k >= sent.start and doc[k].lower_ in DETERMINERS:
                    k -= 1
                if k >= sent.start and doc[k].lower_ in INVERTED_MODALS:
                    window_start = k
            status = st.decide(sent, t, measure, labels, ms.phrases, window_start)
            if status is None:
                flags.append("negated")
                status = "actual"
            requested, motion = _requested_of(doc, sent, actor, t, labels)
            if requested:
                if actor.kind == "platform":
                    flags.append("platform_opinion")  # what a platform should do
                status = "potential"  # a call on a body to act ("urged the police to ...")
                movers = [b for b in bodies if b.end <= motion]
                if movers and measure == "legislation":
                    # a motion asking the cabinet for a law: the parliament's call
                    actor = _body_actor(movers[-1], gaz, ms)
            weak_body = actor.value if actor.kind == "body" and any(
                w.value == actor.value for w in weak) else ""
            if actor.kind == "platform":
                actor_id = gaz.platform_company.get(actor.value, actor.value)
                if actor.value == "X":
                    actor_id = "X"
                juris = ""
            else:
                actor_id = actor.value
                juris = actor.country
            dates = find_dates(stext, published)
            conf = 0.55 + (0.2 if actor.kind == "body" else 0.1) + (0.0 if t.weak else 0.1)
            body = bodies_all.get(actor.value) if actor.kind == "body" else None
            feats = _features(doc, sent, si, t, sent_feats, actor, via, measure, target,
                              status, bool(requested), body.kind if body else "",
                              bool(weak_body), len(trigs), relevance, flags)
            for a in [actor] + _conjuncts(doc, actor, bodies, countries, courts):
                aid, jur = (actor_id, juris) if a is actor else (a.value, a.country)
                if a is not actor and (a.value, measure) in seen:
                    continue
                ev = Event(aid, jur, measure, target, status, dates[0] if dates else None,
                           stext.strip(), min(conf, 0.95))
                out.append(Candidate(ev, feats, tuple(flags),
                                     weak_body if a is actor else ""))
                if not flags:
                    seen.add((a.value, measure))
            if flags:
                continue  # what the rules doubt does not steer the sentences after it
            sent_actor = actor
            last_measure = measure
            if actor.kind != "platform":
                last_public = measure
            last_target = target or last_target
        _requested_by(doc, sent, out, n_before, bodies, gaz, ms)
        if sent_actor is not None:
            last_actor = sent_actor
        elif bodies:
            last_actor = _body_actor(bodies[-1], gaz, ms)
    _article_features(out)
    return out


def _story_country(ms: Mentions, before: int) -> str:
    """The country an unnamed actor most likely acts for: the last country or national
    body named before ``before``, else the article's home country."""
    prev = [(m.end, m.value) for m in ms.countries if m.end <= before]
    prev += [(m.end, m.country) for m in ms.bodies if m.end <= before and m.country]
    return max(prev, key=lambda p: p[0])[1] if prev else ms.home


def _article_features(cands: list[Candidate]) -> None:
    """How often the article proposes the same (jurisdiction, measure), and in how
    many unflagged sentences: a story's action is told more than once."""
    every: dict[tuple[str, str], int] = {}
    clean: dict[tuple[str, str], int] = {}
    for c in cands:
        key = (c.event.jurisdiction, c.event.measure)
        every[key] = every.get(key, 0) + 1
        if not c.flags:
            clean[key] = clean.get(key, 0) + 1
    for c in cands:
        key = (c.event.jurisdiction, c.event.measure)
        c.feats = {**c.feats, "key_count": math.log1p(every[key] - 1),
                   "key_clean": math.log1p(clean.get(key, 0) - (0 if c.flags else 1))}


_TOPIC = frozenset(("rel:sexual", "rel:strong", "rel:deep", "rel:ai", "rel:imagery"))


def _text(doc: Doc, span: Span) -> str:
    """A span's text sliced from the document's (Span.text visits every token)."""
    return doc_text(doc)[span.start_char:span.end_char]


def _sentence_features(sent: Span, stext: str,
                       labels: list[tuple[str, ...]]) -> dict[str, float]:
    """What every candidate of a sentence shares: it states the topic; it spans lines
    (a headline or byline glued to it)."""
    f: dict[str, float] = {}
    if any(lab in _TOPIC for i in range(sent.start, sent.end) for lab in labels[i]):
        f["sent_topic"] = 1.0
    if "\n" in stext.strip():
        f["multiline"] = 1.0
    return f


def _features(doc: Doc, sent: Span, si: int, t: Trigger, sent_feats: dict[str, float],
              actor: Actor, via: str, measure: str, target: str, status: str,
              requested: bool, body_kind: str, weak_body: bool, n_trigs: int,
              relevance: float, flags: list[str]) -> dict[str, float]:
    """The scorer's view of one candidate: what the rules computed, as named values."""
    gap = (t.start - actor.end) if actor.end <= t.start else (actor.start - t.end)
    f: dict[str, float] = {
        "m:" + measure: 1.0,
        "actor:" + actor.kind: 1.0,
        f"m:{measure}&actor:{actor.kind}": 1.0,
        "via:" + via: 1.0,
        f"via:{via}&m:{measure}": 1.0,
        "status:" + status: 1.0,
        f"m:{measure}&status:{status}": 1.0,
        "gap": math.log1p(max(0, gap)),
        "relevance": relevance,
        "n_trigs": math.log1p(n_trigs),
        **sent_feats,
    }
    if actor.start >= t.end:
        f["actor_after"] = 1.0
    if body_kind:
        f["kind:" + body_kind] = 1.0
        f[f"kind:{body_kind}&m:{measure}"] = 1.0
    if t.start > sent.start and doc[t.start - 1].lower_ in ("to", "te", "om"):
        f["infinitive"] = 1.0
    quotes = sum(doc[k].text in ('"', "“", "”", "„") for k in range(sent.start, t.start))
    if quotes % 2 == 1:
        f["in_quote"] = 1.0
    if t.weak:
        f["trig:weak"] = 1.0
    if t.end - t.start > 1:
        f["trig:phrase"] = 1.0
    if not target:
        f["no_target_name"] = 1.0
    if si == 0:
        f["first_sentence"] = 1.0
    if requested:
        f["requested"] = 1.0
    if weak_body:
        f["actor:weak"] = 1.0
    for fl in flags:
        f["flag:" + fl] = 1.0
    if flags:
        f["flagged"] = 1.0
    return f


@lru_cache(maxsize=8)
def _separable_rules(cues: tuple) -> tuple:
    return tuple((re.compile(v), part, tuple(lab.split())) for v, part, lab in cues)


def _separable(doc: Doc, gaz: Gazetteer, labels: list[tuple[str, ...]],
               lang: str) -> list[tuple[str, ...]]:
    """Separable verbs ("voerde ... in", "nam ... aan"): a finite stem whose particle
    closes its clause gets the labels of the joined verb (support, actual_override)."""
    sep = gaz.cues.get(lang, {}).get("separable")
    if not sep:
        return labels
    rules = _separable_rules(tuple(tuple(v) for v in sep.get("verbs", ())))
    nxt_ok = frozenset(sep.get("particle_next", ()))
    out = labels
    for sent in doc.sents:
        for i in range(sent.start, sent.end - 1):
            low = doc[i].lower_
            for rx, part, labs in rules:
                if not rx.fullmatch(low):
                    continue
                for j in range(i + 2, min(sent.end, i + 15)):
                    tj = doc[j]
                    if tj.text in (",", ";", ":") or tj.lower_ in CLAUSE_END:
                        break
                    if tj.lower_ != part:
                        continue
                    after = doc[j + 1] if j + 1 < sent.end else None
                    if after is None or after.is_punct or after.lower_ in nxt_ok:
                        if out is labels:
                            out = list(labels)
                        out[i] = tuple(dict.fromkeys(out[i] + labs))
                        break
    return out


_REQUEST_IDIOMS = frozenset(("op verzoek van", "at the request of", "op last van",
                             "at the behest of", "na een verzoek van", "following a request from"))


def _requested_by(doc: Doc, sent: Span, cands: list[Candidate], n_before: int,
                  bodies: list[Mention], gaz: Gazetteer, ms: Mentions) -> None:
    """"Telegram verwijderde 148 video's op verzoek van de KCSC", "X removed the posts at
    the request of the regulator": the platform's measure was demanded by the body named
    right after the idiom, which is an order of that body."""
    pm = [c for c in cands[n_before:] if c.event.measure == "platform_measure"]
    if not pm:
        return
    for k, a, b in ms.phrases:
        if not (k.startswith("PH|idiom") and a >= sent.start and b <= sent.end):
            continue
        if doc[a:b].text.lower() not in _REQUEST_IDIOMS:
            continue
        body = next((m for m in bodies if b <= m.start <= b + 2), None)
        if body is None:
            continue
        actor = _body_actor(body, gaz, ms)
        if actor is None or actor.kind != "body":
            continue
        src = pm[0].event
        feats = {k: v for k, v in pm[0].feats.items() if not k.startswith(("m:", "actor:"))}
        feats.update({"m:order": 1.0, "actor:body": 1.0, "m:order&actor:body": 1.0,
                      "via:request_idiom": 1.0})
        cands.append(Candidate(Event(actor.value, actor.country, "order", src.target,
                                     src.status, src.date, _text(doc, sent).strip(), 0.7),
                               feats, pm[0].flags))
        return


INVERTED_MODALS = frozenset(("kan", "kunnen", "zou", "zouden", "mag", "could", "might", "may"))
_ORDERED_MEASURES = ("restrict", "block", "ban")


def _other_subject(sent: Span, labels: list[tuple[str, ...]]) -> bool:
    """An action about another subject (a fine over blue checkmarks, a suspension over
    disinformation): an other-subject cue and no cue of the topic in the sentence."""
    rng = range(sent.start, sent.end)
    if not any("OTHER" in labels[i] for i in rng):
        return False
    return not any(("rel:sexual" in labels[i] or "rel:strong" in labels[i] or
                    "rel:deep" in labels[i]) for i in rng)


def _penalty_frame(sent: Span, t: Trigger, labels: list[tuple[str, ...]]) -> bool:
    """"Anyone convicted will face up to three years", "daders riskeren een boete": the
    penalty a law sets for a generic offender, no action."""
    if t.label not in ("fine", "legal_action"):
        return False
    gen = [i for i in range(max(sent.start, t.start - 10), t.start + 1) if "GEN" in labels[i]]
    if not gen:
        return False
    return any("RISK" in labels[i] for i in range(gen[0] + 1, min(sent.end, t.start + 3))
               if not t.start <= i < t.end)


def _power_to_act(doc: Doc, sent: Span, t: Trigger, labels: list[tuple[str, ...]]) -> bool:
    """A power cue governs the trigger's clause: "is bevoegd om de makers aan te
    spreken en te beboeten", "has the power to block"."""
    lo = max(sent.start, t.start - 16)
    cue = next((k for k in range(t.start - 1, lo - 1, -1) if "POWER" in labels[k]), None)
    return cue is not None and not any(
        doc[k].text in (";", ":") or doc[k].lower_ in ("but", "maar", "while", "terwijl")
        for k in range(cue + 1, t.start))


def _investigated(doc: Doc, t: Trigger, trigs: list[Trigger]) -> bool:
    """What an investigation asks is no act of its own: "onderzoekt of het platform de
    risico's heeft beperkt", "to determine whether they failed to answer its requests"."""
    return t.label != "investigation" and any(
        i.label == "investigation" and i.end <= t.start and any(
            doc[k].lower_ in _WHETHER for k in range(i.end, min(i.end + 4, t.start)))
        for i in trigs)


_WHETHER = frozenset(("of", "whether", "if"))


def _sentencing(sent: Span, labels: list[tuple[str, ...]]) -> bool:
    """A custodial sentence in the sentence: its fines and orders are the sentence's."""
    return any("JAIL" in labels[i] for i in range(sent.start, sent.end))


def _drop_orders_of_measures(doc: Doc, trigs: list[Trigger]) -> list[Trigger]:
    """"ordered a limitation on ...", "beveelt een blokkade": the ordered measure is the
    event, not a separate order ("ordered X to remove" stays an order)."""
    out = []
    for t in trigs:
        if t.label == "order" and any(
                o.label in _ORDERED_MEASURES and 0 < o.start - t.end <= 6 and not any(
                    doc[k].lower_ in ("to", "te", "om", "that", "dat")
                    for k in range(t.end, o.start))
                for o in trigs):
            continue
        out.append(t)
    return out


def _public_warning(doc: Doc, sent: Span, t: Trigger, labels: list[tuple[str, ...]]) -> bool:
    """A formal warning ("issued a formal warning") or one addressed to the public
    ("waarschuwt ouders", "warned users") needs no target platform."""
    if t.end - t.start > 1:
        return True
    return any("AUD" in labels[k] for k in range(t.end, min(sent.end, t.end + 3)))


def _spurious(doc: Doc, sent: Span, t: Trigger, trigs: list[Trigger],
              labels: list[tuple[str, ...]]) -> bool:
    """Triggers that do not report an action by their sentence's actor."""
    # purpose infinitive "om risico's te beperken", "maatregelen ... te blokkeren"
    if t.label in ("restrict", "remove", "block") and t.start > sent.start and \
            doc[t.start - 1].lower_ == "te":
        return True
    # "onderzoekt of het mogelijk is om ... te verbieden": weighing another measure
    if t.label == "investigation" and t.end < sent.end and doc[t.end].lower_ in (
            "of", "whether") and any(o.start > t.start and o.label != "investigation"
                                     for o in trigs):
        return True
    # "uit onderzoek blijkt", "naar aanleiding van een onderzoek", "according to a probe"
    j = t.start - 1
    while j >= sent.start and doc[j].lower_ in DETERMINERS:
        j -= 1
    if j >= sent.start and "SRC" in labels[j]:
        return True
    if j - 1 >= sent.start and doc[j].lower_ in ("to", "van") and "SRC" in labels[j - 1]:
        return True
    return False


def _choose_actor(doc: Doc, t: Trigger, label: str, bodies: list[Mention],
                  weak: list[Mention], courts: list[Mention], countries: list[Mention],
                  plats: list[Mention]) -> Actor | None:
    # an adjective right on the trigger noun: "Europees verbod", "French investigation"
    for c in countries:
        if c.sub == "adj" and c.end <= t.start and t.start - c.end <= 1:
            if not any(b.end <= t.start and b.end > c.start for b in bodies):
                return Actor("country", c.value, c.value, c.start, c.end)
    platform_ok = label in ("restrict", "remove", "block")
    subj_plats = [p for p in plats if not _prep_before(doc, p)] if platform_ok else []
    named = [Actor("body", b.value, b.country, b.start, b.end) for b in bodies]
    named += [Actor("body", w.value, w.country, w.start, w.end) for w in weak]
    named += [Actor("country", c.value, c.value, c.start, c.end) for c in courts]
    place = [Actor("country", c.value, c.value, c.start, c.end) for c in countries
             if c.sub in ("name", "place")]
    pl = [Actor("platform", p.value, "", p.start, p.end) for p in subj_plats]
    rel = _relative_spans(doc, t.start)
    before = [a for a in named + place + pl if a.end <= t.start and a.start not in rel]
    # passive "onderzocht door de Europese Commissie", "fined by Ofcom": the agent acts
    by_agent = [a for a in named + place if a.start >= t.end and a.start - t.end <= 6
                and _word_before(doc, a.start) in PASSIVE]
    if by_agent:
        return min(by_agent, key=lambda a: a.start)
    if before:
        # the closest candidate before the trigger, named bodies winning ties of a few tokens
        best = max(before, key=lambda a: (a.end + (3 if a.kind == "body" else 0)))
        if best.kind == "platform":
            # passive "door de Europese Commissie" later in the sentence still wins
            after_pass = [a for a in named if a.start > t.end and
                          _word_before(doc, a.start) in PASSIVE]
            if after_pass:
                return after_pass[0]
        elif not platform_ok and _platform_subject(doc, t, best, plats):
            return _NO_ACTOR
        return best
    if not platform_ok and _platform_subject(doc, t, None, plats):
        return _NO_ACTOR
    after = [a for a in named if a.start >= t.end and (
        _word_before(doc, a.start) in PASSIVE
        or not _prep_before(doc, Mention(a.start, a.end, "", "")))]
    if after:
        return min(after, key=lambda a: a.start)
    after_place = [a for a in place if a.start >= t.end]
    if after_place and not pl:
        return min(after_place, key=lambda a: a.start)
    if pl:
        return pl[0]
    return None


_NO_ACTOR = Actor("none", "", "", -1, -1)
# body kinds (regulators.jsonl) that are named but act privately: a hotline's notice
# or lawsuit is no measure of a public body
_PRIVATE_KINDS = frozenset(("hotline",))
_LAW_BODY = frozenset(("laws", "rules", "legislation", "law", "wetten", "regels", "wetgeving",
                       "regelgeving", "recht", "wet"))
CONJ = frozenset((",", "en", "and", "&", "de", "het", "the", "as", "well", "zowel", "als",
                  "ook", "also", "both"))
CLAUSE_END = frozenset((",", ";", ":", "dat", "that", "which", "die", "who", "waarna", "while",
                        "terwijl", "maar", "but", "after", "nadat", "(", "—", "–"))
PASSIVE_AUX = frozenset("werd wordt worden werden is zijn was were been be being is get got "
                        "gets".split())


REL_PRON = frozenset(("die", "dat", "that", "which", "who", "whose", "waar", "where", "wat"))


def _relative_spans(doc: Doc, end: int) -> set[int]:
    """Token indices of parenthetical relative clauses (", die ... ,", ", which ... ,")
    closed before ``end`` in its sentence, commas included: their names and clause
    boundaries belong to the relative clause, not to the main clause."""
    sent = doc[end].sent if end < len(doc) else doc[end - 1].sent
    out: set[int] = set()
    i = sent.start
    while i < end - 1:
        if doc[i].text == "," and doc[i + 1].lower_ in REL_PRON:
            j = i + 2
            while j < end and doc[j].text != ",":
                j += 1
            if j < end:
                out.update(range(i, j + 1))
                i = j
                continue
        i += 1
    return out


def _word_before(doc: Doc, i: int) -> str:
    j = i - 1
    while j >= 0 and doc[j].lower_ in DETERMINERS:
        j -= 1
    return doc[j].lower_ if j >= 0 else ""


def _platform_subject(doc: Doc, t: Trigger, best: Actor | None,
                      plats: list[Mention]) -> bool:
    """A platform is the subject of the clause of a public-body measure ("Apple issued
    warnings to developers"): the platform acts, which is no regulatory event."""
    lo = best.end if best is not None else t.start - 8
    for p in plats:
        if lo <= p.start and p.end <= t.start and t.start - p.end <= 6 and \
                not _prep_before(doc, p) and not any(
                    doc[k].lower_ in CLAUSE_END for k in range(p.end, t.start)):
            if any(doc[k].lower_ in PASSIVE_AUX for k in range(p.end, t.start)):
                continue
            # "De AP legt Clothoff een boete op": the platform is the object of the body
            rel = _relative_spans(doc, t.start)
            if best is None or any(doc[k].lower_ in CLAUSE_END and k not in rel
                                   for k in range(best.end, p.start)):
                return True
    return False


def _conjuncts(doc: Doc, actor: Actor, bodies: list[Mention], countries: list[Mention],
               courts: list[Mention]) -> list[Actor]:
    """Actors coordinated with ``actor``: "Indonesië, de Filipijnen en Maleisië
    blokkeerden", "by the European Commission and the UK"."""
    if actor.kind not in ("body", "country"):
        return []
    cands = [Actor("body", b.value, b.country, b.start, b.end) for b in bodies]
    cands += [Actor("country", c.value, c.value, c.start, c.end) for c in countries
              if c.sub in ("name", "place")]
    cands += [Actor("country", c.value, c.value, c.start, c.end) for c in courts]
    out: list[Actor] = []
    seen = {actor.value}

    def joined(a: int, b: int) -> bool:
        gap = doc[a:b]
        return len(gap) <= 4 and len(gap) > 0 and all(t.lower_ in CONJ for t in gap) and any(
            t.lower_ in (",", "en", "and", "&") for t in gap)

    for direction in (-1, 1):
        cur = actor
        while True:
            if direction < 0:
                nxt = [c for c in cands if c.end <= cur.start and joined(c.end, cur.start)]
                pick = max(nxt, key=lambda c: c.end) if nxt else None
            else:
                nxt = [c for c in cands if c.start >= cur.end and joined(cur.end, c.start)]
                pick = min(nxt, key=lambda c: c.start) if nxt else None
            if pick is None:
                break
            if pick.value not in seen and pick.value:
                seen.add(pick.value)
                out.append(pick)
            cur = pick
    return out


def _platform_antecedent(doc: Doc, sent: Span, anaphora: list[tuple[int, int]],
                         plats: list[Mention], t: Trigger) -> bool:
    """A platform named in the sentence before its pronoun ("Apple confirmed that it
    had ...") is what the pronoun refers to."""
    ana = [a for a, b in anaphora if sent.start <= a and b <= sent.end and a < t.start
           and doc[a].lower_ in _PRONOUNS]
    return bool(ana) and any(p.end <= ana[0] for p in plats)


_PRONOUNS = frozenset(("it", "they", "het", "zij", "ze"))


def _platform_is_patient(doc: Doc, sent: Span, actor: Actor, t: Trigger) -> bool:
    """"Zo werd de website MrDeepFakes ... geblokkeerd", "X was blocked in Turkey": the
    platform undergoes a passive measure."""
    if actor.end > t.start:
        return False
    if any(doc[k].lower_ in ("dat", "that", "which", "die") for k in range(actor.end, t.start)):
        return False
    span = range(max(sent.start, actor.start - 3), t.start)
    return any(doc[k].lower_ in PASSIVE_AUX for k in span if not
               actor.start <= k < actor.end) and not any(
        doc[k].lower_ in ("hebben", "heeft", "have", "has", "had") for k in
        range(actor.end, t.start))


def _agent_of_passive(doc: Doc, sent: Span, t: Trigger, bodies: list[Mention],
                      countries: list[Mention]) -> Actor | None:
    """The public actor of a passive measure on a platform: a named body anywhere in the
    sentence ("na ingrijpen van het Openbaar Ministerie"), else a country ("voor
    Nederlandse gebruikers")."""
    if bodies:
        b = min(bodies, key=lambda b: abs(b.start - t.start))
        return Actor("body", b.value, b.country, b.start, b.end)
    if countries:
        c = min(countries, key=lambda c: abs(c.start - t.start))
        return Actor("country", c.value, c.value, c.start, c.end)
    return None


def _not_an_action(doc: Doc, sent: Span, t: Trigger, actor: Actor, measure: str,
                   labels: list[tuple[str, ...]], bodies: Mapping[str, Body]) -> str:
    """The generic frame in which a measure word reports no action by a public body, as
    a reason name; "" when none applies."""
    lo = actor.end if actor.end <= t.start else sent.start
    # "the Irish laws governing ...", "Europese wetgeving": a body of law in force
    if measure == "legislation" and actor.kind == "country" and actor.end == t.start and \
            doc[t.start].lower_ in _LAW_BODY:
        return "law_body"
    # a law passed in the past, in a "since" clause: background ("sinds de wet in 2021
    # werd aangenomen", "since Coco's Law was passed in 2020")
    if measure == "legislation" and _since_clause(doc, sent, t, labels):
        return "since_clause"
    # a private party asks for the measure: "De eisers willen dat de rechter ... verbiedt"
    priv = [k for k in range(sent.start, t.start) if _private(doc, k, labels)]
    if priv and (actor.kind != "body" or actor.start > priv[0]):
        if any("REQ" in labels[k] for k in range(priv[0] + 1, t.start)):
            return "private_request"
    # a lawsuit or complaint filed by a private party: no event until a court acts
    if measure == "legal_action" and any("FILE" in labels[k] for k in range(t.start, t.end)):
        body = bodies.get(actor.value)
        state = actor.kind == "country" and actor.end <= t.start  # "Frankrijk doet aangifte"
        if (actor.kind != "body" and not state) or \
                (body is not None and body.kind == "court") or \
                (actor.end <= t.start and
                 any(_private(doc, k, labels) for k in range(lo, t.start))) or \
                (t.start > sent.start and "POSS" not in labels[t.start - 1]
                 and _private(doc, t.start - 1, labels)):  # "onze aangifte", "her lawsuit"
            return "private_filing"
    # stated under a law: "a crime under Italy's new law on AI", "onder de nieuwe wet"
    if measure == "legislation":
        k = t.start - 1
        while k >= max(sent.start, t.start - 5):
            if "UNDER" in labels[k] and doc[k].lower_ in ("under", "onder"):
                return "under_law"
            if not (doc[k].lower_ in DETERMINERS or doc[k].is_title or
                    doc[k].text in ("'s", "’s")):
                break
            k -= 1
    if measure in ("legal_action", "fine", "order", "warning", "block"):
        # the law is the subject ("the law requires", "de wet moet lidstaten verplichten")
        for k in range(t.start - 1, max(lo, t.start - 12) - 1, -1):
            if "LAW" in labels[k] and doc[k].is_lower and not any(
                    "VIOL" in labels[j] for j in range(max(sent.start, k - 3),
                                                      min(sent.end, k + 4))):
                return "law_subject"
            if doc[k].lower_ in CLAUSE_END and doc[k].lower_ != ",":
                # "a bill that would require ...", "een wet die ... verplicht": the
                # relative clause states the law's content
                if doc[k].lower_ in REL_PRON and k - 1 >= sent.start and \
                        "LAW" in labels[k - 1] and doc[k - 1].is_lower:
                    return "law_content"
                break
        # stated under a law ("een celstraf onder het nieuwe voorstel", "fines under the bill")
        if measure in ("legal_action", "fine"):
            for k in range(sent.start, sent.end - 1):
                if "UNDER" in labels[k] and not (t.start <= k < t.end):
                    j = k + 1
                    while j < sent.end and (doc[j].lower_ in DETERMINERS or
                                            doc[j].lower_ in ("new", "nieuwe", "proposed")):
                        j += 1
                    if j < sent.end and "LAW" in labels[j] and doc[j].is_lower:
                        if measure == "fine" or abs(j - t.start) <= 8:
                            return "under_proposal"
    # done by a non-public agent: "an investigation by CNBC", "onderzoek door NRC"
    j = t.end
    while j < sent.end and j - t.end < 3 and doc[j].lower_ in DETERMINERS | {"of", "van"}:
        j += 1
    if j + 1 < sent.end and doc[j].lower_ in PASSIVE:
        k = j + 1
        while k < sent.end - 1 and doc[k].lower_ in DETERMINERS:
            k += 1
        named_agent = doc[k].is_title or doc[k].is_upper
        if named_agent and not (actor.start <= k < actor.end):
            return "nonpublic_agent"  # the agent is a name that is no public body
    return ""


def _private(doc: Doc, k: int, labels: list[tuple[str, ...]]) -> bool:
    """A private-party word, except a possessive whose head is a public office ("his
    office", "haar ministerie")."""
    if "PRIV" not in labels[k]:
        return False
    if "POSS" in labels[k]:
        for j in range(k + 1, min(k + 3, len(doc))):
            if "PUBHEAD" in labels[j]:
                return False
            if not doc[j].is_alpha:
                break
    return True


_PAST_LAW = frozenset(("was", "were", "werd", "werden", "came", "took", "kwam", "trad",
                       "introduced", "invoering", "introduction", "inwerkingtreding"))


def _since_clause(doc: Doc, sent: Span, t: Trigger, labels: list[tuple[str, ...]]) -> bool:
    """The trigger is in a "since" clause about a past law, or is a state ("strafbaar",
    "illegal") in the main clause after an opening one ("Sinds de wet in 2021 werd
    aangenomen, zijn deepfakes strafbaar")."""
    def past_law(k: int, end: int, need_law: bool) -> bool:
        law = not need_law
        past = False
        for j in range(k + 1, end):
            if doc[j].lower_ in CLAUSE_END:
                break
            law = law or "LAW" in labels[j] or doc[j].text in ("Law", "Act", "Wet")
            past = past or "actual_override" in labels[j] or doc[j].lower_ in _PAST_LAW
        return law and past

    for k in range(t.start - 1, max(sent.start, t.start - 7) - 1, -1):
        if doc[k].lower_ in CLAUSE_END:
            break
        if "SINCE" in labels[k]:
            return past_law(k, min(sent.end, t.end + 8), False)
    if "LAW" in labels[t.start] or not any("SINCE" in labels[k] for k in
                                           range(sent.start, min(sent.start + 2, t.start))):
        return False
    k = next(k for k in range(sent.start, t.start) if "SINCE" in labels[k])
    return past_law(k, t.start, True)


_ASK_GAP = frozenset(("on", "upon", "er", "bij"))
_MOTION = frozenset(("motie", "motion", "resolutie", "resolution"))


def _requested_of(doc: Doc, sent: Span, actor: Actor, t: Trigger,
                  labels: list[tuple[str, ...]]) -> tuple[bool, int]:
    """Whether the actor is the one asked to act: "urged the police to prosecute", "riep de
    AP op ... te onderzoeken", "een motie die het kabinet oproept ... te verbieden"; and
    the index of the motion word (-1 when none) for a motion's request."""
    if actor.start < 0 or actor.end > t.start or t.start - actor.end > 15:
        return False, -1
    for k in range(actor.end, t.start):
        if doc[k].text in (";", ":") or doc[k].lower_ in ("but", "maar", "while", "terwijl"):
            return False, -1
    k = actor.start - 1
    while k >= sent.start and actor.start - k <= 4 and (
            doc[k].lower_ in DETERMINERS or doc[k].lower_ in _ASK_GAP) and "REQ" not in labels[k]:
        k -= 1
    hit = k >= sent.start and "REQ" in labels[k] and "WISH" not in labels[k]
    rel = [j for j in range(max(k, sent.start), actor.start) if doc[j].lower_ in REL_PRON]
    if not hit and rel:
        k = rel[-1]
        # Dutch subordinate clause: the object before its verb ("die het kabinet oproept")
        hit = any("REQ" in labels[j] and "WISH" not in labels[j]
                  for j in range(actor.end, min(actor.end + 2, t.start)))
        if hit:
            m = k - 1
            while m >= sent.start and m >= k - 3:
                if doc[m].lower_ in _MOTION:
                    return True, m
                m -= 1
    return hit, -1


_TITLE_LINKS = frozenset(("on", "of", "for", "against", "op", "inzake", "tot", "ter", "tegen"))
_LAW_HEADS = ("Act", "Bill", "Law", "Code", "Wet", "Regulation", "Directive")
_LAW_HEAD_IDS = np.array([hash_string(h) for h in _LAW_HEADS], dtype=np.uint64)  # ORTH ids


def _mask_law_titles(doc: Doc, masked: bytearray) -> None:
    """Titles of laws ("the Communications and Multimedia Act 1998", "Prevention of
    Children from Sexual Offences Act") name a law in force; their words are no measure."""
    heads = np.flatnonzero(np.isin(doc.to_array(ORTH), _LAW_HEAD_IDS))
    for i in heads.tolist():
        tok = doc[i]
        if tok.i > 0:
            prev = doc[tok.i - 1]
            if (prev.is_title or prev.is_upper) and not prev.is_sent_start and \
                    prev.lower_ not in DETERMINERS:
                j = tok.i - 1
                while j > 0 and (doc[j].is_title or doc[j].is_upper or doc[j].lower_ in (
                        "of", "and", "for", "on", "the", "van", "de", "en", "op")) and \
                        not doc[j].is_sent_start:
                    j -= 1
                masked[j + 1:tok.i + 1] = b"\x01" * (tok.i - j)
        # "the Act on the Protection of Children", "de Wet op de Kansspelen"
        if tok.text in ("Act", "Law", "Wet", "Code") and tok.i + 2 < len(doc) and \
                doc[tok.i + 1].lower_ in _TITLE_LINKS:
            j = tok.i + 1
            while j < len(doc) and doc[j].lower_ in _TITLE_LINKS | DETERMINERS:
                j += 1
            if j < len(doc) and doc[j].is_title and not doc[j].is_sent_start:
                while j < len(doc) and (doc[j].is_title or doc[j].lower_ in _TITLE_LINKS
                                        | DETERMINERS | {"and", "en"}):
                    j += 1
                masked[tok.i:j] = b"\x01" * (j - tok.i)


def _has_product(doc: Doc, sent: Span, labels: list[tuple[str, ...]],
                 masked: bytearray) -> bool:
    return any("PROD" in labels[k] or doc[k].lower_.endswith(("sites", "apps", "websites"))
               for k in range(sent.start, sent.end) if not masked[k])


def _product_subject(doc: Doc, sent: Span, labels: list[tuple[str, ...]],
                     masked: bytearray) -> bool:
    """An unnamed service is the sentence's subject ("De website ... heeft ze
    verwijderd", "The auction site said it had deleted ..."): its own measure, which
    is no platform measure without a name (and no order of a body)."""
    for k in range(sent.start, min(sent.start + 4, sent.end)):
        if masked[k]:
            return False
        if "PROD" in labels[k] or doc[k].lower_ in ("site", "website", "websites", "sites"):
            return True
    return False


def _previous_platform(plats: list[Mention], before: int) -> str:
    prev = [p for p in plats if p.end <= before]
    return prev[-1].value if prev else ""


def _resolve_measure(doc: Doc, label: str, actor: Actor, plats: list[Mention],
                     t: Trigger) -> str | None:
    if actor.kind == "platform":
        return "platform_measure" if label in ("restrict", "remove", "block") else None
    if label == "restrict":
        return "block"
    if label == "remove":
        return "order"
    if label == "ban":
        # the banned service is named near the ban, not in a headline glued to the sentence
        return "block" if any(abs(p.start - t.start) <= 15 for p in plats) else "legislation"
    return label


def _target(doc: Doc, measure: str, actor: Actor, plats: list[Mention], t: Trigger,
            gaz: Gazetteer) -> str:
    if measure == "legislation":
        return ""
    cands = [p for p in plats if not (actor.kind == "platform" and p.start == actor.start)]
    if not cands:
        return actor.value if actor.kind == "platform" else ""
    after = [p for p in cands if p.start >= t.end]
    pick = after[0] if after else cands[-1]
    return pick.value


def _upgrade_country_actors(events: list[Event], sents: list[Span], ms: Mentions,
                            published: date | None) -> None:
    """"Maleisië heeft ... beperkt. Dat bevestigde de Maleisische toezichthouder":
    a country acting is replaced by its body named in the same or next sentence."""
    if not events:
        return
    doc = sents[0].doc
    idx = {_text(doc, s).strip(): i for i, s in enumerate(sents)}
    for e in events:
        if e.actor != e.jurisdiction or len(e.actor) != 2:
            continue
        i = idx.get(e.evidence)
        if i is None or i + 1 >= len(sents):
            continue
        nxt = sents[i + 1]
        cands = [b for b in ms.bodies if _in(b, nxt) and b.country == e.actor]
        if len(cands) == 1:
            e.actor = cands[0].value
            e.evidence = e.evidence + " " + _text(doc, nxt).strip()
            if e.date is None:
                dates = find_dates(_text(doc, nxt), published)
                e.date = dates[0] if dates else None


def _merge(events: list[Event]) -> list[Event]:
    out: dict[tuple[str, str, str], Event] = {}
    for e in events:
        key = (e.actor, e.measure, e.target)
        old = out.get(key)
        if old is None:
            out[key] = e
        elif st.RANK[e.status] > st.RANK[old.status]:
            e.date = e.date or old.date
            out[key] = e
        elif old.date is None and e.date is not None and e.status == old.status:
            old.date = e.date
    return list(out.values())


def _fold(events: list[Event]) -> list[Event]:
    """One report of an act, not one per wording: a country acting folds into the body
    of that country taking the same measure in the article ("Malaysia blocked Grok ...
    the MCMC restricted access"), and one actor's act on Grok, xAI or X into one event
    per target family (nlp/data/target_families.toml); the first wording stays."""
    named = {(e.jurisdiction, e.measure) for e in events
             if e.jurisdiction and not is_code(e.actor)}
    seen: set[tuple[str, str, str]] = set()
    out = []
    for e in events:
        if e.jurisdiction and is_code(e.actor) and (e.jurisdiction, e.measure) in named:
            continue
        key = (e.actor, e.measure, family(e.target))
        if e.target and key in seen:
            continue
        seen.add(key)
        out.append(e)
    return out
