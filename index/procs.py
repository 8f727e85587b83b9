"""Whether a process on this host still runs: one check for the store's leases and
locks, index rebuilds, the crawl's heartbeat and the Elasticsearch node."""

from __future__ import annotations

import os
from pathlib import Path


def pid_alive(pid: int) -> bool:
    """``pid`` exists (someone else's counts) and is not a zombie (killed, not reaped)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    except OSError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
