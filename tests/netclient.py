"""A protocol client over a real socket (the `websockets` package), for tests against daphne."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


class NetClient:
    """One connection: requests are matched to answers by id; pushes queue up."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ws: ClientConnection | None = None
        self.pushes: asyncio.Queue[dict] = asyncio.Queue()
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None

    async def connect(self, timeout: float = 5) -> NetClient:
        self.ws = await asyncio.wait_for(connect(self.url, max_size=None), timeout)
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                if "event" in frame:
                    self.pushes.put_nowait(frame)
                elif (future := self._waiting.pop(frame.get("id"), None)) and not future.done():
                    future.set_result(frame)
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.closed.set()
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(ConnectionError("connection closed"))
            self._waiting.clear()

    async def request(self, op: str, data: dict | None = None, timeout: float = 10) -> dict:
        assert self.ws is not None
        request_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        try:
            await self.ws.send(json.dumps({"id": request_id, "op": op, "data": data or {}}))
        except ConnectionClosed as error:
            self._waiting.pop(request_id, None)
            raise ConnectionError("connection closed") from error
        return await asyncio.wait_for(future, timeout)

    async def ok(self, op: str, data: dict | None = None, timeout: float = 10) -> dict:
        reply = await self.request(op, data, timeout)
        assert reply["code"] == 0, reply
        return reply["data"]

    async def push(self, event: str, timeout: float = 5) -> dict:
        """The next push named ``event``; others before it are dropped."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.pushes.get()
                if frame["event"] == event:
                    return frame

    async def login(self, user_id: str, user_sig: str, sdkappid: int) -> dict:
        data = await self.ok(
            "login", {"SDKAppID": sdkappid, "userID": user_id, "userSig": user_sig}
        )
        await self.push("SDK_READY")
        return data

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
                await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader


async def net_online(url: str, user_id: str) -> NetClient:
    from tests.conftest import SDKAPPID, make_sig

    client = await NetClient(url).connect()
    await client.login(user_id, make_sig(user_id), SDKAPPID)
    return client


def drain(client: NetClient) -> list[dict[str, Any]]:
    frames = []
    while not client.pushes.empty():
        frames.append(client.pushes.get_nowait())
    return frames
