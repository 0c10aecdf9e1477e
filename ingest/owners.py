"""Who holds a lease or a claim: a name unique per process that says where it runs, so
that a dead holder on this machine is known at once, not only once its lease lapses."""

from __future__ import annotations

import os
import socket
import uuid


def worker_name() -> str:
    """`host:pid:tag`: unique per process, readable in the store."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def gone(owner: str) -> bool:
    """Whether `owner` (a `worker_name`) ran on this machine and its process is no more.
    A holder on another machine is never known gone here: its lease decides."""
    host, _, rest = owner.partition(":")
    pid, _, _ = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return not alive(int(pid))


def alive(pid: int) -> bool:
    """Whether process `pid` exists (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
