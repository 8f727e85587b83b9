"""requirements.lock pins every dependency of pyproject.toml, inside its range, with hashes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)")


def _pins() -> dict[str, str]:
    out = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        m = PIN.match(line)
        if m:
            out[canonicalize_name(m.group(1))] = m.group(2)
    return out


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    return [Requirement(r) for r in reqs]


@pytest.mark.parametrize("req", _requirements(), ids=str)
def test_dependency_is_pinned_in_range(req: Requirement) -> None:
    if req.marker is not None and not req.marker.evaluate({"sys_platform": "linux"}):
        return
    pins = _pins()
    name = canonicalize_name(req.name)
    assert name in pins, f"{req.name} is not in requirements.lock: run `make lock`"
    assert req.specifier.contains(pins[name], prereleases=True), (
        f"{req.name}=={pins[name]} is outside {req.specifier}: run `make lock`")


def test_every_pin_has_a_hash() -> None:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    pinned = [b for b in blocks if PIN.match(b)]
    assert pinned and all("--hash=sha256:" in b for b in pinned)
