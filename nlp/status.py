"""Status of an action (actual / planned / potential) from modality, tense and
negation cues around its trigger; ``None`` when the action is negated."""

from __future__ import annotations

from spacy.tokens import Span

from .measures import Trigger

RANK = {"actual": 3, "planned": 2, "potential": 1}


def decide(sent: Span, trig: Trigger, measure: str, labels: list[tuple[str, ...]],
           phrases: list[tuple[str, int, int]], window_start: int) -> str | None:
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
    if any(k == "potential_phrases" for k, _, _ in in_sent):
        return "potential"
    # a clause-level planning frame before the trigger ("pending adoption", "in de komende
    # fase") makes the action planned, whatever the tense or a nearby "adopted"
    planned_frame = any(k == "planned_phrases" and a < trig.start + 12 for k, a, _ in in_sent)
    ws = max(sent.start, min(window_start, trig.start), trig.start - 10)
    window = range(ws, min(trig.end + 1, sent.end))
    if any("potential" in labels[i] for i in window if not excepted(i)):
        return "potential"
    override = any(k == "actual_override" for k, _, _ in in_sent) or any(
        "actual_override" in labels[i] for i in range(sent.start, sent.end))
    planned = any("planned" in labels[i] for i in window) or "planned" in labels[trig.start]
    if planned_frame:
        return "planned"
    if measure == "legislation":
        return "actual" if override else "planned"
    if planned:
        return "planned"
    return "actual"
