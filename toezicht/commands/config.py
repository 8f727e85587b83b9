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
