"""`toezicht config show|check`: print or validate the effective configuration."""

from __future__ import annotations

import json

import click

from toezicht.config import Config


@click.group()
def config() -> None:
    """Inspect the configuration (TOML file + TOEZICHT_* environment variables)."""


@config.command("show")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.pass_obj
def show(cfg: Config, fmt: str) -> None:
    """Show every setting with its effective value (secrets masked)."""
    data = cfg.as_dict()
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    width = max(len(k) for k in data)
    for key, value in data.items():
        click.echo(f"{key.ljust(width)}  {value}")


@config.command("check")
@click.pass_obj
def check(cfg: Config) -> None:
    """Validate the configuration. Every setting was checked against its rule when it
    was loaded; this also checks [schedule] (cron, timezone, its sources), the
    subscriptions and their channels, [smtp], [alerts] and the sources file. Prints
    OK or one error line (exit 1)."""
    from toezicht.alerts.subscriptions import load_alert_settings, read_sections
    from toezicht.config import ConfigError
    from toezicht.schedule import load_schedule_settings

    try:
        data = read_sections(cfg)
        schedule = load_schedule_settings(cfg, data)
        alerts = load_alert_settings(cfg, data)
        names = _check_sources(cfg)
        if names is not None and (unknown := [n for n in schedule.sources if n not in names]):
            raise ConfigError(f"config: schedule.sources: unknown source {unknown[0]!r} "
                              f"(not in {cfg.sources_file})")
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    where = str(cfg.source) if cfg.source else "defaults (no config file)"
    sources = f"{len(names)} sources" if names is not None else "sources not checked"
    click.echo(f"OK: {where}: cron {schedule.cron!r} {schedule.timezone}, "
               f"{len(alerts.subscriptions)} subscriptions, {sources} in {cfg.sources_file}")


def _check_sources(cfg: Config) -> list[str] | None:
    """The source names of the sources file, loaded with the crawler's loader; None
    when that is unavailable."""
    from toezicht.config import ConfigError

    try:
        from crawler.sources import SourceError, load_sources
    except ImportError:
        if not cfg.sources_file.exists():
            raise ConfigError(f"sources file not found: {cfg.sources_file}") from None
        return None
    try:
        return [s.name for s in load_sources(cfg.sources_file)]
    except SourceError as exc:
        raise ConfigError(str(exc)) from None
    except OSError as exc:
        raise ConfigError(f"sources file {cfg.sources_file}: {exc.strerror or exc}") from None
