"""Configuration: file + environment precedence, one-line errors, the shipped example."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from toezicht.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent


def test_environment_overrides_the_file(tmp_path, monkeypatch):
    cfg_file = tmp_path / "t.toml"
    cfg_file.write_text('es_port = 9400\ndownload_delay = 2.5\nobey_robots = false\n')
    monkeypatch.setenv("TOEZICHT_ES_PORT", "9500")
    cfg = load_config(cfg_file)
    assert (cfg.es_port, cfg.download_delay, cfg.obey_robots) == (9500, 2.5, False)
    assert cfg.resolved_es_url == "http://127.0.0.1:9500"
    assert cfg.es_is_local


@pytest.mark.parametrize(("content", "message"), [
    ("es_port = 'abc'\n", "es_port must be int"),
    ("nonsense = 1\n", "unknown setting 'nonsense'"),
    ("x = [\n", "not valid TOML"),
])
def test_bad_config_is_a_one_line_error(tmp_path, content, message):
    cfg_file = tmp_path / "t.toml"
    cfg_file.write_text(content)
    with pytest.raises(ConfigError, match=message) as err:
        load_config(cfg_file)
    assert "\n" not in str(err.value)


def test_the_cli_reports_bad_config_in_one_line(tmp_path):
    cfg_file = tmp_path / "t.toml"
    cfg_file.write_text("es_port = 'abc'\n")
    result = subprocess.run([sys.executable, "-m", "toezicht.cli", "--config", str(cfg_file),
                             "config", "show"], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: config: es_port must be int, got 'abc'"]


def test_secrets_are_masked(tmp_path):
    cfg = load_config(None, es_password="hunter2", es_api_key="k")
    shown = cfg.as_dict()
    assert shown["es_password"] == "***" and shown["es_api_key"] == "***"


def test_the_shipped_example_config_passes_check():
    result = subprocess.run([sys.executable, "-m", "toezicht.cli", "--config",
                             str(ROOT / "toezicht.example.toml"), "config", "check"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK:")


@pytest.mark.parametrize(("args", "message"), [
    (["search", "--size", "abc", "x"], "Error: Invalid value for '--size'"),
    (["actions", "--offset", "-1"], "Error: Invalid value for '--offset'"),
    (["--bogus"], "Error: No such option '--bogus'"),
    (["nosuch"], "Error: No such command 'nosuch'"),
    (["index", "sync", "--nope"], "Error: No such option '--nope'"),
])
def test_usage_errors_are_one_line_for_every_command(tmp_path, args, message):
    from click.testing import CliRunner

    from toezicht.cli import cli

    out = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), *args])
    assert out.exit_code == 1
    assert out.stderr.strip().splitlines() == [out.stderr.strip()]
    assert out.stderr.startswith(message)
