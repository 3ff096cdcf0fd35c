"""A connection's deadlines (login, idle, UserSig expiry) as the event loop's timer handles.

Every connection waits on two of them for all its life. As sleeping tasks they cost a
``Task``, its coroutine frame and a future: 1.4 KB each (tracemalloc, 10,000 of them);
a ``Deadline`` (a handle in the loop's timer heap and a bound method) costs 0.4 KB
and runs nothing until it fires. Only what a deadline does when due runs as a task.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class Deadline:
    """Runs ``action()`` after ``delay`` seconds, unless cancelled before then (once
    started, it runs to its end: what it does is a close or a kick, which may not stop
    half-way)."""

    __slots__ = ("_action", "_handle", "_task")

    def __init__(self, delay: float, action: Callable[[], Awaitable[None]]) -> None:
        self._action = action
        self._task: asyncio.Task | None = None  # held here: the loop holds tasks weakly
        self._handle: asyncio.TimerHandle | None = None
        self._arm(max(delay, 0))

    def _arm(self, delay: float) -> None:
        self._handle = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        self._handle = None
        self._task = asyncio.get_running_loop().create_task(self._action())

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


class IdleWatch(Deadline):
    """Runs ``action()`` once ``last_frame()`` (a ``time.monotonic()`` stamp, moved on by
    every frame the client sends) is ``timeout`` seconds old. A frame only moves the
    stamp; the timer, when it fires early, sets itself again for the rest."""

    __slots__ = ("_last_frame", "_timeout")

    def __init__(
        self,
        timeout: float,
        last_frame: Callable[[], float],
        action: Callable[[], Awaitable[None]],
    ) -> None:
        self._timeout = timeout
        self._last_frame = last_frame
        super().__init__(timeout, action)

    def _fire(self) -> None:
        silent = time.monotonic() - self._last_frame()
        if silent < self._timeout:
            self._arm(self._timeout - silent)
        else:
            super()._fire()
