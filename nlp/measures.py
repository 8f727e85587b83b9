"""Measure triggers: which tokens/phrases of a sentence announce which measure."""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span

ENTITY_BLOCKING = ("body", "country", "platform")


@dataclass
class Trigger:
    start: int
    end: int
    label: str  # measure type or restrict/remove/ban/similar
    weak: bool
    sent: int


def find_triggers(doc: Doc, sent: Span, sent_i: int, labels: list[tuple[str, ...]],
                  phrases: list[tuple[str, int, int]], masked: bytearray) -> list[Trigger]:
    """Triggers in one sentence. ``masked`` marks tokens inside names (bodies,
    platforms, laws) that must not trigger a measure."""
    out: list[Trigger] = []
    support: set[str] = set()
    strong_labels: set[str] = set()
    blockers: list[int] = []
    for i in range(sent.start, sent.end):
        for lab in labels[i]:
            if lab == "B":
                blockers.append(i)
            elif lab.startswith("S:"):
                support.add(lab[2:])
            if masked[i]:
                continue
            if lab.startswith("T:"):
                out.append(Trigger(i, i + 1, lab[2:], False, sent_i))
                strong_labels.add(lab[2:])
            elif lab.startswith("W:"):
                out.append(Trigger(i, i + 1, lab[2:], True, sent_i))
    for key, a, b in phrases:
        if a >= sent.start and b <= sent.end and key.startswith("PH|"):
            label = key.split("|")[1]
            if label in ("lawname", "background", "idiom") or any(masked[a:b]):
                continue
            out.append(Trigger(a, b, label, False, sent_i))
            strong_labels.add(label)
    kept = []
    for t in out:
        if t.weak:
            others = any(s.label == t.label and not s.weak and s.start != t.start for s in out)
            if not (others or (t.label in support and
                               _support_elsewhere(labels, sent, t))):
                continue
        if t.label in ("restrict", "remove", "block", "ban") and any(
                abs(b - t.start) <= 3 and not _modifies_product(doc, labels, b)
                for b in blockers):
            continue
        kept.append(t)
    # a phrase trigger supersedes single-token triggers inside it
    phr = [t for t in kept if t.end - t.start > 1]
    kept = [t for t in kept if t.end - t.start > 1 or
            not any(p.start <= t.start < p.end for p in phr)]
    kept.sort(key=lambda t: t.start)
    return kept


def _modifies_product(doc: Doc, labels: list[tuple[str, ...]], i: int) -> bool:
    """"nudify apps", "undress websites": the word names the target, not the abuse."""
    j = i + 1
    if j >= len(doc):
        return False
    if doc[j].text in ("-", "–") and j + 1 < len(doc):
        j += 1
    return "PROD" in labels[j] or doc[j].lower_.endswith(("apps", "sites", "tools", "services"))


def _support_elsewhere(labels: list[tuple[str, ...]], sent: Span, t: Trigger) -> bool:
    want = "S:" + t.label
    return any(want in labels[i] for i in range(sent.start, sent.end)
               if not (t.start <= i < t.end))
