"""The store of record: articles once per id, raw HTML kept byte for byte, events
derived from analyses, crawl runs."""

from __future__ import annotations

import gzip

from sqlalchemy import update

from index.store import Store, raw_pages

PAGE = "<html><body><p>Caf\u00e9 \u20ac 5</p></body></html>".encode("cp1252") * 50


def article(aid: str, **extra: object) -> dict:
    return {"id": aid, "url": f"https://example.org/{aid}",
            "canonical_url": f"https://example.org/{aid}", **extra}


def test_raw_html_round_trips_byte_for_byte(store: Store) -> None:
    assert store.save_articles([article("a", raw_html=PAGE, encoding="cp1252")]) == 1
    assert store.raw_html("a") == PAGE
    page = store.raw_page("a")
    assert page["html"] == PAGE and page["encoding"] == "cp1252"


def test_gzip_blobs_of_older_stores_still_read(store: Store) -> None:
    store.save_articles([article("old", raw_html=PAGE)])
    with store.engine.begin() as conn:
        conn.execute(update(raw_pages).values(html_gz=gzip.compress(PAGE)))
    assert store.raw_html("old") == PAGE


def test_saving_again_updates_and_keeps_first_indexed_at(store: Store) -> None:
    assert store.save_articles([article("a", title="one")]) == 1
    first = store.get_article("a")["indexed_at"]
    assert store.save_articles([article("a", title="two")]) == 0
    row = store.get_article("a")
    assert (row["title"], row["indexed_at"]) == ("two", first)


def test_events_follow_the_latest_analysis(store: Store) -> None:
    event = {"actor": "ofcom", "jurisdiction": "GB", "measure": "investigation",
             "target": "X", "status": "actual"}
    store.save_articles([article("a", analysis={"relevant": True, "events": [event]})])
    store.save_analysis("a", {"relevant": True, "events": []}, "test")
    assert store.events_for("a") == []
    assert store.get_article("a")["es_synced_at"] is None
