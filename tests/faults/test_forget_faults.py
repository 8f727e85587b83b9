"""Faults during an erasure (`toezicht forget`), with real parts: Elasticsearch down
while it runs (the store is erased, the command says so in one line and exits 1, and
`index sync` or forgetting again finishes the job), and a name redaction killed with
SIGKILL half-way (what it did holds, its log entry stays `running`, a second run
finishes it)."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from index import es
from index.ids import article_id
from index.store import Store, articles

pytestmark = pytest.mark.faults

NAME = "Jorinde Quaxelaar"  # invented
DOWN = "http://127.0.0.1:9"  # nothing listens there


def toezicht(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "toezicht.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def environ(data: Path, es_url: str, alias: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEZICHT_")}
    env.update(TOEZICHT_DATA_DIR=str(data), TOEZICHT_ES_URL=es_url, TOEZICHT_ES_INDEX=alias)
    return env


def rows(n: int, tag: str, with_name: bool = True) -> list[dict[str, Any]]:
    """Articles naming ``NAME``, each text its own (so no two form one story)."""
    rng = random.Random(tag)
    syllables = ["ka", "lo", "mer", "vin", "tas", "pel", "dro", "sun", "bri", "gol", "nef"]
    out = []
    for i in range(n):
        url = f"https://faults.example/{tag}/{i}"
        who = NAME if with_name else "a teacher"
        filler = " ".join("".join(rng.choices(syllables, k=3)) for _ in range(60))
        text = (f"Regulators opened an investigation after deepfake images of {who} were "
                f"shared. {filler}. {who}'s lawyer asked the platform to act.")
        out.append({"id": article_id(url), "url": url, "canonical_url": url,
                    "source": "faults", "title": f"Deepfakes of {who} ({i})", "text": text,
                    "lang": "en", "published": "2026-01-12", "relevant": True,
                    "raw_html": f"<html><body><h1>Deepfakes of {who}</h1><p>{text}</p>"
                                f"</body></html>".encode()})
    return out


@pytest.fixture()
def alias(es_client: Any) -> Any:
    name = f"toezicht-test-{uuid.uuid4().hex[:10]}"
    yield name
    es.drop(es_client, name)


def test_index_down_then_sync_finishes_the_erasure(tmp_path: Path, es_url: str,
                                                   es_client: Any, alias: str) -> None:
    data = tmp_path / "data"
    store = Store(f"sqlite:///{data / 'toezicht.db'}")
    batch = rows(3, "a") + rows(2, "b", with_name=False)
    store.save_articles(batch)
    es.sync(store, es_client, alias)
    gone = batch[3]["id"]
    down = environ(data, DOWN, alias)
    up = environ(data, es_url, alias)

    result = toezicht(down, "forget", gone)
    assert result.returncode == 1, result.stdout + result.stderr
    err = result.stderr.strip().splitlines()
    assert len(err) == 1 and "erased from the store" in err[0] and "index sync" in err[0]
    assert store.get_article(gone) is None and store.known_ids([gone]) == {gone}
    assert es.present(es_client, alias, [gone]) == [gone]  # the index could not be told
    log = json.loads(toezicht(up, "forget", "--log", "--format", "json").stdout)
    assert log[0]["state"] == "index pending"
    # `index sync` deletes what the store no longer has
    synced = toezicht(up, "index", "sync", "-q")
    assert synced.returncode == 0 and "deleted 1" in synced.stdout
    assert es.present(es_client, alias, [gone]) == []

    result = toezicht(down, "forget", "--name", NAME, "-q")
    assert result.returncode == 1
    err = result.stderr.strip().splitlines()
    assert len(err) == 1 and "redacted in the store" in err[0]
    hits = es_client.search(index=alias, query={"match": {"text": "quaxelaar"}})
    assert hits["hits"]["total"]["value"] == 3  # still in the index ...
    assert store.count_articles(only_unsynced=True) == 3  # ... and the store knows
    assert toezicht(up, "index", "sync", "-q").returncode == 0
    es_client.indices.refresh(index=alias)
    hits = es_client.search(index=alias, query={"match": {"text": "quaxelaar"}})
    assert hits["hits"]["total"]["value"] == 0

    # forgetting again with the index up finishes an article erasure too
    other = batch[4]["id"]
    assert toezicht(down, "forget", other).returncode == 1
    assert es.present(es_client, alias, [other]) == [other]
    again = toezicht(up, "forget", other)
    assert again.returncode == 0 and "already forgotten" in again.stdout
    assert es.present(es_client, alias, [other]) == []


def test_redaction_killed_half_way_is_finished_by_a_second_run(tmp_path: Path, es_url: str,
                                                                alias: str) -> None:
    data = tmp_path / "data"
    store = Store(f"sqlite:///{data / 'toezicht.db'}")
    n = 6000
    for start in range(0, n, 1000):
        store.save_articles(rows(1000, f"k{start}"))
    env = environ(data, es_url, alias)
    redacted = (select(func.count()).select_from(articles)
                .where(articles.c.title.like("%[redacted]%")))
    proc = subprocess.Popen([sys.executable, "-m", "toezicht.cli", "forget", "--name", NAME,
                             "-q"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        done = 0
        while time.monotonic() < deadline and proc.poll() is None:
            with store.engine.connect() as conn:
                done = int(conn.scalar(redacted) or 0)
            if done:
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the redaction finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    with store.engine.connect() as conn:
        done = int(conn.scalar(redacted) or 0)
    assert 0 < done < n
    # batches are transactions: an article is redacted entirely or not at all
    name = re.compile("quaxelaar", re.I)
    for row in store.iter_articles():
        assert bool(name.search(row["title"])) == bool(name.search(row["text"]))
    log = json.loads(toezicht(env, "forget", "--log", "--format", "json").stdout)
    assert [e["state"] for e in log] == ["running"]  # it says it did not finish
    result = toezicht(env, "forget", "--name", NAME, "-q")
    assert result.returncode == 0, result.stderr
    for row in store.iter_articles():
        assert not name.search(row["title"] + row["text"])
        assert not name.search(store.raw_html(row["id"]).decode())
    log = json.loads(toezicht(env, "forget", "--log", "--format", "json").stdout)
    assert [e["state"] for e in log] == ["done", "running"]
    assert log[0]["counts"]["articles"] == n - done
