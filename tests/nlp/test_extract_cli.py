"""The `toezicht extract` command, through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from toezicht.cli import cli
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


DATE_FORMS = "use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM]"


@pytest.mark.parametrize(("args", "message"), [
    (["--lang", "xx"], "Invalid value for '--lang': 'xx' is not a language the extractor "
                       "supports: use nl or en"),
    (["--lang", "de"], "Invalid value for '--lang': 'de' is not a language the extractor "
                       "supports: use nl or en"),
    (["--lang", ""], "Invalid value for '--lang': '' is not a language the extractor "
                     "supports: use nl or en"),
    (["--published", "2026-13-45"], f"Invalid value for '--published': '2026-13-45' is not a "
                                    f"date: {DATE_FORMS}"),
    (["--published", "2026-02-30"], f"Invalid value for '--published': '2026-02-30' is not a "
                                    f"date: {DATE_FORMS}"),
    (["--published", "gisteren"], f"Invalid value for '--published': 'gisteren' is not a "
                                  f"date: {DATE_FORMS}"),
    (["--published", "2026-01-12T25:00"], "Invalid value for '--published': "
                                          f"'2026-01-12T25:00' is not a date: {DATE_FORMS}"),
])
def test_bad_lang_or_published_is_one_line(tmp_path: Path, args: list[str],
                                           message: str) -> None:
    """Through the root command, as `toezicht extract ...` runs: exit 1, nothing on
    stdout (no article is extracted), one line on stderr."""
    res = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "extract", *args], input=EN)
    assert res.exit_code == 1, res.output
    assert res.stdout == ""
    assert res.stderr.splitlines() == [f"Error: {message}"]


def test_lang_and_published_forms_that_are_accepted(tmp_path: Path) -> None:
    for args in (["--lang", "NL", "--published", "2026-01-12"],
                 ["--lang", "nl", "--published", "2026-01-12T10:30:00Z"],
                 ["--lang", "nl", "--published", "2026-01-12T10:30+01:00"]):
        res = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "extract", *args],
                                 input=NL)
        assert res.exit_code == 0, (args, res.output)
        assert lines(res.stdout)[0]["lang"] == "nl"
