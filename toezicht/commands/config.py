"""`toezicht config show`: print the effective configuration."""

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
    """Validate the configuration: [schedule] cron and timezone, subscriptions and
    their channels, [smtp], and the sources file. Prints OK or one error line."""
    import sys

    from toezicht.alerts.subscriptions import load_alert_settings, read_sections
    from toezicht.config import ConfigError
    from toezicht.schedule import load_schedule_settings

    try:
        data = read_sections(cfg)
        schedule = load_schedule_settings(cfg, data)
        alerts = load_alert_settings(cfg, data)
        nsources = _check_sources(cfg)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    where = str(cfg.source) if cfg.source else "defaults (no config file)"
    sources = f"{nsources} sources" if nsources is not None else "sources not checked"
    click.echo(f"OK: {where}: cron {schedule.cron!r} {schedule.timezone}, "
               f"{len(alerts.subscriptions)} subscriptions, {sources} in {cfg.sources_file}")


def _check_sources(cfg: Config) -> int | None:
    """Load the sources file with the crawler's loader; None when unavailable."""
    from toezicht.config import ConfigError

    try:
        from crawler.sources import SourceError, load_sources
    except ImportError:
        if not cfg.sources_file.exists():
            raise ConfigError(f"sources file not found: {cfg.sources_file}") from None
        return None
    try:
        return len(load_sources(cfg.sources_file))
    except SourceError as exc:
        raise ConfigError(str(exc)) from None
    except OSError as exc:
        raise ConfigError(f"sources file {cfg.sources_file}: {exc.strerror or exc}") from None
