"""A command that starts with a pyenv shim times the shim too: say so, and name the interpreter."""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Mapping
from pathlib import Path


def _version(root: Path, cwd: Path, env: Mapping[str, str]) -> str | None:
    """The Python version pyenv would pick: PYENV_VERSION, a .python-version up the tree, the global."""
    if env.get("PYENV_VERSION"):
        return env["PYENV_VERSION"].split(":")[0]
    for folder in (cwd, *cwd.parents):
        local = folder / ".python-version"
        if local.is_file():
            return _first_word(local)
    default = root / "version"
    return _first_word(default) if default.is_file() else None


def _first_word(path: Path) -> str | None:
    words = path.read_text(encoding="utf-8").split()
    return words[0] if words else None


def shim_note(command: tuple[str, ...] | list[str] | str, cwd: Path,
              env: Mapping[str, str] | None = None) -> str | None:
    """One sentence when the command's program is a pyenv shim, naming the real interpreter."""
    env = os.environ if env is None else env
    words = shlex.split(command) if isinstance(command, str) else list(command)
    if not words:
        return None
    found = shutil.which(words[0], path=env.get("PATH"))
    if found is None or Path(found).parent.name != "shims":
        return None
    root = Path(env.get("PYENV_ROOT") or Path(found).parent.parent)
    version = _version(root, cwd, env)
    real = root / "versions" / version / "bin" / Path(words[0]).name if version else None
    sentence = (f"{words[0]} is a pyenv shim ({found}): a shell script that runs before every start, "
                "and is timed with it")
    if real is not None and real.is_file():
        return f"{sentence}. To time Python alone, use {real} in the command."
    return f"{sentence}. To time Python alone, use the interpreter's own path (pyenv which {words[0]})."
