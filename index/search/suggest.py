""""Did you mean": corrections for query words that match nothing, shared by both
backends so they rank candidates the same way.

A search that finds fewer than :data:`SUGGEST_BELOW` articles looks at its words
(the ones that must or may match; not prefixes, not excluded words, at least
:data:`MIN_WORD` letters). A word that matches no article at all (any relevance,
no filters) is unknown; each backend lists the index terms within
:data:`MAX_EDITS` edits of it that start with the same letter, with their
document frequency (Elasticsearch: the term suggester on ``title`` and ``text``;
SQLite: the FTS5 vocabulary, see ``SqliteBackend._corrections``). The closest
candidate wins, the most frequent among equally close ones, then the
alphabetically first. The suggestion is the user's query with those words
replaced, offered only when it finds more than the query did.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from index.search.query import And, Node, Or, Phrase, Term

SUGGEST_BELOW = 3  # suggest when a search finds fewer articles than this
MIN_WORD = 4  # shorter words are not corrected (too many neighbours)
MAX_EDITS = 2  # Damerau-Levenshtein distance (a swap of two letters is one edit)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def fold(word: str) -> str:
    """Lower case without diacritics (what both indices' plain analysers keep)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def distance(a: str, b: str, limit: int = MAX_EDITS) -> int:
    """Optimal string alignment distance (insert, delete, substitute, swap), or
    ``limit + 1`` as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1] if prev[-1] <= limit else limit + 1


def words_to_check(node: Node | None) -> list[str]:
    """The words a suggestion may correct: positive, whole words (Term text is
    already lower case), in query order, each once."""
    out: list[str] = []

    def walk(n: Node) -> None:
        if isinstance(n, Term):
            if not n.prefix:
                out.append(n.text)
        elif isinstance(n, Phrase):
            out.extend(n.words)
        elif isinstance(n, And | Or):
            for child in n.children:
                walk(child)
        # Not: an excluded word matching nothing is what the user wants

    if node is not None:
        walk(node)
    return [w for w in dict.fromkeys(out) if len(w) >= MIN_WORD and not w.isdigit()]


def wanted(params: Any, total: int) -> list[str]:
    """The words to check for a normalised search that found ``total`` articles."""
    if not getattr(params, "suggest", True) or total >= SUGGEST_BELOW:
        return []
    return words_to_check(params.tree)


def best(word: str, candidates: dict[str, int]) -> str | None:
    """The closest candidate (term -> document frequency), the most frequent among
    equally close ones; None when none is within :data:`MAX_EDITS`."""
    target = fold(word)
    ranked = sorted((distance(target, c), -df, c) for c, df in candidates.items()
                    if c and c != target and df > 0 and c[0] == target[:1])
    return ranked[0][2] if ranked and ranked[0][0] <= MAX_EDITS else None


def rewrite(query: str, corrections: dict[str, str]) -> str:
    """``query`` with each corrected word (any case) replaced."""
    return _WORD.sub(lambda m: corrections.get(m.group(0).lower(), m.group(0)), query)
