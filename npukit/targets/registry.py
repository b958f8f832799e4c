"""Find target profiles: built-ins by name, a user's own file by path.

Built-in profiles are the ``profiles/*.toml`` files shipped in this package.
A user adds a chip by writing one file and passing its path wherever a target
name is accepted (``load_target("boards/mychip.toml")``).
"""

from __future__ import annotations

import difflib
from functools import cache
from pathlib import Path

from npukit.targets.loader import load_profile_file
from npukit.targets.schema import TargetError, TargetProfile

PROFILE_DIR = Path(__file__).parent / "profiles"


def list_targets() -> list[str]:
    """Names of the built-in targets, sorted."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


def load_target(name_or_path: str | Path | TargetProfile) -> TargetProfile:
    """A validated profile from a built-in name (``"rk3588"``, any case) or a ``.toml`` path.

    A :class:`TargetProfile` passes through unchanged, so APIs can accept either.
    """
    if isinstance(name_or_path, TargetProfile):
        return name_or_path
    text = str(name_or_path)
    if text.endswith(".toml") or "/" in text or "\\" in text:
        return load_profile_file(text)
    if text.lower() in list_targets():
        return _load_builtin(text.lower())
    near = difflib.get_close_matches(text.lower(), list_targets(), n=1, cutoff=0.5)
    raise TargetError(f"unknown target {text!r}; built-in targets are: "
                      f"{', '.join(list_targets())}",
                      hint=(f"did you mean {near[0]!r}? " if near else "")
                      + "or pass the path of your own profile .toml (see docs/targets.md)")


def load_all() -> list[TargetProfile]:
    """Every built-in profile, in name order."""
    return [_load_builtin(n) for n in list_targets()]


@cache
def _load_builtin(name: str) -> TargetProfile:
    return load_profile_file(PROFILE_DIR / f"{name}.toml")
