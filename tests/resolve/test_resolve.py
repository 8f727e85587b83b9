"""Action resolution (nlp.actions) alone, through the store, and with alerts: cases in
cases.toml, written for these tests (Dutch and English)."""

from __future__ import annotations

import importlib.util
import itertools
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from index import alert_store
from index.resolution import action_links, current_ids
from index.store import Store
from nlp.actions import family, resolve_records
from nlp.tools.splits import DEV

CASES = tomllib.loads((Path(__file__).parent / "cases.toml").read_text(encoding="utf-8"))["case"]
SCORER = Path("/work/shared/eval/score_actions.py")


def _ids(records: list[dict[str, Any]]) -> dict[str, str]:
    return {f"{r['id']}#{i}": e["action"] for r in records for i, e in enumerate(r["events"])}


def _check(case: dict[str, Any], ids: dict[str, str]) -> None:
    for group in case["same"]:
        assert len({ids[ref] for ref in group}) == 1, (case["name"], group, ids)
    for a, b in case["apart"]:
        assert ids[a] != ids[b], (case["name"], a, b)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
@pytest.mark.parametrize("order", ["forward", "reversed"])
def test_cases_resolve_in_any_order(case: dict[str, Any], order: str) -> None:
    articles = case["article"] if order == "forward" else case["article"][::-1]
    _check(case, _ids(resolve_records(articles)))


@pytest.mark.parametrize(("a", "b", "same"), [
    ("Grok", "X", True), ("xAI", "Grok", True), ("Instagram", "Meta", True),
    ("WhatsApp", "Facebook", True), ("Telegram", "X", False), ("ChatGPT", "Gemini", False),
])
def test_target_families(a: str, b: str, same: bool) -> None:
    assert (family(a) == family(b)) is same


def test_ids_stable_when_sources_join() -> None:
    case = CASES[0]
    first = resolve_records(case["article"][:1])[0]["events"][0]["action"]
    later = _ids(resolve_records(case["article"]))
    assert later["uk1#0"] == first


# -- through the store ---------------------------------------------------------
def _row(art: dict[str, Any], events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    evs = [{"date": None, "confidence": 0.9, **e} for e in (events or art["events"])]
    analysis = {"lang": art["lang"], "relevant": True, "relevance_score": 0.9,
                "regulators": art.get("regulators", []), "countries": [], "platforms": [],
                "measures": sorted({e["measure"] for e in evs}), "events": evs}
    url = f"http://news.test/{art['id']}"
    return {"id": art["id"], "url": url, "canonical_url": url, "source": "fixture",
            "title": "", "text": art["text"], "lang": art["lang"],
            "published": art.get("published"), "analysis": analysis}


@dataclass
class Sub:
    name: str = "all"
    source_health: bool = False

    @property
    def channel_names(self) -> list[str]:
        return ["atom"]

    def matches(self, event: dict[str, Any], article: dict[str, Any]) -> bool:
        return True


def _store_ids(store: Store) -> dict[str, str]:
    out = {}
    for art in store.iter_articles():
        for i, ev in enumerate(store.events_for(art["id"])):
            out[f"{art['id']}#{i}"] = ev["action_id"]
    return out


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_cases_resolve_through_the_store(tmp_path: Path, case: dict[str, Any]) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    for art in case["article"]:
        store.save_articles([_row(art)])
    ids = _store_ids(store)
    _check(case, ids)
    # the analysis (and so the Elasticsearch document) carries the same ids
    for art in case["article"]:
        stored = store.get_article(art["id"])["analysis"]["events"]
        assert [e["action_id"] for e in stored] == [ids[f"{art['id']}#{i}"]
                                                    for i in range(len(stored))]


def _outbox(store: Store) -> list[tuple[str, str, str]]:
    return [(r["action_id"], r["kind"], r["status"])
            for r in alert_store.list_outbox(store.engine, limit=1000)][::-1]


def test_alerts_once_per_action_and_per_status_upgrade(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    case = next(c for c in CASES if c["name"].startswith("block-by-country"))
    m1, m2, m3, m4 = case["article"]
    sent: list[int] = []
    for art in (m1, m2, m3, m4):  # potential; actual (upgrade, Dutch); new outlet; other
        store.save_articles([_row(art)])
        sent.append(alert_store.fold_events(store.engine, [Sub()]).enqueued)
    assert sent == [1, 1, 0, 1]
    kinds = [(k, s) for _, k, s in _outbox(store)]
    assert kinds == [("new", "potential"), ("upgrade", "actual"), ("new", "actual")]
    assert len({a for a, _, _ in _outbox(store)[:2]}) == 1


def test_reprocess_merge_keeps_old_id_and_alerts_once(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    uk1, uk2 = CASES[0]["article"][:2]
    vague = {"actor": "GB", "measure": "investigation", "target": "", "jurisdiction": "GB",
             "status": "actual", "evidence": "De Britse toezichthouder doet onderzoek."}
    store.save_articles([_row(uk2, [vague])])  # an old extractor: no target
    assert alert_store.fold_events(store.engine, [Sub()]).enqueued == 1
    old = store.events_for("uk2")[0]["action_id"]
    store.save_articles([_row(uk1)])  # Ofcom on X: not joinable with a targetless case
    new = store.events_for("uk1")[0]["action_id"]
    assert new != old
    store.save_articles([_row(uk2)])  # reprocessed: "GB" on Grok joins Ofcom's action
    assert store.events_for("uk2")[0]["action_id"] == new
    with store.engine.connect() as conn:
        links = conn.execute(select(action_links.c.old_id, action_links.c.new_id,
                                    action_links.c.kind)).all()
        assert [tuple(r) for r in links] == [(old, new, "merge")]
        assert current_ids(conn, old) == [new]
        assert current_ids(conn, new) == [new]
    # the merged action was alerted as `old`: its successor is not alerted again
    assert alert_store.fold_events(store.engine, [Sub()]).enqueued == 0
    assert len(_outbox(store)) == 1


def test_reprocess_with_same_events_keeps_ids(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    for art in CASES[0]["article"]:
        store.save_articles([_row(art)])
    before = _store_ids(store)
    for art in CASES[0]["article"][::-1]:
        store.save_articles([_row(art)])
    assert _store_ids(store) == before


def test_store_upgrades_in_place(tmp_path: Path) -> None:
    """A store made before resolution (no action_state/action_links) opens and keeps data."""
    import sqlite3

    path = tmp_path / "old.db"
    store = Store(f"sqlite:///{path}")
    store.save_articles([_row(CASES[1]["article"][0])])
    store.engine.dispose()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE action_links")
        db.execute("DROP TABLE action_state")
    store = Store(f"sqlite:///{path}")
    assert store.get_article("nl1") is not None
    store.save_articles([_row(CASES[1]["article"][1])])
    assert len(_store_ids(store)) == 2


# -- order replay on the dev work set (scores only: nothing is printed) -----------
@pytest.mark.skipif(not (DEV.exists() and SCORER.exists()), reason="no shared eval set")
def test_dev_replay_order_within_two_points() -> None:
    from nlp.tools.splits import load_rows, split_lockbox

    spec = importlib.util.spec_from_file_location("score_actions", SCORER)
    assert spec and spec.loader
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    work, _ = split_lockbox(load_rows(DEV))
    oracle = [{**r, "events": [{k: v for k, v in e.items() if k != "action"}
                               for e in r["events"]]} for r in work]
    f1 = []
    for rows in (oracle, oracle[::-1]):
        pred = json.loads(json.dumps(resolve_records(rows)))
        f1.append(scorer.score(work, pred)["f1"])
    assert abs(f1[0] - f1[1]) <= 0.02, f1


def test_no_pairs_share_ids_across_unrelated_cases() -> None:
    everything = [a for c in CASES for a in c["article"]]
    ids = _ids(resolve_records(everything))
    by_case = [{ids[f"{a['id']}#{i}"] for a in c["article"] for i in range(len(a["events"]))}
               for c in CASES]
    for x, y in itertools.combinations(by_case, 2):
        assert not x & y


@pytest.mark.parametrize(("url", "lo", "hi"), [
    ("https://news.test/nation/2026/01/13/block-on-grok", "2026-01-13", "2026-01-13"),
    ("https://news.test/algemeen/20240425/zaak-deepfakes/", "2024-04-25", "2024-04-25"),
    ("https://news.test/binnenland/2025/04/nepfotos/", "2025-04-01", "2025-04-30"),
    ("https://news.test/nieuws/218390/wet-deepfakes", None, None),
])
def test_url_dates_window_an_undated_article(url: str, lo: str | None, hi: str | None) -> None:
    from nlp.actions import article_info

    info = article_info({"id": "u", "url": url, "text": "Vanaf 2027 geldt de wet."})
    assert (info.lo and info.lo.isoformat(), info.hi and info.hi.isoformat()) == (lo, hi)


def test_url_dates_tell_two_blocks_apart() -> None:
    ev = {"actor": "MY", "measure": "block", "target": "Grok", "jurisdiction": "MY",
          "status": "actual", "evidence": "Malaysia blocked Grok."}
    arts = [{"id": "b1", "url": "https://news.test/2024/03/02/grok", "events": [ev]},
            {"id": "b2", "url": "https://news.test/2026/01/11/grok", "events": [ev]}]
    ids = _ids(resolve_records(arts))
    assert ids["b1#0"] != ids["b2#0"]
