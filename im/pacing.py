"""Request bodies' share of the event loop: a budget of bytes per turn of the loop.

One daphne process serves the chat and, with the file system default, the uploads'
bytes. Without a bound, ten large uploads arriving at once fill every turn of the loop
with socket reads (Twisted reads 64 KiB from each ready connection per turn) and then
with writes to the store, and a chat message, whose path from one socket to another
takes several turns, waits behind all of them at each. With one, a turn carries at most
about ``BUDGET`` bytes of bodies, whatever the number of uploads, so the time a chat
message waits per turn is bounded (about 0.5 ms here), and when nothing else is waiting
the uploads still go as fast as the loop turns.

Both sides of an upload spend from the same budget: the server's reads of a body
(``chatsite.serve``, which pauses a connection's reading while the turn's budget is
spent) and the upload endpoint's writes (``im.uploadapp``, which waits for a turn).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol

# Bytes of request bodies per turn of the event loop, reads and writes together: at
# ~2 ms of CPU per MiB for daphne to read and spool a body (bench/README.md "uploads"),
# about half a millisecond of each turn.
BUDGET = 256 * 1024
# What one read of a connection may bring (Twisted's read size): how many paused
# connections a new turn lets read again.
READ_SIZE = 64 * 1024


class Producer(Protocol):
    """A connection whose reading can be paused (Twisted's ``IPushProducer``)."""

    def pauseProducing(self) -> None: ...

    def resumeProducing(self) -> None: ...


class BodyPacer:
    """The budget of one event loop (one per process: the server runs one loop)."""

    def __init__(self, budget: int = BUDGET) -> None:
        self.budget = budget
        self.spent = 0
        self._paused: deque[Producer] = deque()
        self._writers: deque[tuple[asyncio.Future[None], int]] = deque()
        self._turn_scheduled = False

    def read(self, size: int, producer: Producer) -> None:
        """``producer``'s connection has just had ``size`` bytes of a body read: if that
        spends the turn's budget, it reads no more until a later turn lets it."""
        self._spend(size)
        if self.spent >= self.budget:
            producer.pauseProducing()
            self._paused.append(producer)

    async def write(self, size: int) -> None:
        """Before ``size`` bytes of a body are written: wait for a turn with budget
        left (at once if this one has some)."""
        if self.spent < self.budget:
            self._spend(size)
            return
        waiter = asyncio.get_running_loop().create_future()
        self._writers.append((waiter, size))
        self._schedule()
        await waiter  # the turn that wakes it has counted its size

    def _spend(self, size: int) -> None:
        self.spent += size
        self._schedule()

    def _schedule(self) -> None:
        # A callback made now runs in the loop's next turn (asyncio runs only the
        # callbacks that were ready when a turn began).
        if not self._turn_scheduled:
            self._turn_scheduled = True
            asyncio.get_running_loop().call_soon(self._next_turn)

    def _next_turn(self) -> None:
        self._turn_scheduled = False
        self.spent = 0
        # Writers first (their bytes are in memory already, and a finished upload frees
        # its connection), then readers, each in the order it was paused, for as much
        # as the new turn's budget covers; the rest wait for the next.
        allowance = self.budget
        while self._writers and allowance > 0:
            waiter, size = self._writers.popleft()
            if not waiter.done():  # not cancelled (a client gone)
                waiter.set_result(None)
                allowance -= size
                self.spent += size
        while self._paused and allowance > 0:
            producer = self._paused.popleft()
            if not getattr(producer, "disconnected", False):
                producer.resumeProducing()
                allowance -= READ_SIZE
        if self._paused or self._writers:
            self._schedule()


# The process's one pacer (daphne runs one event loop; tests' in-process loops each
# start from an empty turn).
PACER = BodyPacer()
