"""Action resolution: which real-world action each event of an article reports.

One job: given one article's events, the article's metadata and a resolver state
(the actions known so far), return an action id per event, joining an existing
action or opening a new one. Articles are resolved one at a time, in any order,
by the crawl (through the store), ``reprocess`` and ``toezicht extract --actions``.

An event joins an action with the same measure and jurisdiction when
- the actors agree: the same body, a body of an action's joint group, or a country
  code standing for a body of that country (and the other way round); platforms by
  family (X, xAI);
- the targets agree as families (``nlp/data/target_families.toml``: Grok ⊂ xAI ⊂ X);
- the dates agree: the article (or event) dates lie inside the action's window
  (``nlp/data/action_rules.toml``); explicit event dates far apart are two decisions;
- the facets agree: what decision of the measure the evidence speaks of (a paywall or
  a geoblock; early scrutiny or formal proceedings), when both are known;
- and there is positive evidence beyond (country, measure): a shared target family,
  a shared case key (a name or place from the evidence), a shared facet, or, for
  measures that are no case, the same named body or an overlapping date window. Legal actions and
  investigations without a target need a shared case key, so two unrelated Dutch
  court cases stay two actions.

Ids are stable: a new action's id is a hash of its first event, and never changes
when sources join. Re-resolving an article (``reprocess``) first takes its earlier
contributions out; where its events now land elsewhere, :class:`Resolution` lists
links old id → new ids (``merge`` when the old action is left empty, ``split`` when
it lives on beside the new one) for the store to record.

This module is pure: it reads its data files and nothing else (no store, no
``toezicht``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Protocol

from nlp.dates import find_dates, to_date
from nlp.gazetteer import _jsonl, _toml

STATUS_RANK = {"potential": 1, "planned": 2, "actual": 3}
_CODE = re.compile(r"^[A-Z]{2}$")
_WORD = re.compile(r"[A-ZÀ-Ý][\w'’\-]*[\w]")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”‘'(\[]\s*|\n\s*)$")


# -- rules (data) -------------------------------------------------------------
@dataclass(frozen=True)
class Rules:
    family_of: dict[str, str]
    company_of: dict[str, str]
    groups: tuple[tuple[frozenset[str], frozenset[str]], ...]  # (members, measures)
    body_country: dict[str, str]
    body_kind: dict[str, str]
    kind_groups: tuple[tuple[frozenset[str], frozenset[str]], ...]  # (kinds, measures)
    window: dict[str, int]
    explicit_days: int
    explicit_measures: frozenset[str]
    dated_measures: frozenset[str]
    case_measures: frozenset[str]
    stopwords: frozenset[str]
    year_windows: bool = True
    keyed_measures: frozenset[str] = frozenset()
    facets: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = field(default_factory=dict)


@lru_cache(maxsize=1)
def rules() -> Rules:
    fams = _toml("target_families.toml")
    cfg = _toml("action_rules.toml")
    family_of = {name.casefold(): fam for fam, names in fams["families"].items()
                 for name in names}
    company_of = {row["name"].casefold(): str(row.get("company") or row["name"]).casefold()
                  for row in _jsonl("platforms.jsonl")}
    bodies = _jsonl("regulators.jsonl") + _jsonl("regulators_us_states.jsonl")
    body_country = {row["id"]: row.get("country", "") for row in bodies}
    # kinds group national bodies only: a state's chambers are their own actors
    body_kind = {row["id"]: row.get("kind", "") for row in _jsonl("regulators.jsonl")}
    words: set[str] = {w.casefold() for w in cfg["cases"]["stopwords"]}
    for row in bodies:  # words of body names are no case keys ("Openbaar Ministerie")
        for name in [row.get("name", ""), *row.get("names", [])]:
            words.update(w.casefold() for w in re.findall(r"\w+", name))
    for row in _jsonl("countries.jsonl"):  # nor countries and their adjectives
        for name in [*row.get("names", []), *row.get("adjectives", [])]:
            words.update(w.casefold() for w in re.findall(r"\w+", name))
    for row in _jsonl("platforms.jsonl"):
        for name in [row["name"], *row.get("names", [])]:
            words.update(w.casefold() for w in re.findall(r"\w+", name))
    from nlp.dates import MONTHS, WEEKDAYS

    words.update(MONTHS)
    words.update(WEEKDAYS)
    groups = tuple((frozenset(g["members"]), frozenset(g.get("measures", [])))
                   for g in cfg.get("actor_groups", []))
    kind_groups = tuple((frozenset(g["kinds"]), frozenset(g.get("measures", [])))
                        for g in cfg.get("kind_groups", []))
    win = cfg["window"]
    facets = {measure: tuple((name, re.compile(r"\b(?:" + "|".join(pats) + r")\b", re.I))
                             for name, pats in table.items())
              for measure, table in cfg.get("facets", {}).items()}
    return Rules(facets=facets, family_of=family_of, company_of=company_of, groups=groups,
                 body_country=body_country, body_kind=body_kind, kind_groups=kind_groups,
                 window={k: int(v) for k, v in win.items() if isinstance(v, int)},
                 explicit_days=int(win.get("explicit", 3)),
                 explicit_measures=frozenset(win.get("explicit_measures", [])),
                 dated_measures=frozenset(win.get("dated_measures", [])),
                 case_measures=frozenset(cfg["cases"]["measures"]),
                 stopwords=frozenset(words),
                 year_windows=bool(win.get("year_windows", True)),
                 keyed_measures=frozenset(cfg["cases"].get("keyed_measures", [])))


def family(name: str | None) -> str:
    """The target family of a platform, product or company name ('' for none)."""
    key = (name or "").strip().casefold()
    if not key:
        return ""
    r = rules()
    if key in r.family_of:
        return r.family_of[key]
    company = r.company_of.get(key, key)
    return r.family_of.get(company, company)


def is_code(actor: str) -> bool:
    return bool(_CODE.match(actor or "")) or actor == "EU"


# -- article metadata ----------------------------------------------------------
@dataclass
class ArticleInfo:
    """What resolution needs of an article besides its events."""

    id: str
    url: str = ""
    lang: str = ""
    lo: date | None = None  # the article's date window (published, else text dates)
    hi: date | None = None
    regulators: dict[str, str] = field(default_factory=dict)  # body id -> country


def _text_window(text: str) -> tuple[date | None, date | None]:
    """The span of the full dates the text states, else of the years it names."""
    found = [d for d in find_dates(text or "", None) if 1990 <= d.year <= 2100]
    if found:
        return min(found), max(found)
    if not rules().year_windows:
        return None, None
    years = [int(y) for y in re.findall(r"\b(?:19[89]\d|20[0-4]\d)\b", text or "")]
    if years:
        return date(min(years), 1, 1), date(max(years), 12, 31)
    return None, None


_URL_DATE = re.compile(
    r"(?<!\d)(20[0-4]\d)[/-]?(0[1-9]|1[0-2])(?:[/-]?(0[1-9]|[12]\d|3[01]))?(?!\d)")


def _url_window(url: str) -> tuple[date | None, date | None]:
    """The date a URL's path states (/2024/05/22/, /20240425/, ud=20240902…), as a
    day, or as its month when it names no day."""
    for m in _URL_DATE.finditer(url or ""):
        year, month, day = int(m.group(1)), int(m.group(2)), m.group(3)
        try:
            if day:
                d = date(year, month, int(day))
                return d, d
            lo = date(year, month, 1)
            hi = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1))
            return lo, hi
        except ValueError:
            continue
    return None, None


def article_info(record: dict[str, Any]) -> ArticleInfo:
    """ArticleInfo of an article record (id, url, lang, published, text, regulators):
    its publication date, else the date its URL states, else the dates in its text."""
    published = to_date(record.get("published"))
    if published:
        lo = hi = published
    else:
        lo, hi = _url_window(str(record.get("url") or ""))
        if lo is None:
            lo, hi = _text_window(f"{record.get('title') or ''}\n{record.get('text') or ''}")
    regs: dict[str, str] = {}
    for r in record.get("regulators") or []:
        if isinstance(r, dict) and r.get("id"):
            regs[str(r["id"])] = str(r.get("country") or "")
        elif isinstance(r, str):
            regs[r] = rules().body_country.get(r, "")
    return ArticleInfo(id=str(record.get("id")), url=str(record.get("url") or ""),
                       lang=str(record.get("lang") or ""), lo=lo, hi=hi, regulators=regs)


# -- actions -------------------------------------------------------------------
@dataclass
class Member:
    """One article's contribution to an action."""

    actors: set[str] = field(default_factory=set)
    targets: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)
    facets: set[str] = field(default_factory=set)
    lo: date | None = None
    hi: date | None = None
    explicit: set[date] = field(default_factory=set)
    status: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"actors": sorted(self.actors), "targets": sorted(self.targets),
                "keys": sorted(self.keys), "facets": sorted(self.facets),
                "lo": _iso(self.lo), "hi": _iso(self.hi),
                "explicit": sorted(d.isoformat() for d in self.explicit),
                "status": self.status}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Member:
        return cls(actors=set(data.get("actors") or []), targets=set(data.get("targets") or []),
                   keys=set(data.get("keys") or []),
                   facets=set(data.get("facets") or []), lo=to_date(data.get("lo")),
                   hi=to_date(data.get("hi")),
                   explicit={d for d in map(to_date, data.get("explicit") or []) if d},
                   status=str(data.get("status") or ""))


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


@dataclass
class Action:
    """A resolved action: its identity keys are the union of its members'."""

    id: str
    measure: str
    jurisdiction: str
    members: dict[str, Member] = field(default_factory=dict)

    @property
    def actors(self) -> set[str]:
        return {a for m in self.members.values() for a in m.actors}

    @property
    def bodies(self) -> set[str]:
        return {a for a in self.actors if not is_code(a)}

    @property
    def families(self) -> set[str]:
        return {family(t) for m in self.members.values() for t in m.targets} - {""}

    @property
    def keys(self) -> set[str]:
        return {k for m in self.members.values() for k in m.keys}

    @property
    def facets(self) -> set[str]:
        return {f for m in self.members.values() for f in m.facets}

    @property
    def window(self) -> tuple[date | None, date | None]:
        los = [m.lo for m in self.members.values() if m.lo]
        his = [m.hi for m in self.members.values() if m.hi]
        return (min(los) if los else None, max(his) if his else None)

    @property
    def explicit(self) -> set[date]:
        return {d for m in self.members.values() for d in m.explicit}

    @property
    def status(self) -> str:
        return max((m.status for m in self.members.values()),
                   key=lambda s: STATUS_RANK.get(s, 0), default="")

    @property
    def actor(self) -> str:
        """The actor to show: a named body before a country code."""
        bodies = sorted(self.bodies)
        return bodies[0] if bodies else min(self.actors, default="")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "measure": self.measure, "jurisdiction": self.jurisdiction,
                "members": {k: m.to_json() for k, m in sorted(self.members.items())}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Action:
        return cls(id=data["id"], measure=data.get("measure") or "",
                   jurisdiction=data.get("jurisdiction") or "",
                   members={k: Member.from_json(v)
                            for k, v in (data.get("members") or {}).items()})


class ResolverState(Protocol):
    """The actions known so far (in memory for a file, in the store for a crawl)."""

    def candidates(self, measure: str, jurisdiction: str) -> list[Action]: ...

    def get(self, action_id: str) -> Action | None: ...

    def of_article(self, article_id: str) -> list[Action]: ...

    def put(self, action: Action) -> None: ...


class MemoryState:
    """A ResolverState in a dict (``extract --actions``, tests)."""

    def __init__(self, actions: Iterable[Action] = ()) -> None:
        self.actions: dict[str, Action] = {a.id: a for a in actions}

    def candidates(self, measure: str, jurisdiction: str) -> list[Action]:
        return [a for a in self.actions.values()
                if a.measure == measure and a.jurisdiction == jurisdiction and a.members]

    def get(self, action_id: str) -> Action | None:
        return self.actions.get(action_id)

    def of_article(self, article_id: str) -> list[Action]:
        return [a for a in self.actions.values() if article_id in a.members]

    def put(self, action: Action) -> None:
        self.actions[action.id] = action


@dataclass
class Link:
    old: str
    new: list[str]
    kind: str  # merge | split


@dataclass
class Resolution:
    ids: list[str]
    new: list[str] = field(default_factory=list)  # actions this article opened
    links: list[Link] = field(default_factory=list)


# -- matching ------------------------------------------------------------------
def case_keys(evidence: str) -> set[str]:
    """Names and places in an evidence text: capitalised words that do not start a
    sentence and are no body, country, platform, month or common word."""
    stop = rules().stopwords
    out: set[str] = set()
    for m in _WORD.finditer(evidence or ""):
        word = m.group(0)
        if len(word) < 3 or word.isupper() and len(word) <= 4:
            continue
        if _SENTENCE_START.search(evidence[max(0, m.start() - 3):m.start()]):
            continue
        key = word.casefold().rstrip("'’s") if word.endswith(("'s", "’s")) else word.casefold()
        if key not in stop and not key.isdigit():
            out.add(key)
    return out


def facets(measure: str, evidence: str) -> set[str]:
    """Which decisions of ``measure`` an evidence text speaks of (action_rules.toml)."""
    return {name for name, rx in rules().facets.get(measure, ()) if rx.search(evidence or "")}


def _event_member(ev: dict[str, Any], art: ArticleInfo) -> Member:
    explicit = to_date(ev.get("date"))
    lo, hi = (explicit, explicit) if explicit else (art.lo, art.hi)
    target = str(ev.get("target") or "").strip()
    return Member(actors={str(ev.get("actor") or "").strip()} - {""},
                  targets={target} if target else set(),
                  keys=case_keys(str(ev.get("evidence") or "")),
                  facets=facets(str(ev.get("measure") or ""), str(ev.get("evidence") or "")),
                  lo=lo, hi=hi, explicit={explicit} if explicit else set(),
                  status=str(ev.get("status") or ""))


def _country(actor: str, art: ArticleInfo | None = None) -> str:
    if is_code(actor):
        return actor
    if art and actor in art.regulators and art.regulators[actor]:
        return art.regulators[actor]
    return rules().body_country.get(actor, "")


def _grouped(a: str, b: str, measure: str) -> bool:
    """Whether bodies a and b act jointly for this measure: listed as a group, or of
    one country and of kinds that act together (a parliament and its senate)."""
    r = rules()
    if any(a in members and b in members and (not measures or measure in measures)
           for members, measures in r.groups):
        return True
    ka, kb = r.body_kind.get(a, ""), r.body_kind.get(b, "")
    ca, cb = r.body_country.get(a, ""), r.body_country.get(b, "")
    return bool(ka and kb and ca and ca == cb) and any(
        ka in kinds and kb in kinds and (not measures or measure in measures)
        for kinds, measures in r.kind_groups)


def _actors_agree(ev_actor: str, action: Action, art: ArticleInfo) -> tuple[bool, bool]:
    """(compatible, same named body) for an event's actor and an action."""
    if action.measure == "platform_measure":
        fams = {family(a) for a in action.actors}
        return family(ev_actor) in fams, ev_actor in action.actors
    bodies = action.bodies
    if is_code(ev_actor):
        codes = {a for a in action.actors if is_code(a)}
        countries = {_country(b, art) for b in bodies}
        return ev_actor in codes or ev_actor in countries, False
    if ev_actor in bodies:
        return True, True
    if bodies:
        ok = all(_grouped(ev_actor, b, action.measure) for b in bodies)
        return ok, ok
    # only country codes so far: a body of that country joins them
    country = _country(ev_actor, art)
    return bool(country) and country in action.actors, False


def _window_days(measure: str) -> int:
    w = rules().window
    return w.get(measure, w.get("default", 45))


def _dates_agree(m: Member, action: Action) -> bool | None:
    """True/False when both have a date window, None when either has none."""
    dated = [x for x in action.members.values() if x.lo and x.hi]
    if not (dated and m.lo and m.hi):
        return None
    pad = timedelta(days=_window_days(action.measure))
    # near one of its reports (not merely inside the span of all): order matters less
    if not any(m.lo <= x.hi + pad and m.hi >= x.lo - pad for x in dated):  # type: ignore
        return False
    r = rules()
    if action.measure in r.explicit_measures and m.explicit and action.explicit:
        near = timedelta(days=r.explicit_days)
        if all(abs(d - e) > near for d in m.explicit for e in action.explicit):
            return False
    return True


def _score(ev: dict[str, Any], m: Member, action: Action, art: ArticleInfo,
           co: frozenset[str] = frozenset()) -> float | None:
    """How well an event fits an action; None when it must not join. ``co``: the
    bodies the article names acting together with the event's actor in its sentence;
    an action by that same group of bodies is the same procedure."""
    actor = next(iter(m.actors), "")
    ok, same_body = _actors_agree(actor, action, art)
    if not ok:
        return None
    mine = action.members.get(art.id)
    if (mine and action.measure != "platform_measure" and actor not in mine.actors
            and not all(_grouped(actor, a, action.measure) for a in mine.actors)):
        return None  # one article naming two actors for one measure reports two actions
    ev_fams = {family(t) for t in m.targets} - {""}
    fams = action.families
    if ev_fams and fams and not ev_fams & fams:
        return None
    shared_facets = m.facets & action.facets
    if m.facets and action.facets and not shared_facets:
        return None  # two decisions of one measure (a paywall, a geoblock)
    dates = _dates_agree(m, action)
    if dates is False:
        return None
    if dates is None and action.measure in rules().dated_measures and not shared_facets:
        return None
    shared_fam = bool(ev_fams & fams)
    shared_keys = len(m.keys & action.keys)
    case = action.measure in rules().case_measures
    if shared_fam or shared_keys or shared_facets:
        evidence = True
    elif case:
        evidence = False  # a case without a target is told by its keys only
    elif same_body:
        # a body passes many laws: with neither dates nor a key, the same body is
        # evidence only for measures not listed as needing a date or a key
        evidence = (bool(dates) or action.measure not in rules().keyed_measures
                    or (len(co) >= 2 and co <= action.bodies))
    else:
        evidence = bool(dates) and not (ev_fams or fams)
    if not evidence:
        return None
    return (3.0 * same_body + 2.0 * shared_fam + 1.5 * min(shared_keys, 3)
            + 1.5 * bool(shared_facets)
            + 1.0 * bool(dates) + 0.5 * (actor in action.actors)
            + 0.1 * min(len(action.members), 10))


def _new_id(art: ArticleInfo, ev: dict[str, Any], state: ResolverState,
            taken: set[str]) -> str:
    base = "|".join(str(ev.get(k) or "").strip().casefold()
                    for k in ("actor", "measure", "target", "jurisdiction"))
    n = 0
    while True:
        key = f"{art.id}|{base}" + (f"|{n}" if n else "")
        aid = hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
        existing = state.get(aid)
        if aid not in taken and (existing is None or not existing.members):
            return aid
        n += 1


def resolve_article(events: Sequence[dict[str, Any]], article: ArticleInfo,
                    state: ResolverState) -> Resolution:
    """Resolve one article's events against ``state`` (updated in place): an action
    id per event. Re-resolving an article replaces its earlier contributions."""
    before: dict[str, Action] = {}
    for action in state.of_article(article.id):
        before[action.id] = action
        action.members.pop(article.id, None)
        state.put(action)
    ids: list[str] = []
    opened: list[str] = []
    touched: dict[str, Action] = {}
    joint_of: dict[tuple[str, str, str], str] = {}  # (measure, jurisdiction, evidence)
    co_of: dict[tuple[str, str, str], frozenset[str]] = {}
    keys = [(str(ev.get("measure") or ""), str(ev.get("jurisdiction") or ""),
             _norm(ev.get("evidence"))) for ev in events]
    for ev, k in zip(events, keys, strict=True):
        actor = str(ev.get("actor") or "").strip()
        if k[2] and actor and not is_code(actor):
            co_of[k] = co_of.get(k, frozenset()) | {actor}
    for ev, key in zip(events, keys, strict=True):
        measure, juris, _evidence = key
        m = _event_member(ev, article)
        pool = {a.id: a for a in state.candidates(measure, juris)}
        pool.update({a.id: a for a in touched.values()
                     if a.measure == measure and a.jurisdiction == juris})
        best, best_score = None, 0.0
        # bodies named as acting together in one sentence report one action
        joint = joint_of.get(key)
        fams = {family(t) for t in m.targets} - {""}
        if (joint is not None and joint in touched
                and (not fams or not touched[joint].families or fams & touched[joint].families)):
            best = touched[joint]
            pool = {}
        for action in pool.values():
            s = _score(ev, m, action, article, co_of.get(key, frozenset()))
            if s is not None and (best is None or s > best_score
                                  or s == best_score and action.id < best.id):
                best, best_score = action, s
        if best is None:
            best = before.get(_reuse(before, ev, m, article) or "") or Action(
                id=_new_id(article, ev, state, set(touched)), measure=measure,
                jurisdiction=juris)
            if not before.get(best.id):
                opened.append(best.id)
        mine = best.members.get(article.id)
        if mine is None:
            best.members[article.id] = m
        else:
            _absorb(mine, m)
        touched[best.id] = best
        state.put(best)
        ids.append(best.id)
        if key[2]:
            joint_of.setdefault(key, best.id)
    return Resolution(ids=ids, new=opened, links=_links(before, touched, state))


def _norm(text: Any) -> str:
    return " ".join(str(text or "").casefold().split())


def _reuse(before: dict[str, Action], ev: dict[str, Any], m: Member,
           art: ArticleInfo) -> str | None:
    """When re-resolving opens a new action, the article's own former action of the
    same measure and jurisdiction, left empty, keeps its id."""
    for aid, action in sorted(before.items()):
        if (not action.members and action.measure == str(ev.get("measure") or "")
                and action.jurisdiction == str(ev.get("jurisdiction") or "")):
            return aid
    return None


def _absorb(into: Member, m: Member) -> None:
    into.actors |= m.actors
    into.targets |= m.targets
    into.keys |= m.keys
    into.facets |= m.facets
    into.explicit |= m.explicit
    into.lo = min(d for d in (into.lo, m.lo) if d) if into.lo or m.lo else None
    into.hi = max(d for d in (into.hi, m.hi) if d) if into.hi or m.hi else None
    if STATUS_RANK.get(m.status, 0) > STATUS_RANK.get(into.status, 0):
        into.status = m.status


def _links(before: dict[str, Action], touched: dict[str, Action],
           state: ResolverState) -> list[Link]:
    """Old action id → the actions the article's events of that kind went to."""
    out: list[Link] = []
    for aid, old in sorted(before.items()):
        if aid in touched:
            continue
        new = sorted(a.id for a in touched.values()
                     if a.measure == old.measure and a.jurisdiction == old.jurisdiction)
        if not new:
            continue
        current = state.get(aid)
        kind = "split" if current is not None and current.members else "merge"
        out.append(Link(old=aid, new=([aid] if kind == "split" else []) + new, kind=kind))
    return out


# -- whole files ---------------------------------------------------------------
def resolve_records(records: Iterable[dict[str, Any]],
                    state: ResolverState | None = None) -> list[dict[str, Any]]:
    """Resolve articles (EVENTS.md records with ``id`` and, when known, ``text``,
    ``published``, ``url``, ``lang``, ``regulators``) one at a time in the given
    order; returns copies whose events carry ``action``."""
    state = state if state is not None else MemoryState()
    out: list[dict[str, Any]] = []
    for rec in records:
        events = [dict(e) for e in rec.get("events") or []]
        res = resolve_article(events, article_info(rec), state)
        for ev, aid in zip(events, res.ids, strict=True):
            ev["action"] = aid
        out.append({**rec, "events": events})
    return out
