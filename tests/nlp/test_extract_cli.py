"""The `toezicht extract` command, through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from toezicht.commands.extract import extract

EN = ("Ofcom opened an investigation into X after Grok was used to make sexual deepfakes "
      "and nude images of women without consent.")
NL = ("De Europese Commissie start een onderzoek naar X omdat Grok seksuele deepfakes en "
      "naaktbeelden van vrouwen maakte.")


def lines(output: str) -> list[dict]:
    return [json.loads(x) for x in output.splitlines() if x.strip()]


def test_files(tmp_path: Path) -> None:
    a = tmp_path / "a.txt"
    a.write_text(EN, encoding="utf-8")
    b = tmp_path / "b.txt"
    b.write_text(NL, encoding="utf-8")
    res = CliRunner().invoke(extract, [str(a), str(b)])
    assert res.exit_code == 0, res.output
    out = lines(res.output)
    assert [o["id"] for o in out] == [str(a), str(b)]
    assert out[0]["lang"] == "en" and out[1]["lang"] == "nl"
    assert ("GB", "investigation") in {(e["jurisdiction"], e["measure"]) for e in out[0]["events"]}
    assert ("EU", "investigation") in {(e["jurisdiction"], e["measure"]) for e in out[1]["events"]}


def test_jsonl_stdin() -> None:
    data = "\n".join(json.dumps(r) for r in [
        {"id": "x1", "text": EN, "published": "2026-01-13"},
        {"id": 2, "text": NL, "lang": "nl", "title": "Onderzoek naar X"},
        {"id": "empty", "text": ""},
    ]) + "\n\n"
    res = CliRunner().invoke(extract, ["--jsonl", "-"], input=data)
    assert res.exit_code == 0, res.output
    out = lines(res.output)
    assert [o["id"] for o in out] == ["x1", 2, "empty"]
    assert out[2]["events"] == []


def test_jsonl_file(tmp_path: Path) -> None:
    p = tmp_path / "in.jsonl"
    p.write_text(json.dumps({"id": "a", "text": EN}) + "\n", encoding="utf-8")
    res = CliRunner().invoke(extract, ["--jsonl", str(p)])
    assert res.exit_code == 0
    assert lines(res.output)[0]["id"] == "a"


def test_plain_stdin() -> None:
    res = CliRunner().invoke(extract, [], input=EN)
    assert res.exit_code == 0
    assert lines(res.output)[0]["id"] == "-"


def test_missing_file_is_one_line_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(extract, [str(tmp_path / "nope.txt")])
    assert res.exit_code != 0
    assert "Traceback" not in res.output and "nope.txt" in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_invalid_json_line_is_one_line_error() -> None:
    res = CliRunner().invoke(extract, ["--jsonl", "-"],
                             input=json.dumps({"id": 1, "text": EN}) + "\n{not json\n")
    assert res.exit_code != 0
    assert "line" in res.output or ":2:" in res.output
    assert "Traceback" not in res.output
    assert isinstance(res.exception, SystemExit)


def test_missing_jsonl_file() -> None:
    res = CliRunner().invoke(extract, ["--jsonl", "/nonexistent/in.jsonl"])
    assert res.exit_code != 0 and "Traceback" not in res.output


def test_wrong_text_type() -> None:
    res = CliRunner().invoke(extract, ["--jsonl", "-"], input='{"id": 1, "text": 5}\n')
    assert res.exit_code != 0 and "text" in res.output
