"""The machine a measurement was taken on, so baselines from elsewhere are not silently compared."""

from __future__ import annotations

import os
import sys

from lightprof.model.result import Machine


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return os.uname().machine or "unknown"


def current_machine() -> Machine:
    # os.uname and sys.version give what platform.system/release/python_version would, without
    # importing platform on the --headless path.
    uname = os.uname()
    return Machine(
        cpu=_cpu_model(),
        cores=os.cpu_count() or 1,
        os=f"{uname.sysname} {uname.release}",
        python=sys.version.split()[0],
    )

