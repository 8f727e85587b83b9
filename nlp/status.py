"""Status of an action (actual / planned / potential) from modality, tense and
negation cues around its trigger; ``None`` when the action is negated."""

from __future__ import annotations

from spacy.tokens import Span

from .measures import Trigger

RANK = {"actual": 3, "planned": 2, "potential": 1}
_MODALS = frozenset(("kan", "kunnen", "kon", "konden", "can", "could", "may", "might"))


def decide(sent: Span, trig: Trigger, measure: str, labels: list[tuple[str, ...]],
           phrases: list[tuple[str, int, int]], window_start: int) -> str | None:
    def _unable(i: int) -> bool:
        # "kunnen er geen gebruik van maken", "can no longer": inability is a fact
        return sent.doc[i].lower_ in _MODALS and any(
            "negation" in labels[j] for j in range(i + 1, min(i + 6, sent.end)))

    in_sent = [(k.split("|")[1], a, b) for k, a, b in phrases
               if k.startswith("ST|") and a >= sent.start and b <= sent.end]
    exceptions = [(a, b) for k, a, b in in_sent if k == "negation_exceptions"]

    def excepted(i: int) -> bool:
        return any(a <= i < b for a, b in exceptions)

    # negation close before the trigger (or right after, Dutch "start geen onderzoek")
    lo = max(sent.start, trig.start - 4)
    for i in range(lo, trig.start):
        if "negation" in labels[i] and not excepted(i):
            return None
    # an attribute of the measure noun itself states it is under way ("the ongoing
    # investigation", "het lopende onderzoek"), whatever the modality of the clause
    if trig.start - 1 >= sent.start and "ongoing" in labels[trig.start - 1]:
        return "actual"
    # a body's inability ("cannot issue fines", "can not open an investigation") is a
    # negation; "users cannot generate images" (a restriction) stays a fact
    if measure not in ("block", "platform_measure") and any(
            sent.doc[i].lower_ == "cannot" or (sent.doc[i].lower_ == "not" and i > sent.start
                                               and sent.doc[i - 1].lower_ == "can")
            for i in range(lo, trig.start)):
        return None
    if any(k == "potential_phrases" for k, _, _ in in_sent):
        return "potential"
    # wanting another body to act ("wil dat de ACM een boete oplegt") is a call, not a
    # plan; wanting a ban or law ("wil dat apps verboden worden") stays the speaker's plan
    if measure != "legislation" and any(k == "request_phrases" and a < trig.start
                                        for k, a, _ in in_sent):
        return "potential"
    # a clause-level planning frame before the trigger ("pending adoption", "in de komende
    # fase") makes the action planned, whatever the tense or a nearby "adopted"
    planned_frame = any(k == "planned_phrases" and a < trig.start + 12 for k, a, _ in in_sent)
    ws = max(sent.start, min(window_start, trig.start), trig.start - 10)
    window = range(ws, min(trig.end + 1, sent.end))
    # the trigger word is no cue for itself ("Ofcom onderzoekt of X ..." is an investigation)
    if any("potential" in labels[i] for i in window if not excepted(i) and not _unable(i)
           and not trig.start <= i < trig.end):
        return "potential"
    # a passive weighing right after the measure noun: "legal measures are to be
    # considered", "een verbod wordt als optie onderzocht"
    for i in range(trig.end, min(trig.end + 6, sent.end)):
        if sent.doc[i].text in (",", ";", ":") or sent.doc[i].lower_ in ("that", "dat", "which"):
            break
        if measure == "order" and "REQ" in labels[i]:
            break  # "a letter demanding that ...": the demand is the order itself
        if "potential" in labels[i] and not excepted(i) and not _unable(i) and \
                sent.doc[i].lower_ not in _MODALS:
            return "potential"
    plan_at = [a for k, a, _ in in_sent if k == "planned_phrases"]

    def future(i: int) -> bool:
        # "in force next year", "the aim of having it in force": a state still to come
        return any(i < a <= i + 5 for a in plan_at)

    override = any(k == "actual_override" and not future(a) for k, a, _ in in_sent) or any(
        "actual_override" in labels[i] and not future(i) for i in range(sent.start, sent.end))
    planned = any("planned" in labels[i] for i in window) or "planned" in labels[trig.start]
    if planned_frame:
        return "planned"
    # a purpose infinitive on the measure noun ("coordinated ... to implement the block",
    # "moved to impose a fine"): the measure is intended, not yet taken
    if measure != "legislation" and not override and _purpose(sent, trig):
        return "planned"
    if measure == "legislation":
        return "actual" if override else "planned"
    if planned:
        return "planned"
    return "actual"


_PURPOSE_DETS = frozenset(("the", "a", "an", "its", "their", "this", "that", "such"))
_NOT_PURPOSE = frozenset(("pay", "paying", "face", "avoid", "appeal", "challenge", "contest",
                          "respond", "comply", "lift", "end", "overturn"))


def _purpose(sent: Span, trig: Trigger) -> bool:
    doc = sent.doc
    k = trig.start - 1
    if k < sent.start or doc[k].lower_ not in _PURPOSE_DETS:
        return False
    while k > sent.start and doc[k].lower_ in _PURPOSE_DETS:
        k -= 1
    return (k - 1 >= sent.start and doc[k - 1].lower_ == "to" and doc[k].is_alpha
            and doc[k].is_lower and doc[k].lower_ not in _NOT_PURPOSE)
