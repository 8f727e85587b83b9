"""`toezicht demo`: the whole main job, offline, on the bundled sample news site."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

from toezicht.config import PACKAGE_DIR, Config

DEMO_DIR = PACKAGE_DIR / "demo"


def _run(args: list[str], cfg: Config) -> None:
    """Run a toezicht sub-command in a child process (Scrapy's reactor runs once per process)."""
    cmd = [sys.executable, "-m", "toezicht.cli", "--data-dir", str(cfg.data_dir), *args]
    result = subprocess.run(cmd, check=False)
    if result.returncode != 0:
        raise click.ClickException(f"demo step failed: toezicht {' '.join(args)}")


@click.command()
@click.option("--query", default="grok", show_default=True,
              help="What to search for once the demo site is indexed.")
@click.option("--no-es", is_flag=True,
              help="Skip Elasticsearch: crawl and store only (search then needs `index sync`).")
@click.pass_obj
def demo(cfg: Config, query: str, no_es: bool) -> None:
    """Start Elasticsearch, serve the bundled demo news site on 127.0.0.1, crawl it,
    extract events, store and index the articles, then print a search result.

    Needs no network: everything runs on this machine.
    """
    from toezicht.sitesrv import serve_site

    if not no_es:
        _run(["es", "start"], cfg)
    with serve_site(DEMO_DIR / "site") as base:
        sources = Path(cfg.data_dir) / "demo-sources.toml"
        sources.parent.mkdir(parents=True, exist_ok=True)
        template = (DEMO_DIR / "sources.toml").read_text(encoding="utf-8")
        sources.write_text(template.replace("{base}", base), encoding="utf-8")
        click.echo(f"demo site at {base}", err=True)
        _run(["crawl", "--sources", str(sources)], cfg)
    if no_es:
        return
    _run(["index", "sync"], cfg)
    _run(["search", query], cfg)
