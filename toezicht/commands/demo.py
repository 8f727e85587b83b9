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
@click.option("--port", default=8765, show_default=True,
              help="Port of the demo site. Keep it fixed: article ids derive from URLs, "
                   "so a re-run on the same port updates instead of duplicating.")
@click.option("--no-es", is_flag=True,
              help="Skip Elasticsearch: crawl and store only (search then needs `index sync`).")
@click.pass_obj
def demo(cfg: Config, query: str, port: int, no_es: bool) -> None:
    """Start Elasticsearch, serve the bundled demo news site on 127.0.0.1, crawl it,
    extract events, store and index the articles, then print a search result.

    Needs no network: everything runs on this machine.
    """
    from toezicht.sitesrv import SiteServer

    if not no_es:
        _run(["es", "start"], cfg)
    try:
        site = SiteServer(DEMO_DIR / "site", port=port)  # binds now, so a busy port fails here
    except OSError as exc:
        raise click.ClickException(f"cannot serve the demo site on port {port}: {exc.strerror}; "
                                   "choose another with --port") from None
    with site:
        base = site.base_url
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
