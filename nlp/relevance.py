"""Relevance: is the article about AI-made sexual imagery of real people, or
regulatory action against it? A logistic score over topic cue counts."""

from __future__ import annotations

import math
from dataclasses import dataclass

from spacy.tokens import Doc

THRESHOLD = 0.5


@dataclass
class Features:
    strong: int = 0
    sexual: int = 0
    ai: int = 0
    negative: int = 0
    cooc: int = 0  # sentences with both a sexual and an AI cue
    sents: int = 0


def features(doc: Doc, labels: list[tuple[str, ...]],
             phrases: list[tuple[str, int, int]]) -> Features:
    f = Features()
    strong_at = {a for k, a, _ in phrases if k.startswith("REL|")}
    f.strong = len(strong_at)
    for sent in doc.sents:
        f.sents += 1
        sx = ai = False
        for i in range(sent.start, sent.end):
            lab = labels[i]
            if not lab:
                continue
            if "rel:strong" in lab:
                f.strong += 1
                sx = ai = True
            if "rel:sexual" in lab:
                f.sexual += 1
                sx = True
            if "rel:ai" in lab:
                f.ai += 1
                ai = True
            if "rel:negative" in lab:
                f.negative += 1
        if i in strong_at:
            sx = True
        f.cooc += sx and ai
    return f


def score(f: Features) -> float:
    x = (-3.2 + 0.9 * min(f.strong, 5) + 0.9 * min(f.cooc, 5) + 0.12 * min(f.sexual, 12)
         + 0.05 * min(f.ai, 10) - 0.35 * min(f.negative, 8))
    if f.sexual == 0 and f.strong == 0:
        x -= 3
    return 1 / (1 + math.exp(-x))
