"""Process-local fan-out: one channel-layer subscription per process, not per connection.

A server process holds one ``Fanout`` (per event loop). It owns one layer channel and
joins the layer groups (``acct.<pk>``, ``grp.<pk>``) that at least one of its local
connections listens to. A group message therefore costs the layer one send per server
process, is received and decoded once per process, and is written from here to each
local member's socket, in arrival order, without a per-connection layer queue.

Subscribing is reference-counted per layer group; the layer's ``group_add`` and
``group_discard`` for one group run one after another, so a quick leave-and-rejoin
cannot end unsubscribed. The fan-out starts with the first subscriber and stops with the
last, so nothing keeps running on an event loop that has no connections left.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Iterable
from typing import Any, Protocol

from channels.layers import BaseChannelLayer, get_channel_layer

logger = logging.getLogger(__name__)


class Listener(Protocol):
    async def take(self, message: dict[str, Any]) -> None: ...


class _Subscription:
    __slots__ = ("listeners", "op")

    def __init__(self) -> None:
        self.listeners: set[Listener] = set()
        self.op: asyncio.Task | None = None  # the latest group_add/group_discard


class Fanout:
    def __init__(self, layer: BaseChannelLayer) -> None:
        self.layer = layer
        self.channel: str | None = None
        self._subscriptions: dict[str, _Subscription] = {}
        self._listeners = 0
        self._start: asyncio.Task | None = None
        self._tasks: list[asyncio.Task] = []

    async def subscribe(self, listener: Listener, groups: Iterable[str]) -> None:
        """Have ``listener.take`` called with every message sent to ``groups`` from now on.

        Returns once this process's layer subscription to each group is in place. Every
        ``subscribe`` is ended by one ``unsubscribe`` of the same listener.
        """
        self._listeners += 1
        if self._start is None:
            self._start = asyncio.create_task(self._open())
        await asyncio.shield(self._start)
        await self.add_groups(listener, groups)

    async def add_groups(self, listener: Listener, groups: Iterable[str]) -> None:
        """Subscribe an already subscribed listener to more groups."""
        channel = self.channel
        assert channel is not None, "add_groups before subscribe"
        pending = []
        for group in groups:
            sub = self._subscriptions.setdefault(group, _Subscription())
            if not sub.listeners:
                sub.op = self._chain(sub.op, self.layer.group_add(group, channel))
            sub.listeners.add(listener)
            if sub.op is not None:
                pending.append(sub.op)
        if pending:
            await asyncio.shield(asyncio.gather(*pending))

    async def unsubscribe(self, listener: Listener, groups: Iterable[str]) -> None:
        """Stop delivering ``groups`` to ``listener``; the last listener stops the fan-out."""
        self.remove_groups(listener, groups)
        self._listeners -= 1
        if self._listeners == 0:
            self._close()

    def remove_groups(self, listener: Listener, groups: Iterable[str]) -> None:
        """Stop delivering ``groups`` to a listener that stays subscribed to others."""
        channel = self.channel
        for group in groups:
            sub = self._subscriptions.get(group)
            if sub is None or listener not in sub.listeners:
                continue
            sub.listeners.discard(listener)
            if not sub.listeners and channel is not None:
                sub.op = self._chain(sub.op, self.layer.group_discard(group, channel))
                sub.op.add_done_callback(lambda _t, g=group, s=sub: self._forget(g, s))

    def _forget(self, group: str, sub: _Subscription) -> None:
        if not sub.listeners and self._subscriptions.get(group) is sub:
            del self._subscriptions[group]

    @staticmethod
    def _chain(previous: asyncio.Task | None, operation: Awaitable[None]) -> asyncio.Task:
        async def run() -> None:
            if previous is not None:
                try:
                    await previous
                except Exception:  # logged where it failed; the next op still runs
                    pass
            try:
                await operation
            except Exception:
                logger.exception("channel layer subscription change failed")
                raise

        return asyncio.create_task(run())

    async def _open(self) -> None:
        # The layer's default prefix: channels_redis's list layer receives for all of a
        # process's channels through one key named by it (another prefix waits its turn).
        self.channel = await self.layer.new_channel()
        self._tasks = [
            asyncio.create_task(self._receive(self.channel)),
            asyncio.create_task(self._renew(self.channel)),
        ]

    def _close(self) -> None:
        if self._start is not None and not self._start.done():
            self._start.cancel()
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        self._start = None
        self.channel = None

    async def _receive(self, channel: str) -> None:
        while True:
            message = await self.layer.receive(channel)
            sub = self._subscriptions.get(message.get("group", ""))
            if sub is None:
                continue
            for listener in list(sub.listeners):
                try:
                    await listener.take(message)
                except Exception:
                    # One connection failing (closed under us) must not starve the others.
                    logger.debug("push to one connection failed", exc_info=True)

    async def _renew(self, channel: str) -> None:
        """Layer group memberships expire (``group_expiry``); join again well before."""
        period = getattr(self.layer, "group_expiry", 86400) / 2
        while True:
            await asyncio.sleep(period)
            for group, sub in list(self._subscriptions.items()):
                if sub.listeners:
                    sub.op = self._chain(sub.op, self.layer.group_add(group, channel))


_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Fanout] = weakref.WeakKeyDictionary()


def get_fanout() -> Fanout:
    """This process's fan-out for the running event loop."""
    loop = asyncio.get_running_loop()
    fanout = _by_loop.get(loop)
    if fanout is None:
        fanout = _by_loop[loop] = Fanout(get_channel_layer())
    return fanout
