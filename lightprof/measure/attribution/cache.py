"""cache = "cold": every run starts with empty bytecode and compile caches, in a folder removed after it.

Python reads and writes its .pyc files under PYTHONPYCACHEPREFIX when it is set (the stdlib's too),
so an empty prefix folder means every module is compiled again, as on a first start after install;
Node (22 and later) keeps its compile cache in NODE_COMPILE_CACHE. The folder is made before the
timed window opens and removed after the run, whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, MutableMapping

CACHE_VARIABLES = {"PYTHONPYCACHEPREFIX": "python", "NODE_COMPILE_CACHE": "node"}
PREFIX = "lightprof-cache-"


@contextlib.contextmanager
def cold_caches(env: MutableMapping[str, str]) -> Iterator[str]:
    """Point `env`'s cache variables at new empty folders for the length of the block; yield the folder."""
    folder = tempfile.mkdtemp(prefix=PREFIX)
    saved = {name: env.get(name) for name in CACHE_VARIABLES}
    try:
        for name, sub in CACHE_VARIABLES.items():
            path = os.path.join(folder, sub)
            os.mkdir(path)
            env[name] = path
        yield folder
    finally:
        for name, value in saved.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        shutil.rmtree(folder, ignore_errors=True)
