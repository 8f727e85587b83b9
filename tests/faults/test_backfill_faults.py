"""Backfill faults (issue 13): a backfill killed with SIGKILL and run again stores
every article once and counts every record once; a corrupt gzip member or a
truncated file is one error line and the other files (and members) still run."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from faults.procs import in_session, query, wait_until
from support.warcs import OFF_TOPIC, ON_TOPIC, make_warc, page_html

from crawler.backfill.warc import response_record, write_warc

pytestmark = pytest.mark.faults


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEZICHT_")}
    env.update(TOEZICHT_DATA_DIR=str(data), TOEZICHT_ES_URL="http://127.0.0.1:9",
               TOEZICHT_BACKFILL_CHECKPOINT_RECORDS="40")
    return env


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "toezicht.cli", "backfill", *args, "--no-index",
            "--no-progress"]


def _big_warc(path: Path, on_topic: int = 24, off_topic: int = 2400) -> tuple[Path, int, int]:
    """A WARC of ``on_topic`` distinct on-topic articles spread among off-topic pages;
    returns (path, records, HTML records)."""
    records = []
    every = off_topic // on_topic
    html = 0
    for i in range(off_topic):
        lang, url, title, published, paras = OFF_TOPIC[i % len(OFF_TOPIC)]
        url = f"{url}-{i}"
        records.append(response_record(url, page_html(lang, url, title, published, paras)))
        html += 1
        if i % every == 0 and i // every < on_topic:
            lang, url, title, published, paras = ON_TOPIC[(i // every) % len(ON_TOPIC)]
            url = f"{url}-{i // every}"
            records.append(response_record(url, b"", record_type="request"))
            records.append(response_record(url, page_html(lang, url, title, published, paras)))
            html += 1
    write_warc(path, records)
    return path, len(records), html


def test_killed_backfill_resumes_without_duplicates_or_gaps(tmp_path: Path) -> None:
    data = tmp_path / "data"
    warc, total, html = _big_warc(tmp_path / "big.warc.gz")
    proc = subprocess.Popen(_cmd(str(warc), "--workers", "1"), env=_env(data),
                            start_new_session=True, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def progressed() -> bool:
        rows = query(data, "SELECT records, status FROM backfill_files")
        done = query(data, "SELECT count(*) FROM articles")
        return bool(rows and rows[0][0] > 0 and rows[0][1] == "running"
                    and done and done[0][0] > 0)

    assert wait_until(progressed, timeout=120, step=0.02), proc.communicate(timeout=60)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert wait_until(lambda: not in_session(proc.pid), timeout=10), "workers outlived it"
    (records, offset, status), = query(data, "SELECT records, byte_offset, status "
                                             "FROM backfill_files")
    assert status == "running" and 0 < records < total and offset > 0
    stored_before = query(data, "SELECT count(*) FROM articles")[0][0]
    assert 0 < stored_before < 24
    result = subprocess.run(_cmd(str(warc), "--workers", "1"), env=_env(data),
                            capture_output=True, text=True, timeout=300,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert query(data, "SELECT count(*), count(DISTINCT canonical_url) FROM articles") == [
        (24, 24)]
    assert query(data, "SELECT records, status FROM backfill_files") == [(total, "done")]
    assert query(data, "SELECT sum(html_records) FROM backfill_days") == [(html,)]
    assert query(data, "SELECT count(*) FROM backfill_articles") == [(24,)]


def test_corrupt_member_and_truncated_file_are_one_line_each(tmp_path: Path) -> None:
    data = tmp_path / "data"
    good = make_warc(tmp_path / "good.warc.gz", OFF_TOPIC + ON_TOPIC[3:])
    members = [gzip.compress(r) for r in
               [response_record(url, page_html(lang, url, title, published, paras))
                for lang, url, title, published, paras in ON_TOPIC[:3]]]
    members[1] = members[1][:40] + b"\x00" * 30 + members[1][70:]
    corrupt = tmp_path / "corrupt.warc.gz"
    corrupt.write_bytes(b"".join(members))
    whole = make_warc(tmp_path / "whole.warc.gz", OFF_TOPIC).read_bytes()
    truncated = tmp_path / "truncated.warc.gz"
    truncated.write_bytes(whole[:-200])
    result = subprocess.run(_cmd(str(good), str(corrupt), str(truncated), "--workers", "2"),
                            env=_env(data), capture_output=True, text=True, timeout=300,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2, result.stderr
    assert any(str(corrupt) in e and "corrupt gzip member" in e for e in errors)
    assert any(str(truncated) in e and "truncated" in e for e in errors)
    assert "Traceback" not in result.stderr
    urls = {u for (u,) in query(data, "SELECT canonical_url FROM articles")}
    assert urls == {ON_TOPIC[0][1], ON_TOPIC[2][1], ON_TOPIC[3][1]}  # all but the bad one
    status = dict(query(data, "SELECT file, status FROM backfill_files"))
    assert status[str(good)] == "done" and status[str(corrupt)] == "done"
    assert status[str(truncated)] == "failed"
    again = subprocess.run(_cmd(str(good), str(corrupt), str(truncated)), env=_env(data),
                           capture_output=True, text=True, timeout=300,
                           stdin=subprocess.DEVNULL)
    assert again.returncode == 1
    assert [line for line in again.stderr.splitlines() if line.startswith("error: ")] == [
        e for e in errors if str(truncated) in e]
