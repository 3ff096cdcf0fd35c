"""The load client: one asyncio WebSocket per simulated user, speaking docs/protocol.md.

Built to hold thousands of connections in one process: no client-side pings
(daphne pings and websockets answers), no compression, answers matched to
requests by id, pushes handed to a callback with their arrival time
(``time.perf_counter``) instead of being queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

# The load client never talks to anything but this machine.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# A push handler gets the raw frame text and when it arrived.
PushHandler = Callable[[str, float], None]

_PUSH_PREFIX = '{"event":'
_SDK_READY_PREFIX = '{"event":"SDK_READY"'
# Message pushes carry `"random":N` per message; strings inside the JSON are escaped,
# so this unescaped key can only be a Message field. Lets a receiver of 100,000 pushes
# skip a full json.loads for each, keeping the client's CPU off the server's cores.
_RANDOM_RE = re.compile(r'"random":(\d+)')


def randoms_in(raw: str) -> list[int]:
    """The ``random`` of every message in a MESSAGE_RECEIVED push, in order."""
    return [int(m) for m in _RANDOM_RE.findall(raw)]


def check_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in LOOPBACK_HOSTS:
        raise ValueError(f"the load client only connects to this machine, not {host!r}")


class ProtocolError(Exception):
    """An answer with a non-zero code, or a connection that went away."""


class Conn:
    """One connection: requests are matched to answers by id; pushes go to ``on_push``."""

    def __init__(self, url: str, on_push: PushHandler | None = None) -> None:
        check_loopback(url)
        self.url = url
        self.on_push = on_push
        self.ws: ClientConnection | None = None
        self.ready = asyncio.Event()
        self.close_code: int | None = None
        self.user_id = ""
        self.tiny_id = ""
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None

    @property
    def is_open(self) -> bool:
        return self._reader is not None and not self._reader.done()

    async def open(self, timeout: float = 10) -> Conn:
        self.ws = await asyncio.wait_for(
            connect(
                self.url,
                compression=None,
                ping_interval=None,
                proxy=None,
                open_timeout=timeout,
                close_timeout=2,
                max_size=2**22,
            ),
            timeout,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                now = time.perf_counter()
                if isinstance(raw, bytes):
                    continue
                if raw.startswith(_PUSH_PREFIX):
                    if raw.startswith(_SDK_READY_PREFIX):
                        self.ready.set()
                    elif self.on_push is not None:
                        self.on_push(raw, now)
                    continue
                frame = json.loads(raw)
                if "event" in frame:  # a push whose keys came in another order
                    if frame["event"] == "SDK_READY":
                        self.ready.set()
                    elif self.on_push is not None:
                        self.on_push(raw, now)
                elif (future := self._waiting.pop(frame.get("id"), None)) and not future.done():
                    future.set_result(frame)
        except (ConnectionClosed, WebSocketException, OSError):
            pass
        finally:
            self.close_code = self.ws.close_code
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(ProtocolError(f"connection closed ({self.close_code})"))
            self._waiting.clear()

    async def submit(self, op: str, data: dict[str, Any] | None = None) -> asyncio.Future:
        """Send a request; the returned future gets its answer frame (or ProtocolError)."""
        assert self.ws is not None
        request_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        text = json.dumps({"id": request_id, "op": op, "data": data or {}}, ensure_ascii=False)
        try:
            await self.ws.send(text)
        except (ConnectionClosed, OSError) as error:
            self._waiting.pop(request_id, None)
            raise ProtocolError(f"connection closed ({self.ws.close_code})") from error
        return future

    async def notify(self, op: str, data: dict[str, Any] | None = None) -> None:
        """Send a request whose answer nobody waits for (a heartbeat); it is dropped."""
        if self.ws is None:
            return
        text = json.dumps({"id": next(self._ids), "op": op, "data": data or {}})
        with contextlib.suppress(ConnectionClosed, OSError):
            await self.ws.send(text)

    async def request(
        self, op: str, data: dict[str, Any] | None = None, timeout: float = 10
    ) -> dict[str, Any]:
        future = await self.submit(op, data)
        return await asyncio.wait_for(future, timeout)

    async def ok(
        self, op: str, data: dict[str, Any] | None = None, timeout: float = 10
    ) -> dict[str, Any]:
        """The answer's ``data``; a non-zero code raises ProtocolError."""
        answer = await self.request(op, data, timeout)
        if answer.get("code") != 0:
            raise ProtocolError(f"{op} failed: {answer.get('code')} {answer.get('message')}")
        return answer["data"]

    async def login(self, sdkappid: int, user_id: str, user_sig: str, timeout: float = 10) -> dict:
        data = await self.ok(
            "login", {"SDKAppID": sdkappid, "userID": user_id, "userSig": user_sig}, timeout
        )
        await asyncio.wait_for(self.ready.wait(), timeout)
        self.user_id, self.tiny_id = user_id, str(data.get("tinyID", ""))
        return data

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)


async def close_all(conns: Iterable[Conn], concurrency: int = 200) -> None:
    """Close connections a batch at a time, so the server's disconnect work stays bounded."""
    conns = list(conns)
    for start in range(0, len(conns), concurrency):
        await asyncio.gather(*(c.close() for c in conns[start : start + concurrency]))


def text_message(
    to: str, text: str, random: int, *, group: bool = False, client_time: int | None = None
) -> dict[str, Any]:
    """A sendMessage ``data`` for a text element."""
    return {
        "to": to,
        "conversationType": "GROUP" if group else "C2C",
        "type": "TIMTextElem",
        "payload": {"text": text},
        "random": random,
        "clientTime": int(time.time()) if client_time is None else client_time,
    }


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, -(-len(sorted_values) * pct // 100))  # ceil without floats drifting
    return sorted_values[min(int(rank), len(sorted_values)) - 1]
