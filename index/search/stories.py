"""Stories: near-duplicate and syndicated articles grouped by MinHash.

The same wire story (ANP, Reuters, PA) appears on many sites with another
headline, a wire tag or a credit line. Each article's text is cut into word
3-shingles (lower case, accents folded) and summarised by a 64-value MinHash
signature; the share of equal values estimates the Jaccard similarity of the
shingle sets. Candidates come from locality-sensitive hashing (16 bands of 4
values, kept in ``story_bands``), and a candidate whose estimated similarity is
at least :data:`THRESHOLD` joins its story. The assignment is computed once at
index time and stored in the store (``article_stories``), so Elasticsearch and
SQLite agree on it and a rebuild keeps it. A story's id is the id of the article
that started it. (SimHash was tried first: on news-length texts a wire tag
alone flipped 3-10 of 64 bits, too many to separate from noise.)
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, Column, Integer, LargeBinary, String, Table, delete, select
from sqlalchemy.engine import Engine

from index.store import metadata

PERMUTATIONS = 64
BANDS = 16
ROWS = PERMUTATIONS // BANDS
THRESHOLD = 0.5
SHINGLE = 3
MIN_WORDS = 12  # shorter texts are their own story (too little to compare)

article_stories = Table(
    "article_stories",
    metadata,
    Column("article_id", String(40), primary_key=True),
    Column("signature", LargeBinary, nullable=False),  # PERMUTATIONS x uint32
    Column("words", Integer, nullable=False),
    Column("text_hash", BigInteger, nullable=False),  # to skip unchanged texts cheaply
    Column("story_id", String(40), nullable=False, index=True),
)
story_bands = Table(
    "story_bands",
    metadata,
    Column("band", BigInteger, nullable=False, index=True),
    Column("article_id", String(40), nullable=False, index=True),
)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_M1, _M2, _M3 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), \
    np.uint64(0x165667B19E3779F9)
_word_cache: dict[str, int] = {}


def _fold(word: str) -> str:
    word = unicodedata.normalize("NFKD", word)
    return "".join(c for c in word if not unicodedata.combining(c))


def _word_hash(word: str) -> int:
    """Stable 64-bit hash of a lower-cased word, accents folded (cached)."""
    h = _word_cache.get(word)
    if h is None:
        key = word if word.isascii() else _fold(word)
        h = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")
        if len(_word_cache) < 500_000:
            _word_cache[word] = h
    return h


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised (wrapping uint64 arithmetic)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


with np.errstate(over="ignore"):
    _SEEDS = _mix(np.arange(1, PERMUTATIONS + 1, dtype=np.uint64)
                  * np.uint64(0x2545F4914F6CDD1D)).reshape(-1, 1)


def signature(text: str) -> tuple[np.ndarray, int]:
    """(MinHash signature as PERMUTATIONS uint32, number of words) of a text."""
    words = _WORD.findall(unicodedata.normalize("NFC", (text or "").lower()))
    if not words:
        return np.zeros(PERMUTATIONS, dtype=np.uint32), 0
    # the word hashes through the cache at C speed (map + dict.get); only words not
    # seen before go through Python
    values = list(map(_word_cache.get, words))
    if None in values:
        values = [_word_hash(w) if h is None else h for w, h in zip(words, values, strict=True)]
    hashes = np.array(values, dtype=np.uint64)
    with np.errstate(over="ignore"):
        if len(hashes) >= SHINGLE:
            shingles = (hashes[:-2] * _M1) ^ (hashes[1:-1] * _M2) ^ (hashes[2:] * _M3)
        else:
            shingles = hashes * _M1
        shingles = np.unique(shingles)
        mins = _mix(shingles.reshape(1, -1) ^ _SEEDS).min(axis=1)
    return (mins & np.uint64(0xFFFFFFFF)).astype(np.uint32), len(words)


def text_hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "replace"),
                                          digest_size=8).digest(), "little", signed=True)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / PERMUTATIONS


def band_keys(sig: np.ndarray) -> list[int]:
    out = []
    raw = sig.astype("<u4").tobytes()
    for band in range(BANDS):
        chunk = raw[band * ROWS * 4:(band + 1) * ROWS * 4]
        digest = hashlib.blake2b(bytes([band]) + chunk, digest_size=8).digest()
        out.append(int.from_bytes(digest, "little", signed=True))
    return out


def _sig(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u4")


_ready: set[int] = set()


def ensure_table(engine: Engine) -> None:
    """Create ``article_stories`` in the store's database when it is missing."""
    if id(engine) not in _ready:
        metadata.create_all(engine, tables=[article_stories, story_bands])
        _ready.add(id(engine))


def assign(engine: Engine, rows: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Story ids for a batch of article rows (``id``, ``text``), computing and storing
    signatures for new or changed texts. Returns ``{article id: story id}``."""
    rows = [r for r in rows if r.get("id")]
    if not rows:
        return {}
    ensure_table(engine)
    texts = {r["id"]: r.get("text") or "" for r in rows}
    hashes = {aid: text_hash(t) for aid, t in texts.items()}
    out: dict[str, str] = {}
    with engine.begin() as conn:
        known = {r.article_id: r for r in conn.execute(
            select(article_stories.c.article_id, article_stories.c.text_hash,
                   article_stories.c.story_id)
            .where(article_stories.c.article_id.in_(list(texts))))}
        todo = []
        for aid, th in hashes.items():
            old = known.get(aid)
            if old is not None and old.text_hash == th:
                out[aid] = old.story_id
            else:
                sig, n = signature(texts[aid])
                todo.append((aid, sig, n, old is not None))
        if not todo:
            return out
        keys = {aid: band_keys(sig) for aid, sig, n, _ in todo if n >= MIN_WORDS}
        wanted = sorted({k for ks in keys.values() for k in ks})
        # candidates: stored articles sharing a band with one of the batch
        by_key: dict[int, list[str]] = {}
        for start in range(0, len(wanted), 500):
            for r in conn.execute(select(story_bands.c.band, story_bands.c.article_id)
                                  .where(story_bands.c.band.in_(wanted[start:start + 500]))):
                by_key.setdefault(r.band, []).append(r.article_id)
        cand_ids = sorted({a for ids in by_key.values() for a in ids} - set(keys))
        sigs: dict[str, tuple[np.ndarray, str]] = {}
        for start in range(0, len(cand_ids), 500):
            for r in conn.execute(select(article_stories.c.article_id,
                                         article_stories.c.signature,
                                         article_stories.c.story_id)
                                  .where(article_stories.c.article_id.in_(
                                      cand_ids[start:start + 500]))):
                sigs[r.article_id] = (_sig(r.signature), r.story_id)
        changed = [aid for aid, _, _, exists in todo if exists]
        for start in range(0, len(changed), 500):
            chunk = changed[start:start + 500]
            conn.execute(delete(story_bands).where(story_bands.c.article_id.in_(chunk)))
            conn.execute(delete(article_stories).where(article_stories.c.article_id.in_(chunk)))
        inserts, bands = [], []
        for aid, sig, n, _ in todo:
            story = aid
            if aid in keys:
                best: tuple[float, str] | None = None
                seen: set[str] = set()
                for key in keys[aid]:
                    for other in by_key.get(key, ()):
                        if other == aid or other in seen or other not in sigs:
                            continue
                        seen.add(other)
                        osig, ostory = sigs[other]
                        sim = similarity(sig, osig)
                        if sim >= THRESHOLD and (best is None or (-sim, ostory) < best):
                            best = (-sim, ostory)
                if best is not None:
                    story = best[1]
                sigs[aid] = (sig, story)
                for key in keys[aid]:
                    by_key.setdefault(key, []).append(aid)
                    bands.append({"band": key, "article_id": aid})
            inserts.append({"article_id": aid, "signature": sig.astype("<u4").tobytes(),
                            "words": n, "text_hash": hashes[aid], "story_id": story})
            out[aid] = story
        conn.execute(article_stories.insert(), inserts)
        if bands:
            conn.execute(story_bands.insert(), bands)
    return out


def story_ids(engine: Engine, ids: Iterable[str]) -> dict[str, str]:
    ensure_table(engine)
    ids = list(ids)
    out: dict[str, str] = {}
    with engine.connect() as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            out.update({r.article_id: r.story_id for r in conn.execute(
                select(article_stories.c.article_id, article_stories.c.story_id)
                .where(article_stories.c.article_id.in_(chunk)))})
    return out
