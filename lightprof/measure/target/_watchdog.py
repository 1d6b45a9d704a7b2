"""The watchdog: when lightprof dies, even by SIGKILL, stop what its targets left running.

Run as a script (`python -I -S _watchdog.py TOKEN`, standard library only, so it starts in about
10 ms). It detaches at once (forks; the first process exits, so it is nobody's child to reap and
leads its own session, out of reach of the terminal's and the job's signals), says "ready" on its
stdout, and then blocks reading its stdin: a pipe whose only writer is lightprof. Lines on it
name process groups to stop ("g PGID PID": the group and a member that identifies it, read at
once with its start time). End of file means lightprof has ended, whichever way.
It then SIGKILLs:
- every process whose environment holds `LIGHTPROF_WATCH=TOKEN` (each target gets it, and so does
  whatever the target starts unless it clears its environment), and
- every recorded group whose recorded member is still the same process (pid and start time),
and exits. Nothing is found after a normal exit, which stops every target first.
"""

from __future__ import annotations

import os
import signal
import sys
import time

MARKER = "LIGHTPROF_WATCH"
SWEEPS = 5  # a tree may fork between a scan and the kill: scan again until nothing is found


def _start_ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
        return int(data[data.rfind(b")") + 2 :].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _marked(entry: bytes) -> list[int]:
    found = []
    me = os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as handle:
                if entry in handle.read().split(b"\0"):
                    found.append(int(name))
        except OSError:
            continue
    return found


def _stop(entry: bytes, groups: dict[int, tuple[int, int | None]]) -> None:
    for _ in range(SWEEPS):
        victims = _marked(entry)
        for pgid, (member, ticks) in list(groups.items()):
            now = _start_ticks(member)
            if now is None or now != ticks:  # the member is gone (or the pid is someone else's)
                del groups[pgid]
                continue
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                del groups[pgid]
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue
        if not victims and not groups:
            return
        time.sleep(0.05)


def main() -> None:
    entry = f"{MARKER}={sys.argv[1]}".encode()
    if os.fork():
        os._exit(0)  # the parent lightprof reaps; this copy is adopted by init
    os.setsid()
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    os.write(1, b"ready\n")
    os.close(1)
    groups: dict[int, tuple[int, int | None]] = {}
    pending = b""
    while True:
        try:
            chunk = os.read(0, 4096)
        except InterruptedError:
            continue
        except OSError:
            chunk = b""
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            words = line.split()
            if len(words) == 3 and words[0] == b"g" and words[1].isdigit() and words[2].isdigit():
                member = int(words[2])
                groups[int(words[1])] = (member, _start_ticks(member))
    _stop(entry, groups)


if __name__ == "__main__":
    main()
