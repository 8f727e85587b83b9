"""Configuration: file + environment precedence, one-line errors, every setting checked
against its rule at load time, the shipped example."""

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
    ("es_port = 'abc'\n", 'es_port = "abc": must be an integer from 1 to 65535'),
    ("nonsense = 1\n", "unknown setting 'nonsense'"),
    ("x = [\n", "not valid TOML"),
    ("[crawl]\nconcurrent_per_domain = 0\n", r"unknown section \[crawl\]"),
    ("[toezicht]\nnonsense = 1\n", "unknown setting 'toezicht.nonsense'"),
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
        'Error: config: es_port = "abc": must be an integer from 1 to 65535']


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


# -- every setting is checked against its rule when the config is loaded ------------------
@pytest.fixture()
def clean_env(monkeypatch):
    """No TOEZICHT_* variables from the outer environment."""
    import os

    for key in [k for k in os.environ if k.startswith("TOEZICHT_")]:
        monkeypatch.delenv(key)


CHANNELS = {"atom": 'path = "a.xml"\n', "webhook": 'url = "http://hook.test/"\nsecret = "k"\n'}


def _toml(setting: str, value: str) -> str:
    """A config file setting ``setting`` (``section.key``, or ``subscription.key`` and
    ``subscription.<channel>.key`` in a minimal valid subscription) to ``value``."""
    if setting.startswith("subscription."):
        key = setting.removeprefix("subscription.")
        channel, _, in_channel = key.rpartition(".")
        head = '[[subscription]]\nname = "x"\n' + ("" if channel else f"{key} = {value}\n")
        return head + "".join(f"[subscription.{name}]\n{body}"
                              + (f"{in_channel} = {value}\n" if name == channel else "")
                              for name, body in CHANNELS.items() if name in (channel, "atom"))
    section, _, key = setting.rpartition(".")
    return f"[{section}]\n{key} = {value}\n" if section else f"{setting} = {value}\n"


def _check(tmp_path, content: str, env: dict[str, str] | None = None, *args: str):
    from click.testing import CliRunner

    from toezicht.cli import cli

    cfg_file = tmp_path / "t.toml"
    if not content.startswith("data_dir"):  # keep the data out of the working directory
        content = f'data_dir = "{tmp_path / "data"}"\n{content}'
    cfg_file.write_text(content, encoding="utf-8")
    return CliRunner().invoke(cli, ["--config", str(cfg_file), *(args or ("config", "check"))],
                              env=env)


# (setting as written in the TOML, a bad value as written there, what is allowed)
BAD_SETTINGS = [
    # issue 15, item 3
    ("concurrent_per_domain", "0", "an integer >= 1"),
    ("concurrent_per_domain", "-5", "an integer >= 1"),
    ("es_port", "70000", "an integer from 1 to 65535"),
    ("es_port", "12345678901234567890", "an integer from 1 to 65535"),
    ("download_delay", "-1", "a number >= 0"),
    ("search_backend", '"mysql"', 'one of "elasticsearch" or "sqlite"'),
    ("es_index", '"UPPER case/../x"', "an Elasticsearch index name"),
    # integers: range, type
    ("es_port", "0", "an integer from 1 to 65535"),
    ("es_port", '"abc"', "an integer from 1 to 65535"),
    ("es_port", "2.5", "an integer from 1 to 65535"),
    ("es_port", "true", "an integer from 1 to 65535"),
    ("toezicht.es_port", "0", "an integer from 1 to 65535"),  # under [toezicht]
    ("schedule.misfire_grace_time", "0", "an integer >= 1"),
    ("schedule.limit", "-1", "an integer >= 0"),
    ("smtp.port", "0", "an integer from 1 to 65535"),
    ("alerts.max_attempts", "0", "an integer >= 1"),
    ("subscription.atom.max_entries", "0", "an integer >= 1"),
    # numbers: delays >= 0, timeouts > 0, finite, type, ranges
    ("download_delay", "inf", "a number >= 0"),
    ("download_delay", "nan", "a number >= 0"),
    ("download_delay", '"soon"', "a number >= 0"),
    ("schedule.deliver_every", "0", "a number > 0"),
    ("schedule.crawl_timeout", "0", "a number > 0"),
    ("schedule.shutdown_timeout", "-1", "a number > 0"),
    ("smtp.timeout", "0", "a number > 0"),
    ("alerts.backoff_base", "-1", "a number >= 0"),
    ("alerts.lease", "0", "a number > 0"),
    ("subscription.min_confidence", "2", "a number from 0 to 1"),
    ("subscription.webhook.timeout", "0", "a number > 0"),
    # true or false
    ("obey_robots", '"maybe"', "true or false"),
    ("smtp.starttls", '"yes please"', "true or false"),
    ("subscription.source_health", '"sometimes"', "true or false"),
    # Elasticsearch index names
    ("es_index", '"."', "an Elasticsearch index name"),
    ("es_index", '".."', "an Elasticsearch index name"),
    ("es_index", '"-x"', "an Elasticsearch index name"),
    ("es_index", '"_x"', "an Elasticsearch index name"),
    ("es_index", '"+x"', "an Elasticsearch index name"),
    ("es_index", '"a#b"', "an Elasticsearch index name"),
    ("es_index", '"a,b"', "an Elasticsearch index name"),
    ("es_index", '"a*"', "an Elasticsearch index name"),
    ("es_index", '""', "an Elasticsearch index name"),
    # strings with a form
    ("es_heap", '"lots"', "a heap size such as 512m or 1g"),
    ("es_heap", '"0m"', "a heap size such as 512m or 1g"),
    ("es_version", '"latest"', "an Elasticsearch release such as 9.5.4"),
    ("es_version", '"7.17.0"', "an Elasticsearch release such as 9.5.4"),
    ("es_url", '"ftp://es.example.org"', "empty or an http(s) URL"),
    ("es_url", '"http://es.example.org:99999"', "empty or an http(s) URL"),
    ("store_url", '"toezicht.db"', "empty or a database URL"),
    ("user_agent", '""', "a single line of text, not empty"),
    ("es_username", '"a\\nb"', "a single line of text"),
    ("smtp.host", '""', "a host name"),
    ("subscription.atom.link", '"feeds.xml"', "empty or an http(s) URL"),
    # paths
    ("data_dir", '""', "a directory path (not a file)"),
    ("es_ca_certs", '"/nonexistent/ca.pem"', "empty or the path of an existing file"),
    ("smtp.ca_file", '"/nonexistent/ca.pem"', "empty or the path of an existing file"),
    # timezone names and cron fields
    ("schedule.timezone", '"Mars/Olympus"', "an IANA timezone name such as Europe/Amsterdam"),
    ("schedule.timezone", '"Europe"', "an IANA timezone name such as Europe/Amsterdam"),
    ("schedule.cron", '"61 6 * * *"', 'a crontab line "minute hour day month weekday"'),
    ("schedule.cron", '"0 25 * * *"', 'a crontab line "minute hour day month weekday"'),
    ("schedule.cron", '"0 6 * *"', 'a crontab line "minute hour day month weekday"'),
    ("schedule.cron", '"0 6 * * 8"', 'a crontab line "minute hour day month weekday"'),
    # lists
    ("schedule.sources", '"nos"', "a list of strings"),
    ("schedule.crawl_args", "[1]", "a list of strings"),
]


@pytest.mark.parametrize(("setting", "value", "allowed"), BAD_SETTINGS)
def test_a_bad_setting_fails_config_check_in_one_line(tmp_path, clean_env, setting, value,
                                                      allowed):
    out = _check(tmp_path, _toml(setting, value))
    assert out.exit_code == 1, out.output
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.output
    name = setting.rpartition(".")[2] if setting.startswith("subscription.") else setting
    assert f"{name} = {value}: must be {allowed}" in lines[0], lines[0]


@pytest.mark.parametrize(("variable", "value", "allowed"), [
    ("TOEZICHT_ES_PORT", "70000", "an integer from 1 to 65535"),
    ("TOEZICHT_ES_PORT", "", "an integer from 1 to 65535"),
    ("TOEZICHT_CONCURRENT_PER_DOMAIN", "0", "an integer >= 1"),
    ("TOEZICHT_DOWNLOAD_DELAY", "-1", "a number >= 0"),
    ("TOEZICHT_SEARCH_BACKEND", "mysql", 'one of "elasticsearch" or "sqlite"'),
    ("TOEZICHT_ES_INDEX", "UPPER case/../x", "an Elasticsearch index name"),
    ("TOEZICHT_OBEY_ROBOTS", "maybe", "true or false"),
    ("TOEZICHT_DATA_DIR", "", "a directory path (not a file)"),
])
def test_environment_overrides_are_checked_the_same_way(tmp_path, clean_env, variable, value,
                                                        allowed):
    out = _check(tmp_path, "", {variable: value})
    assert out.exit_code == 1, out.output
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith(f'Error: config: {variable} = "{value}": must be {allowed}'), line


@pytest.mark.parametrize("args", [
    ["config", "show"], ["search", "grok"], ["actions"], ["runs"], ["index", "status"],
    ["es", "status"], ["sources", "list"], ["alerts", "list"],
])
def test_every_command_refuses_a_bad_setting(tmp_path, clean_env, args):
    out = _check(tmp_path, "concurrent_per_domain = 0\n", None, *args)
    assert out.exit_code == 1, out.output
    assert out.stderr.strip().splitlines() == [
        "Error: config: concurrent_per_domain = 0: must be an integer >= 1"]


def test_the_real_process_reports_the_issue_values_in_one_line(tmp_path):
    import os

    cfg_file = tmp_path / "t.toml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEZICHT_")}
    for content, extra, line in [
        ('es_index = "UPPER case/../x"', {},
         'Error: config: es_index = "UPPER case/../x": must be an Elasticsearch index name'),
        ("", {"TOEZICHT_ES_PORT": "12345678901234567890"},
         'Error: config: TOEZICHT_ES_PORT = "12345678901234567890": must be an integer '
         "from 1 to 65535"),
    ]:
        cfg_file.write_text(f'data_dir = "{tmp_path}"\n{content}\n')
        result = subprocess.run([sys.executable, "-m", "toezicht.cli", "--config", str(cfg_file),
                                 "config", "check"], capture_output=True, text=True,
                                env={**env, **extra}, cwd=ROOT)
        assert result.returncode == 1
        (only,) = result.stderr.strip().splitlines()
        assert only.startswith(line), only


# (setting, a boundary value that is allowed)
GOOD_SETTINGS = [
    ("es_port", "1"), ("es_port", "65535"), ("download_delay", "0"),
    ("download_delay", "0.25"), ("concurrent_per_domain", "1"), ("concurrent_per_domain", "64"),
    ("search_backend", '"sqlite"'), ("search_backend", '"Elasticsearch"'),
    ("es_index", '"a"'), ("es_index", '"my_index.v2-x"'), ("es_index", f'"{"x" * 236}"'),
    ("es_heap", '"1g"'), ("es_version", '"9.1.0"'), ("es_url", '"https://es.example.org:9243"'),
    ("store_url", '"postgresql+psycopg://toezicht@db/toezicht"'), ("obey_robots", "false"),
    ("toezicht.es_port", "9201"),
    ("schedule.limit", "0"), ("schedule.misfire_grace_time", "1"),
    ("schedule.deliver_every", "0.5"), ("schedule.timezone", '"UTC"'),
    ("schedule.cron", '"*/15 0-23 1,15 * 1-5"'), ("schedule.cron", '"0 6 * * 7"'),
    ("schedule.crawl_command", '"python fake.py"'),
    ("smtp.port", "65535"), ("alerts.backoff_base", "0"), ("alerts.max_attempts", "1"),
    ("subscription.min_confidence", "0"), ("subscription.min_confidence", "1"),
    ("subscription.atom.max_entries", "1"),
]


@pytest.mark.parametrize(("setting", "value"), GOOD_SETTINGS)
def test_boundary_values_pass_config_check(tmp_path, clean_env, setting, value):
    out = _check(tmp_path, _toml(setting, value))
    assert out.exit_code == 0, out.output
    assert out.stdout.startswith("OK:")


def test_environment_boundary_values_are_accepted(tmp_path, clean_env, monkeypatch):
    monkeypatch.setenv("TOEZICHT_ES_PORT", "65535")
    monkeypatch.setenv("TOEZICHT_DOWNLOAD_DELAY", "0")
    monkeypatch.setenv("TOEZICHT_SEARCH_BACKEND", "SQLite")
    cfg = load_config(None)
    assert (cfg.es_port, cfg.download_delay, cfg.search_backend) == (65535, 0.0, "sqlite")


def test_an_index_name_longer_than_its_indices_allow_is_refused(tmp_path, clean_env):
    with pytest.raises(ConfigError, match="at most 236 characters"):
        load_config(None, es_index="x" * 237)


def test_a_bad_secret_is_not_shown(tmp_path, clean_env):
    out = _check(tmp_path, 'es_password = "hunter2\\t"\n')
    assert out.exit_code == 1
    assert "hunter2" not in out.output and "es_password = ***: must be" in out.stderr


def test_schedule_sources_must_be_in_the_sources_file(tmp_path, clean_env):
    out = _check(tmp_path, '[schedule]\nsources = ["nos", "nope"]\n')
    assert out.exit_code == 1
    assert out.stderr.strip().splitlines() == [
        "Error: config: schedule.sources: unknown source 'nope' (not in "
        f"{ROOT / 'toezicht' / 'data' / 'sources.toml'})"]


def test_every_setting_has_a_rule_its_default_meets():
    from dataclasses import MISSING, fields

    from toezicht.alerts.subscriptions import DeliverySettings, SmtpSettings
    from toezicht.config import Config, check
    from toezicht.schedule import ScheduleSettings

    for cls in (Config, ScheduleSettings, SmtpSettings, DeliverySettings):
        for f in fields(cls):
            if f.name == "source":  # where the config came from, not a setting
                continue
            assert "rule" in f.metadata, f"{cls.__name__}.{f.name} has no rule"
            default = f.default if f.default is not MISSING else f.default_factory()
            check(f.name, default, f.metadata["rule"])


def test_the_search_backend_choices_are_the_backends():
    from index.search import BACKENDS
    from toezicht.config import Config, check, choice, rules

    rule = rules(Config)["search_backend"]
    assert rule.allowed == choice(*BACKENDS).allowed
    assert [check("search_backend", name, rule) for name in BACKENDS] == list(BACKENDS)


def test_the_defaults_pass_check(tmp_path, clean_env, monkeypatch):
    from click.testing import CliRunner

    from toezicht.cli import cli

    monkeypatch.chdir(tmp_path)  # no ./toezicht.toml: the defaults, the bundled sources
    out = CliRunner().invoke(cli, ["config", "check"])
    assert out.exit_code == 0, out.output
    assert out.stdout.startswith("OK: defaults (no config file)")
