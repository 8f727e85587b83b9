"""Event assembly: one action by one actor, from triggers and mentions.

For each trigger in a sentence: choose the actor (nearest named body before
the trigger, else after it; else a country acting; else an adjective on the
trigger noun, "Europees verbod"; else carried over from the previous sentence
through an anaphor), the target (a platform in the sentence), the measure
(restrict/remove/ban/similar resolved by the actor's type and target), the
status (nlp/status.py), and a date (nlp/dates.py). Events are merged per
(actor, measure, target) keeping the strongest status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from spacy.tokens import Doc, Span

from . import status as st
from .dates import find_dates
from .gazetteer import Gazetteer
from .measures import Trigger, find_triggers
from .mentions import Mention, Mentions
from .model import Event

PREPS = frozenset("tot to op on van of naar into voor for against tegen over about at bij in "
                  "with met from uit by door".split())
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


def extract(doc: Doc, gaz: Gazetteer, ms: Mentions, labels: list[tuple[str, ...]],
            published: date | None, lang: str) -> tuple[list[Event], set[str]]:
    """Events of a (relevant) document, and the ids of weak bodies that acted."""
    masked = bytearray(len(doc) + 1)
    for m in ms.bodies + ms.platforms + ms.weak:
        masked[m.start:m.end] = b"\x01" * (m.end - m.start)
    for k, a, b in ms.phrases:
        if k.startswith("PH|lawname") or k.startswith("PH|background"):
            masked[a:b] = b"\x01" * (b - a)
    anaphora = [(a, b) for k, a, b in ms.phrases if k.startswith("ANA|")]
    events: list[Event] = []
    used_weak: set[str] = set()
    last_actor: Actor | None = None
    last_measure = ""
    sents = list(doc.sents)
    for si, sent in enumerate(sents):
        if sent.text.rstrip().endswith("?"):
            continue  # questions ("Vraag 6 ... ?") report no action
        trigs = find_triggers(doc, sent, si, labels, ms.phrases, masked)
        trigs = [t for t in trigs if not _spurious(doc, sent, t, trigs, labels)]
        bodies = [m for m in ms.bodies if _in(m, sent)]
        weak = [m for m in ms.weak if _in(m, sent)]
        courts = [m for m in ms.courts if _in(m, sent)]
        countries = [m for m in ms.countries if _in(m, sent)]
        plats = [m for m in ms.platforms if _in(m, sent)]
        has_ana = any(a >= sent.start and b <= sent.end for a, b in anaphora)
        sent_actor: Actor | None = None
        seen: set[tuple[str, str]] = set()
        order_at = min((t.start for t in trigs if t.label == "order"), default=None)
        for t in trigs:
            label = t.label
            if label in ("remove", "restrict") and order_at is not None and order_at < t.start:
                continue  # the content of a demand ("ordered X to remove ...")
            if label == "similar":
                if not last_measure:
                    continue
                label = last_measure
            actor = _choose_actor(doc, t, label, bodies, weak, courts, countries, plats)
            if actor is None and (has_ana or label == "similar") and last_actor is not None:
                actor = last_actor
            if actor is None and "SO" in labels[t.start] and ms.home:
                actor = Actor("country", ms.home, ms.home, t.start, t.start)
            if actor is None:
                continue
            measure = _resolve_measure(doc, label, actor, plats, t)
            if measure is None:
                continue
            target = _target(doc, measure, actor, plats, t, gaz)
            if measure in NEEDS_TARGET and not target:
                continue
            if (actor.value, measure) in seen:
                continue
            window_start = actor.end if actor.end <= t.start else t.start - 8
            status = st.decide(sent, t, measure, labels, ms.phrases, window_start)
            if status is None:
                continue
            if actor.kind == "body" and any(w.value == actor.value for w in weak):
                used_weak.add(actor.value)
            if actor.kind == "platform":
                actor_id = gaz.platform_company.get(actor.value, actor.value)
                if actor.value == "X":
                    actor_id = "X"
                juris = ""
            else:
                actor_id = actor.value
                juris = actor.country
            dates = find_dates(sent.text, published)
            conf = 0.55 + (0.2 if actor.kind == "body" else 0.1) + (0.0 if t.weak else 0.1)
            events.append(Event(actor_id, juris, measure, target, status,
                                dates[0] if dates else None, sent.text.strip(), min(conf, 0.95)))
            seen.add((actor.value, measure))
            sent_actor = actor
            last_measure = measure
        if sent_actor is not None:
            last_actor = sent_actor
        elif bodies:
            last_actor = _body_actor(bodies[-1], gaz, ms)
    _upgrade_country_actors(events, sents, ms, published)
    return _merge(events), used_weak


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
    before = [a for a in named + place + pl if a.end <= t.start]
    if before:
        # the closest candidate before the trigger, named bodies winning ties of a few tokens
        best = max(before, key=lambda a: (a.end + (3 if a.kind == "body" else 0)))
        if best.kind == "platform":
            # passive "door de Europese Commissie" later in the sentence still wins
            after_pass = [a for a in named if a.start > t.end and
                          doc[a.start - 1].lower_ in PASSIVE]
            if after_pass:
                return after_pass[0]
        return best
    after = [a for a in named if a.start >= t.end and (
        doc[a.start - 1].lower_ in PASSIVE
        or not _prep_before(doc, Mention(a.start, a.end, "", "")))]
    if after:
        return min(after, key=lambda a: a.start)
    after_place = [a for a in place if a.start >= t.end]
    if after_place and not pl:
        return min(after_place, key=lambda a: a.start)
    if pl:
        return pl[0]
    return None


def _resolve_measure(doc: Doc, label: str, actor: Actor, plats: list[Mention],
                     t: Trigger) -> str | None:
    if actor.kind == "platform":
        return "platform_measure" if label in ("restrict", "remove", "block") else None
    if label == "restrict":
        return "block"
    if label == "remove":
        return "order"
    if label == "ban":
        return "block" if plats else "legislation"
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
    idx = {s.text.strip(): i for i, s in enumerate(sents)}
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
            e.evidence = e.evidence + " " + nxt.text.strip()
            if e.date is None:
                dates = find_dates(nxt.text, published)
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
