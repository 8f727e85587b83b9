"""Faults in keeping the Elasticsearch index in line with the store, against the real
node (no mocks): a rebuild killed with SIGKILL half-way or right after its alias swap,
marks that claim more than the index holds, articles gone from the store, and the
partial indices killed rebuilds leave behind. Counts and ids are asserted, not just
exit codes (issue 15, item 1)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from elasticsearch.helpers import scan
from sqlalchemy import delete, select

from index import es
from index.ids import article_id
from index.store import Store, articles

pytestmark = pytest.mark.faults

BASE = 3000  # indexed before the fault
LATE = 100  # stored while the index was "down"


def toezicht(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "toezicht.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def ok(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = toezicht(env, *args)
    assert result.returncode == 0, (args, result.stdout, result.stderr[-3000:])
    return result


def status(env: dict[str, str], *extra: str) -> dict[str, Any]:
    return json.loads(ok(env, "index", "status", "--format", "json", *extra).stdout)


def make_articles(n: int, tag: str, title: str = "Bericht") -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        url = f"https://faults.example/{tag}/{i}"
        out.append({"id": article_id(url), "url": url, "canonical_url": url,
                    "source": "faults", "title": f"{title} {tag} {i}",
                    "text": "Toezichthouders openen een onderzoek naar deepfakes. " * 5,
                    "lang": "nl", "published": "2026-01-12"})
    return out


def fill(store: Store, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 500):
        store.save_articles(rows[start:start + 500])


def index_ids(client: Any, index: str) -> set[str]:
    client.indices.refresh(index=index)
    return {hit["_id"] for hit in scan(client, index=index, query={"query": {"match_all": {}}},
                                       _source=False, size=2000)}


def store_ids(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(conn.scalars(select(articles.c.id)))


def our_indices(client: Any, alias: str) -> list[str]:
    return sorted(client.indices.get(index=f"{alias}-*"))


@pytest.fixture()
def env(es_env: dict[str, str], es_alias: str) -> dict[str, str]:
    return {**es_env, "TOEZICHT_ES_INDEX": es_alias}


@pytest.fixture()
def db(env: dict[str, str]) -> Store:
    return Store(f"sqlite:///{Path(env['TOEZICHT_DATA_DIR']) / 'toezicht.db'}")


@pytest.fixture()
def synced(env: dict[str, str], db: Store) -> Store:
    """BASE articles indexed, then LATE more stored but not indexed."""
    fill(db, make_articles(BASE, "base"))
    out = ok(env, "index", "sync", "--quiet")
    assert f"indexed {BASE}, deleted 0, already in sync 0" in out.stdout
    fill(db, make_articles(LATE, "late"))
    return db


def start_rebuild(env: dict[str, str]) -> subprocess.Popen[str]:
    # chunks of 5: a few hundred bulk requests, seconds of loading to kill it in
    return subprocess.Popen([sys.executable, "-m", "toezicht.cli", "index", "rebuild",
                             "--quiet", "--chunk-size", "5"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_loading(client: Any, alias: str, live: list[str], proc: subprocess.Popen[str],
                 at_least: int) -> str:
    """The partial index of the running rebuild, once it has ``at_least`` documents."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the rebuild ended first: {proc.communicate()}"
        partial = [n for n in our_indices(client, alias) if n not in live]
        if partial:
            if loaded(client, partial[0]) >= at_least:
                return partial[0]
        time.sleep(0.02)
    raise AssertionError("the rebuild never got going")


def kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def loaded(client: Any, index: str) -> int:
    """Documents written into ``index`` so far (refresh is off while a rebuild loads)."""
    stats = client.indices.stats(index=index, metric="indexing")
    primaries = stats["indices"].get(index, {}).get("primaries", {})
    return int(primaries.get("indexing", {}).get("index_total", 0))


# -- the issue: a rebuild killed while loading ------------------------------------------


def test_a_rebuild_killed_while_loading_leaves_true_marks_and_is_repaired(
        env, synced, es_client, es_alias):
    total = BASE + LATE
    live = es.alias_indices(es_client, es_alias)
    proc = start_rebuild(env)
    partial = wait_loading(es_client, es_alias, live, proc, 200)
    kill(proc)
    assert 200 <= loaded(es_client, partial) < total  # killed half-way

    # the live index is untouched; the marks still say what it lacks
    before = status(env)
    assert before["index"] == live[0] and before["indices"] == live
    assert (before["index_docs"], before["store_articles"], before["unsynced"]) == (
        BASE, total, LATE)
    assert before["marks_current"] is True and before["in_sync"] is False
    assert before["stale_indices"] == [partial] and before["building_indices"] == []
    assert synced.count_articles(only_unsynced=True) == LATE

    repaired = ok(env, "index", "sync", "--quiet")
    assert f"indexed {LATE}, deleted 0, already in sync {BASE}" in repaired.stdout
    after = status(env, "--verify")
    assert after["in_sync"] is True
    assert after["index_docs"] == after["store_articles"] == total
    assert (after["missing_ids"], after["extra_ids"], after["unsynced"]) == (0, 0, 0)
    assert index_ids(es_client, es_alias) == store_ids(synced)
    assert es_client.indices.exists(index=partial)  # sync leaves partial indices alone

    # the next rebuild deletes the orphan first, and ends in sync
    rebuilt = json.loads(ok(env, "index", "rebuild", "--format", "json").stdout)
    assert rebuilt["stale_deleted"] == [partial] and rebuilt["previous"] == live
    assert (rebuilt["indexed"], rebuilt["failed"], rebuilt["caught_up"]) == (total, 0, 0)
    assert not es_client.indices.exists(index=partial)
    assert our_indices(es_client, es_alias) == [rebuilt["index"]]
    final = status(env, "--verify")
    assert final["in_sync"] is True and final["stale_indices"] == []
    assert final["index_docs"] == final["store_articles"] == total
    assert index_ids(es_client, es_alias) == store_ids(synced)


def test_a_killed_rebuilds_index_is_cleaned_but_never_a_running_one(
        env, synced, es_client, es_alias):
    live = es.alias_indices(es_client, es_alias)
    first = start_rebuild(env)
    running = wait_loading(es_client, es_alias, live, first, 50)
    try:
        # while it runs: listed as building, kept by --clean, a second rebuild refused
        seen = status(env, "--clean")
        assert seen["building_indices"] == [running] and seen["stale_indices"] == []
        assert seen["cleaned"] == [] and es_client.indices.exists(index=running)
        second = toezicht(env, "index", "rebuild", "--quiet")
        assert second.returncode == 1
        assert second.stderr.strip() == (
            f"Error: another index rebuild is running (pid {first.pid})")
    finally:
        kill(first)
    gone = status(env, "--clean")
    assert gone["cleaned"] == [running] and gone["stale_indices"] == []
    assert not es_client.indices.exists(index=running)
    assert our_indices(es_client, es_alias) == live == gone["indices"]
    assert gone["index_docs"] == BASE and gone["unsynced"] == LATE


# -- killed right after the alias swap, before the marks ---------------------------------


def test_a_rebuild_killed_after_the_swap_is_finished_by_sync(env, synced, es_client,
                                                             es_alias, es_url):
    total = BASE + LATE
    old = es.alias_indices(es_client, es_alias)
    db_url = f"sqlite:///{Path(env['TOEZICHT_DATA_DIR']) / 'toezicht.db'}"
    script = textwrap.dedent(f"""
        import os
        from types import SimpleNamespace
        from index import es, sync_state
        from index.store import Store

        sync_state.finalize = lambda *a, **k: os._exit(9)  # dies between swap and marks
        cfg = SimpleNamespace(resolved_es_url={es_url!r}, es_api_key="", es_username="",
                              es_password="", es_ca_certs="")
        es.rebuild(Store({db_url!r}), es.make_client(cfg), {es_alias!r}, chunk_size=500)
    """)
    died = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert died.returncode == 9, died.stderr[-3000:]
    new = es.alias_indices(es_client, es_alias)
    assert new != old and len(new) == 1
    assert es_client.count(index=es_alias)["count"] == total  # the new index is complete

    # the marks still describe the old index: not in sync, though every count agrees
    seen = status(env)
    assert seen["marks_index"] == old[0] and seen["marks_current"] is False
    assert seen["in_sync"] is False and seen["stale_indices"] == old

    # meanwhile five loaded articles change, and something marks them synced for the
    # old index (as a sync into it would have): the new index has the old versions
    changed = make_articles(5, "base", title="Gewijzigd")
    synced.save_articles(changed)
    synced.mark_synced([a["id"] for a in changed])

    out = ok(env, "index", "sync", "--quiet")
    assert f"indexed 5, deleted 0, already in sync {total - 5}" in out.stdout
    after = status(env, "--verify")
    assert after["in_sync"] is True and after["marks_index"] == new[0]
    assert after["index_docs"] == after["store_articles"] == total
    assert (after["missing_ids"], after["extra_ids"], after["unsynced"]) == (0, 0, 0)
    for art in changed:
        assert es_client.get(index=es_alias, id=art["id"])["_source"]["title"] == art["title"]
    cleaned = status(env, "--clean")
    assert cleaned["cleaned"] == old and our_indices(es_client, es_alias) == new


# -- marks, counts and ids that disagree --------------------------------------------------


def test_sync_repairs_marks_that_claim_more_than_the_index_holds(env, db, es_client, es_alias):
    """The state the issue reports (a store marked synced for documents the live index
    lacks, as an older rebuild left it): sync finds and indexes them."""
    fill(db, make_articles(500, "all"))
    ok(env, "index", "sync", "--quiet")
    lost = sorted(store_ids(db))[:40]
    es_client.bulk(operations=[{"delete": {"_index": es_alias, "_id": i}} for i in lost],
                   refresh=True)
    seen = status(env)
    assert (seen["index_docs"], seen["store_articles"], seen["unsynced"]) == (460, 500, 0)
    assert seen["in_sync"] is False

    out = ok(env, "index", "sync", "--quiet")
    assert "indexed 40, deleted 0, already in sync 460" in out.stdout
    assert index_ids(es_client, es_alias) == store_ids(db)
    assert status(env)["in_sync"] is True
    again = ok(env, "index", "sync", "--quiet")  # nothing left to do, quickly
    assert "indexed 0, deleted 0, already in sync 500" in again.stdout


def test_sync_deletes_what_the_store_no_longer_has(env, db, es_client, es_alias):
    fill(db, make_articles(300, "all"))
    ok(env, "index", "sync", "--quiet")
    removed = sorted(store_ids(db))[:25]
    with db.engine.begin() as conn:
        conn.execute(delete(articles).where(articles.c.id.in_(removed)))
    es_client.index(index=es_alias, id="not-from-the-store", document={"title": "stray"},
                    refresh=True)  # a document that never came from the store
    seen = status(env)
    assert (seen["index_docs"], seen["store_articles"]) == (301, 275)
    assert seen["in_sync"] is False

    out = ok(env, "index", "sync", "--quiet")
    assert "indexed 0, deleted 26, already in sync 275" in out.stdout
    assert index_ids(es_client, es_alias) == store_ids(db)
    after = status(env, "--verify")
    assert after["in_sync"] is True and after["index_docs"] == 275


def test_verify_finds_ids_that_differ_when_the_counts_agree(env, db, es_client, es_alias):
    fill(db, make_articles(200, "all"))
    ok(env, "index", "sync", "--quiet")
    ids = sorted(store_ids(db))
    with db.engine.begin() as conn:  # one article gone from the store...
        conn.execute(delete(articles).where(articles.c.id == ids[0]))
    # ...and another from the index: both hold 199
    es_client.delete(index=es_alias, id=ids[1], refresh=True)
    assert status(env)["index_docs"] == 199
    checked = status(env, "--verify")
    assert (checked["missing_ids"], checked["extra_ids"]) == (1, 1)
    assert checked["in_sync"] is False

    out = ok(env, "index", "sync", "--quiet", "--verify")
    assert "indexed 1, deleted 1, already in sync 198" in out.stdout
    assert index_ids(es_client, es_alias) == store_ids(db)
    assert status(env, "--verify")["in_sync"] is True


def test_an_index_deleted_under_the_store_is_rebuilt_by_sync(env, db, es_client, es_alias):
    fill(db, make_articles(120, "all"))
    ok(env, "index", "sync", "--quiet")
    for name in es.alias_indices(es_client, es_alias):
        es_client.indices.delete(index=name)  # by hand, marks still set
    out = ok(env, "index", "sync", "--quiet")
    assert "indexed 120, deleted 0, already in sync 0" in out.stdout
    assert index_ids(es_client, es_alias) == store_ids(db)
    assert status(env)["in_sync"] is True


# -- when a partial index is stale --------------------------------------------------------


def test_partial_indices_are_stale_only_when_their_rebuild_is_gone(es_client, es_alias,
                                                                   monkeypatch):
    live = es.ensure_index(es_client, es_alias)

    def partial(**info: Any) -> str:
        meta = es._meta(es_alias, "building")
        meta["toezicht"].update(info)
        return es.create_index(es_client, es_alias, with_alias=False, meta=meta)

    running = partial()  # this process, beating
    elsewhere = partial(host="another-host", pid=1)  # alive for all we know
    dead = partial(pid=2 ** 22 + 12345)  # no such process here
    silent = partial(heartbeat="2026-01-01T00:00:00+00:00")  # this process, but no beat
    replaced = es.create_index(es_client, es_alias, with_alias=False)  # "live", unaliased
    found = {p["name"]: p for p in es.partial_indices(es_client, es_alias)}
    assert live not in found
    assert {n: p["state"] for n, p in found.items()} == {
        running: "building", elsewhere: "building", dead: "stale", silent: "stale",
        replaced: "stale"}
    assert "is gone" in found[dead]["why"] and "no heartbeat" in found[silent]["why"]

    # a heartbeat renews the building index's _meta
    monkeypatch.setattr(es, "HEARTBEAT_EVERY", 0.0)
    meta = es._meta(es_alias, "building")
    meta["toezicht"]["heartbeat"] = "2026-01-01T00:00:00+00:00"
    es._Heartbeat(es_client, silent, meta)()
    assert {p["name"]: p["state"] for p in es.partial_indices(es_client, es_alias)}[
        silent] == "building"

    assert sorted(es.clean_stale(es_client, es_alias)) == sorted([dead, replaced])
    assert sorted(our_indices(es_client, es_alias)) == sorted([live, running, elsewhere,
                                                               silent])


def test_an_article_changed_while_a_rebuild_loads_is_current_after_it(store, es_client,
                                                                      es_alias):
    rows = make_articles(10, "live")
    store.save_articles(rows)
    es.sync(store, es_client, es_alias)
    first = min(rows, key=lambda a: a["id"])  # in the rebuild's first chunk
    newer = {**first, "title": "Gewijzigd tijdens de rebuild"}

    def meanwhile(done: int, total: int) -> None:
        if done == 2:  # loaded at its old version; changed, and synced into the old index
            store.save_articles([newer])
            assert es.sync(store, es_client, es_alias)["indexed"] == 1

    result = es.rebuild(store, es_client, es_alias, meanwhile, chunk_size=2)
    assert (result["indexed"], result["caught_up"]) == (10, 1)
    assert es_client.get(index=es_alias, id=first["id"])["_source"]["title"] == newer["title"]
    seen = es.status(es_client, es_alias, store, verify=True)
    assert seen["in_sync"] and seen["unsynced"] == 0 and seen["index_docs"] == 10
