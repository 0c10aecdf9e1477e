"""Calls run in isolated processes under a time limit: a call that hangs or crashes its
process costs that call alone, never the caller.

Plumbing only: what the processes do, and what a failure means, is the caller's business.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from ingest.owners import alive

R = TypeVar("R")


def _ready() -> bool:
    return True


def _child(parent: int, initializer: Callable[..., None], initargs: Sequence[Any]) -> None:
    """Set up a pool process: it exits when `parent` (the process that made the pool)
    does, however that dies; kill -9 included, which no signal handler sees. Ctrl-C
    reaches the whole process group: the parent alone decides what it means (the work
    in flight finishes or is dropped), so a pool process ignores SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with(parent)
    initializer(*initargs)


def _exit_with(parent: int) -> None:
    try:
        handle: int | None = os.pidfd_open(parent)  # Linux: readable once it has exited
    except (AttributeError, OSError):
        handle = None  # another system, or it has exited already: look every second

    def watch() -> None:
        if handle is not None:
            select.select([handle], [], [])
        else:
            while alive(parent):
                time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class IsolatedPool:
    """`processes` processes forked from a server that has already imported `preload`,
    each set up by `initializer(*initargs)`, all started before any call is made, so that a
    time limit measures the call alone. The processes exit when the one that made the pool
    does, even when it is killed with SIGKILL.

    `run()` raises `TimeoutError` when a call takes longer than `timeout` seconds (None:
    no limit) and `BrokenProcessPool` when a process died under it; either way the pool is
    rebuilt first (a hung process is killed, it would never return)."""

    def __init__(
        self,
        processes: int,
        initializer: Callable[..., None],
        initargs: Sequence[Any] = (),
        preload: Sequence[str] = (),
        timeout: float | None = None,
    ) -> None:
        self.processes = processes
        self.initializer = initializer
        self.initargs = tuple(initargs)
        self.preload = list(preload)
        self.timeout = timeout
        self.executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(self.preload)
        executor = ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=context,
            initializer=_child,
            initargs=(os.getpid(), self.initializer, self.initargs),
        )
        for started in [executor.submit(_ready) for _ in range(self.processes)]:
            started.result()
        return executor

    async def run(self, call: Callable[..., R], *args: Any) -> R:
        executor = self.executor
        future = asyncio.get_running_loop().run_in_executor(executor, call, *args)
        try:
            return await asyncio.wait_for(future, self.timeout)
        except (TimeoutError, BrokenProcessPool):
            self._rebuild(executor)
            raise

    def _rebuild(self, broken: ProcessPoolExecutor) -> None:
        """Kill the pool's processes and start afresh (once, however many calls failed)."""
        if broken is not self.executor:
            return  # already rebuilt by another call's failure
        _kill(broken)
        self.executor = self._start()

    def close(self, finish: bool = True) -> None:
        """Stop the processes: once the calls running finish, or at once (for work that
        writes nothing, which a hung call would otherwise hold up)."""
        if finish:
            self.executor.shutdown(wait=True, cancel_futures=True)
        else:
            _kill(self.executor)


def _kill(executor: ProcessPoolExecutor) -> None:
    processes = list(getattr(executor, "_processes", {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.kill()
