"""The one protocol client, speaking docs/protocol.md, for the bench and the tests.

``Client`` owns the protocol: building request frames, request ids, matching answers to
requests, telling pushes from answers, error answers, and login (its answer, then
SDK_READY). Its subclasses bring the transport:

- ``Conn`` here, over a real socket (the ``websockets`` package): the bench's load client
  and the tests against daphne processes. Built to hold thousands of connections in one
  process: no client-side pings (daphne pings and websockets answers), no compression,
  a reader task per connection.
- ``tests/wsclient.py``'s ``IMClient``, over Channels' in-process communicator, read only
  while a caller waits (so a test can also read the communicator itself).

Push handling is a ``PushHandler`` given to the client: the bench passes a callback that
gets the raw frame text and its arrival time (``time.perf_counter``); the tests pass a
``Pushes``, which keeps pushes to be awaited by event name.
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


class ConnectionLost(ProtocolError, ConnectionError):
    """The connection closed before the answer came (or before the request could go)."""


class ErrorAnswer(ProtocolError):
    """An answer with a non-zero code, where the caller asked for success (``ok``)."""

    def __init__(self, op: str, answer: dict[str, Any]) -> None:
        super().__init__(f"{op} failed: {answer}")
        self.answer = answer


class Pushes:
    """A push handler that keeps pushes, parsed, until they are taken by event name.

    Arrival order is kept; taking one leaves the others (so a test can still see them,
    or assert there are none).
    """

    def __init__(self) -> None:
        self._kept: list[dict[str, Any]] = []
        self._waiters: list[tuple[str, asyncio.Future[dict[str, Any]]]] = []

    def __call__(self, raw: str, now: float) -> None:
        frame = json.loads(raw)
        # A waiter whose caller gave up (timed out) is done: it gets nothing.
        self._waiters = [(event, f) for event, f in self._waiters if not f.done()]
        for i, (event, future) in enumerate(self._waiters):
            if event == frame["event"]:
                del self._waiters[i]
                future.set_result(frame)
                return
        self._kept.append(frame)

    def expect(self, event: str) -> asyncio.Future[dict[str, Any]]:
        """A future for the first push named ``event``: a kept one, else the next to come."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        for i, frame in enumerate(self._kept):
            if frame["event"] == event:
                future.set_result(self._kept.pop(i))
                return future
        self._waiters.append((event, future))
        return future

    def empty(self) -> bool:
        return not self._kept

    def clear(self) -> None:
        self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)

    def __repr__(self) -> str:
        return f"Pushes({self._kept!r})"


class Client:
    """One connection: the protocol, with the transport left to subclasses.

    A subclass implements ``connect``, ``close``, ``_send`` and ``_until``, and hands
    every frame it reads to ``receive`` (the one place answers meet their requests).
    """

    def __init__(self, on_push: PushHandler | None = None) -> None:
        self.on_push = on_push
        self.close_code: int | None = None
        self.user_id = ""
        self.tiny_id = ""
        self._ids = itertools.count(1)
        self._waiting: dict[Any, asyncio.Future[dict[str, Any]]] = {}
        # Set while a login() waits for its SDK_READY; that push is then the login's own.
        self._ready: asyncio.Future[None] | None = None

    # --- transport: what a subclass provides ---------------------------------------------

    async def connect(self) -> Client:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def _send(self, text: str) -> None:
        """Write one text frame; raise ConnectionLost if the connection is gone."""
        raise NotImplementedError

    async def _until(self, future: asyncio.Future, timeout: float) -> Any:
        """Let frames arrive until ``future`` is done (TimeoutError after ``timeout``)."""
        raise NotImplementedError

    # --- receiving ----------------------------------------------------------------------

    def receive(self, raw: str | bytes, now: float) -> None:
        """Route one frame read at ``now``: a push to the handler, an answer to its request."""
        if isinstance(raw, bytes):
            return  # the server sends text only
        # The hot path of the bench: a push is recognised by its prefix, never parsed here.
        if raw.startswith(_PUSH_PREFIX):
            if self._ready is not None and raw.startswith(_SDK_READY_PREFIX):
                self._got_ready()
            elif self.on_push is not None:
                self.on_push(raw, now)
            return
        frame = json.loads(raw)
        if "event" in frame:  # a push whose keys came in another order
            if self._ready is not None and frame["event"] == "SDK_READY":
                self._got_ready()
            elif self.on_push is not None:
                self.on_push(raw, now)
        elif (future := self._waiting.pop(frame.get("id"), None)) and not future.done():
            future.set_result(frame)

    def _got_ready(self) -> None:
        assert self._ready is not None
        if not self._ready.done():
            self._ready.set_result(None)
        self._ready = None

    def _lost(self, close_code: int | None) -> None:
        """The connection is gone: whoever waits for an answer hears so now."""
        self.close_code = close_code
        waiting = [*self._waiting.values(), *([self._ready] if self._ready else [])]
        self._waiting.clear()
        for future in waiting:
            if not future.done():
                future.set_exception(ConnectionLost(f"connection closed ({close_code})"))

    # --- requests -----------------------------------------------------------------------

    def expect(self, request_id: Any) -> asyncio.Future[dict[str, Any]]:
        """A future for the answer to ``request_id`` (also for a request sent as raw text)."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        return future

    async def submit(
        self, op: str, data: dict[str, Any] | None = None
    ) -> asyncio.Future[dict[str, Any]]:
        """Send a request; the returned future gets its answer frame (or ConnectionLost).

        Only a transport with a reader of its own (``Conn``) fills the future by itself;
        otherwise await it through ``request``.
        """
        request_id = next(self._ids)
        future = self.expect(request_id)
        try:
            await self._send(_request_frame(request_id, op, data))
        except ConnectionLost:
            self._waiting.pop(request_id, None)
            raise
        return future

    async def notify(self, op: str, data: dict[str, Any] | None = None) -> None:
        """Send a request whose answer nobody waits for (a heartbeat); it is dropped."""
        with contextlib.suppress(ConnectionLost):
            await self._send(_request_frame(next(self._ids), op, data))

    async def answer(self, request_id: Any, timeout: float = 10) -> dict[str, Any]:
        """The answer to ``request_id``, for a request written as raw text before this."""
        return await self._until(self.expect(request_id), timeout)

    async def request(
        self, op: str, data: dict[str, Any] | None = None, timeout: float = 10
    ) -> dict[str, Any]:
        """The answer frame, whatever its code."""
        return await self._until(await self.submit(op, data), timeout)

    async def ok(
        self, op: str, data: dict[str, Any] | None = None, timeout: float = 10
    ) -> dict[str, Any]:
        """The answer's ``data``; a non-zero code raises ErrorAnswer."""
        answer = await self.request(op, data, timeout)
        if answer.get("code") != 0:
            raise ErrorAnswer(op, answer)
        return answer["data"]

    async def login(
        self, user_id: str, user_sig: str, sdkappid: int, timeout: float = 10
    ) -> dict[str, Any]:
        """Log in and wait for SDK_READY, which is then not handed to the push handler."""
        self._ready = ready = asyncio.get_running_loop().create_future()
        try:
            data = await self.ok(
                "login", {"SDKAppID": sdkappid, "userID": user_id, "userSig": user_sig}, timeout
            )
            await self._until(ready, timeout)
        finally:
            self._ready = None
        self.user_id, self.tiny_id = user_id, str(data.get("tinyID", ""))
        return data

    # --- pushes kept for awaiting (a client made with a Pushes handler) -------------------

    @property
    def pushes(self) -> Pushes:
        assert isinstance(self.on_push, Pushes), "this client hands its pushes to a callback"
        return self.on_push

    async def push(self, event: str, timeout: float = 5) -> dict[str, Any]:
        """The first push named ``event``: one kept already, else the next to arrive."""
        future = self.pushes.expect(event)
        try:
            return await self._until(future, timeout)
        finally:
            future.cancel()  # a no-op once it has its push; else its push stays kept


def _request_frame(request_id: int, op: str, data: dict[str, Any] | None) -> str:
    frame: dict[str, Any] = {"id": request_id, "op": op}
    if data is not None:  # the protocol lets ops without arguments omit it
        frame["data"] = data
    return json.dumps(frame, ensure_ascii=False)


class Conn(Client):
    """A client over a real socket on this machine, read by a task of its own."""

    def __init__(self, url: str, on_push: PushHandler | None = None) -> None:
        check_loopback(url)
        super().__init__(on_push)
        self.url = url
        self.ws: ClientConnection | None = None
        self.closed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    @property
    def is_open(self) -> bool:
        return self._reader is not None and not self._reader.done()

    async def connect(self, timeout: float = 10) -> Conn:
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
        receive, clock = self.receive, time.perf_counter
        try:
            async for raw in self.ws:
                receive(raw, clock())
        except (ConnectionClosed, WebSocketException, OSError):
            pass
        finally:
            self._lost(self.ws.close_code)
            self.closed.set()

    async def _send(self, text: str) -> None:
        if self.ws is None:
            raise ConnectionLost("not connected")
        try:
            await self.ws.send(text)
        except (ConnectionClosed, OSError) as error:
            raise ConnectionLost(f"connection closed ({self.ws.close_code})") from error

    async def _until(self, future: asyncio.Future, timeout: float) -> Any:
        return await asyncio.wait_for(future, timeout)

    async def wait_closed(self, timeout: float = 5) -> int | None:
        await asyncio.wait_for(self.closed.wait(), timeout)
        return self.close_code

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake (a network cut)."""
        if self.ws is not None:
            self.ws.transport.abort()

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
