"""The ``toezicht`` command. Each sub-command lives in ``toezicht/commands/``;
this module only wires them together and turns known errors into one-line
messages with a non-zero exit."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click
from click.exceptions import NoArgsIsHelpError

from toezicht.config import ConfigError, load_config

# name -> "module:attribute"; imported lazily so `toezicht --help` stays fast.
COMMANDS = {
    "crawl": "toezicht.commands.crawl:crawl",
    "reprocess": "toezicht.commands.crawl:reprocess",
    "sources": "toezicht.commands.crawl:sources",
    "extract": "toezicht.commands.extract:extract",
    "search": "toezicht.commands.search:search",
    "actions": "toezicht.commands.actions:actions",
    "export": "toezicht.commands.export:export",
    "backfill": "toezicht.commands.backfill:backfill",
    "forget": "toezicht.commands.forget:forget",
    "serve": "toezicht.commands.serve:serve",
    "index": "toezicht.commands.index:index",
    "es": "toezicht.commands.es:es",
    "config": "toezicht.commands.config:config",
    "demo": "toezicht.commands.demo:demo",
    "schedule": "toezicht.commands.schedule:schedule",
    "runs": "toezicht.commands.schedule:runs",
    "alerts": "toezicht.commands.alerts:alerts",
}


def _one_line(exc: click.UsageError) -> click.ClickException:
    if isinstance(exc, NoArgsIsHelpError):  # a bare group ("toezicht index"): its help
        raise exc
    return click.ClickException(" ".join(exc.format_message().split()))


class LazyGroup(click.Group):
    """Commands imported when used; a usage error anywhere below it (a bad option, a
    missing argument) is one line ('Error: ...') and exit 1, like every bad input."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise _one_line(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _one_line(exc) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            if module.split(".")[-1] not in str(exc) and attr not in str(exc):
                raise
            return None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="TOML config file (default: $TOEZICHT_CONFIG or ./toezicht.toml).")
@click.option("--data-dir", type=click.Path(file_okay=False),
              help="Where the store, raw HTML and the local Elasticsearch live "
                   "(default .toezicht, or $TOEZICHT_DATA_DIR).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, data_dir: str | None) -> None:
    """Toezicht: monitor Dutch and English news on AI-made sexual imagery and the
    regulatory actions taken against it.

    Typical day: `toezicht es start`, `toezicht crawl`, `toezicht search grok`.
    """
    from pathlib import Path

    try:
        ctx.obj = load_config(config_path, data_dir=Path(data_dir) if data_dir else None)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def main() -> None:
    """Entry point. Known errors are one line (click.ClickException); an unexpected one
    is one line too, with the traceback only when TOEZICHT_DEBUG is set."""
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # the last line of defence: never a traceback for a user
        if os.environ.get("TOEZICHT_DEBUG"):
            raise
        message = " ".join(str(exc).split()) or exc.__class__.__name__
        click.echo(f"Error: unexpected {exc.__class__.__name__}: {message} "
                   "(set TOEZICHT_DEBUG=1 for the traceback)", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
