"""Story-grouped splits of an annotated dev set: a lockbox and cross-validation folds.

Articles that report the same story must fall on the same side of a split, or a
fitted model (and a developer reading errors) sees the test story in training. Two
articles are one group when they share a gold ``action`` label or when their texts
overlap (Jaccard of word 5-shingles, or one text largely contained in the other);
groups are the connected components.

The **lockbox** is a seeded, language-balanced set of groups (about 30 articles) set
aside once: development never prints its texts or errors; it is scored when an issue
is resolved (``bench/nlp_eval.py --lockbox``). The remaining **work set** is split
into K folds of whole groups, balanced by size and language.

    python -m nlp.tools.splits DEV.jsonl      # print group, fold and lockbox counts
"""

from __future__ import annotations

import json
import random
import re
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEV = Path("/work/shared/eval/dev.jsonl")  # the annotated dev set (measuring only)
SEED = 20261204
LOCKBOX_SIZE = 30
SHINGLE = 5
JACCARD = 0.3
CONTAINMENT = 0.5

Row = dict[str, Any]


def load_rows(path: str | Path) -> list[Row]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _shingles(text: str) -> set[int]:
    words = re.findall(r"\w+", text.lower())
    return {zlib.crc32(" ".join(words[i:i + SHINGLE]).encode())
            for i in range(max(0, len(words) - SHINGLE + 1))}


def groups(rows: Sequence[Row]) -> list[int]:
    """A group number per row (same number = same story)."""
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    by_action: dict[str, int] = {}
    for i, r in enumerate(rows):
        for e in r.get("events", []):
            label = e.get("action")
            if label:
                if label in by_action:
                    union(by_action[label], i)
                else:
                    by_action[label] = i
    sh = [_shingles(r.get("text", "")) for r in rows]
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            a, b = sh[i], sh[j]
            if not a or not b:
                continue
            inter = len(a & b)
            if inter and (inter / len(a | b) >= JACCARD or
                          inter / min(len(a), len(b)) >= CONTAINMENT):
                union(i, j)
    roots: dict[int, int] = {}
    return [roots.setdefault(find(i), len(roots)) for i in range(len(rows))]


def _members(grp: Sequence[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for i, g in enumerate(grp):
        out.setdefault(g, []).append(i)
    return out


def lockbox_ids(rows: Sequence[Row], size: int = LOCKBOX_SIZE, seed: int = SEED) -> set[str]:
    """Ids of a seeded lockbox of whole groups, about ``size`` articles, half per
    language (a group counts for the language most of its articles have). Groups
    larger than a fifth of the lockbox stay in the work set."""
    members = _members(groups(rows))
    rng = random.Random(seed)
    order = sorted(members)
    rng.shuffle(order)
    langs = sorted({r.get("lang", "") for r in rows})
    quota = {lang: size / max(1, len(langs)) for lang in langs}
    taken: dict[str, int] = dict.fromkeys(langs, 0)
    out: set[str] = set()
    for g in order:
        idx = members[g]
        if len(idx) > max(1, size // 5):
            continue
        lang = max(langs, key=lambda la: sum(rows[i].get("lang") == la for i in idx))
        if taken[lang] + len(idx) > quota[lang] + 1:
            continue
        taken[lang] += len(idx)
        out.update(rows[i]["id"] for i in idx)
        if sum(taken.values()) >= size:
            break
    return out


def split_lockbox(rows: Sequence[Row]) -> tuple[list[Row], list[Row]]:
    """(work set, lockbox) of ``rows``."""
    box = lockbox_ids(rows)
    return ([r for r in rows if r["id"] not in box], [r for r in rows if r["id"] in box])


def training_rows(paths: Sequence[str | Path]) -> list[Row]:
    """The rows a fitting tool trains on: the given gold files, else the dev work set
    (the dev set less its lockbox)."""
    if paths:
        return [r for p in paths for r in load_rows(p)]
    return split_lockbox(load_rows(DEV))[0]


def folds(rows: Sequence[Row], k: int = 5, seed: int = SEED) -> list[int]:
    """A fold number 0..k-1 per row, whole groups per fold, greedy-balanced by size
    within each language (largest groups first, ties in seeded order)."""
    members = _members(groups(rows))
    rng = random.Random(seed + k)
    order = sorted(members)
    rng.shuffle(order)
    order.sort(key=lambda g: -len(members[g]))
    load: dict[tuple[str, int], int] = {}
    out = [0] * len(rows)
    for g in order:
        idx = members[g]
        lang = rows[idx[0]].get("lang", "")
        f = min(range(k), key=lambda f: (load.get((lang, f), 0),
                                          sum(load.get((la, f), 0) for la, _ in load), f))
        load[(lang, f)] = load.get((lang, f), 0) + len(idx)
        for i in idx:
            out[i] = f
    return out


def main(argv: list[str]) -> None:
    rows = load_rows(argv[0] if argv else "/work/shared/eval/dev.jsonl")
    grp = groups(rows)
    work, box = split_lockbox(rows)
    fo = folds(work)
    print(f"{len(rows)} articles in {len(set(grp))} story groups "
          f"(largest {max(grp.count(g) for g in set(grp))})")
    print(f"lockbox: {len(box)} articles "
          + ", ".join(f"{la} {sum(r['lang'] == la for r in box)}"
                      for la in sorted({r['lang'] for r in box})))
    for f in range(max(fo) + 1):
        part = [r for r, x in zip(work, fo, strict=True) if x == f]
        print(f"fold {f}: {len(part)} articles "
              + ", ".join(f"{la} {sum(r['lang'] == la for r in part)}"
                          for la in sorted({r['lang'] for r in part})))


if __name__ == "__main__":
    main(sys.argv[1:])
