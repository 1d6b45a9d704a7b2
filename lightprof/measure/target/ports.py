"""Who holds a TCP port: the check before a server target is spawned and after it answers.

A server left over from an earlier run (or anything else) that holds the target's ready port
answers the probe while the target dies with EADDRINUSE: lightprof would time that process.
So before a spawn the port must be free, and after the probe succeeds the listening socket must
belong to the target's tree. /proc/net/tcp{,6} maps a listening port to a socket inode, and
/proc/PID/fd links name the processes that hold that inode (Linux; elsewhere only the
connect test before the spawn is made).
"""

from __future__ import annotations

import contextlib
import os
import socket

from lightprof.measure.target import proctree

_LISTEN = "0A"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress  # only for a host that is not the usual name

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def answers(host: str, port: int, timeout: float = 0.25) -> bool:
    """Whether something accepts a TCP connection on host:port right now."""
    try:
        with socket.create_connection((host.strip("[]"), port), timeout=timeout):
            return True
    except (OSError, ValueError, OverflowError):
        return False


def listening_inodes(port: int) -> set[int] | None:
    """Inodes of the sockets listening on `port` (any address), or None where /proc cannot tell."""
    found: set[int] = set()
    readable = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, "rb") as handle:
                lines = handle.read().splitlines()[1:]
        except OSError:
            continue
        readable = True
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3].decode() != _LISTEN:
                continue
            local = fields[1].decode()
            if int(local.rsplit(":", 1)[1], 16) == port:
                with contextlib.suppress(ValueError):
                    found.add(int(fields[9]))
    return found if readable else None


def _holds(pid: int, links: set[str]) -> bool:
    folder = f"/proc/{pid}/fd"
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    for name in names:
        try:
            if os.readlink(f"{folder}/{name}") in links:
                return True
        except OSError:
            continue
    return False


def holders(inodes: set[int], pids: list[int] | None = None) -> list[int]:
    """The processes (among `pids`, or all) that hold one of the socket `inodes`."""
    links = {f"socket:[{inode}]" for inode in inodes}
    if pids is None:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    return [pid for pid in pids if _holds(pid, links)]


def describe_holder(port: int) -> str:
    """' by pid N (its command)' for the process listening on `port`, or '' when /proc cannot tell."""
    inodes = listening_inodes(port)
    if not inodes:
        return ""
    try:
        found = holders(inodes)
    except OSError:
        return ""
    if not found:
        return ""
    pid = found[0]
    command = proctree.command_line(pid) or "?"
    if len(command) > 120:
        command = command[:117] + "..."
    return f" by pid {pid} ({command})"


def tree_pids(root: int) -> list[int]:
    """`root` and its descendants (Linux /proc), plus lightprof's own children (adopted orphans)."""
    pids: list[int] = []
    stack = [root, *proctree.children(os.getpid(), 1)]
    while stack:
        pid = stack.pop()
        if pid in pids:
            continue
        pids.append(pid)
        stat = proctree.read_stat(pid)
        if stat is not None:
            stack.extend(proctree.children(pid, stat.threads))
    return pids


def owner_problem(port: int, root: int) -> str | None:
    """Why the socket listening on `port` is not the target's (tree rooted at `root`), or None.

    None too where it cannot be told: no /proc, or no listening socket visible in this network
    namespace (a port forwarded into a container).
    """
    inodes = listening_inodes(port)
    if not inodes:
        return None
    if holders(inodes, tree_pids(root)):
        return None
    who = describe_holder(port) or " by a process outside the target's tree"
    return f"port {port} answered, but it is held{who}, not by the target"
