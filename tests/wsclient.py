"""A protocol client over Channels' WebsocketCommunicator, for the consumer tests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from channels.testing import WebsocketCommunicator

from chatsite.asgi import application


class IMClient:
    def __init__(self) -> None:
        self.comm = WebsocketCommunicator(application, "/ws/im/")
        self.pushes: list[dict] = []
        self._next_id = 0

    async def connect(self) -> IMClient:
        connected, _ = await self.comm.connect()
        assert connected
        return self

    async def close(self) -> None:
        await self.comm.disconnect()

    async def send_raw(self, text: str | None = None, data: bytes | None = None) -> None:
        if data is not None:
            await self.comm.send_to(bytes_data=data)
        else:
            await self.comm.send_to(text_data=text)

    async def frame(self, timeout: float = 3) -> dict:
        return json.loads(await self.comm.receive_from(timeout=timeout))

    async def answer(self, request_id: Any, timeout: float = 3) -> dict:
        """The answer to ``request_id``; pushes that arrive first are kept."""
        while True:
            frame = await self.frame(timeout)
            if "event" in frame:
                self.pushes.append(frame)
            elif frame.get("id") == request_id:
                return frame

    async def request(self, op: str, data: dict | None = None) -> dict:
        self._next_id += 1
        frame: dict[str, Any] = {"id": self._next_id, "op": op}
        if data is not None:
            frame["data"] = data
        await self.comm.send_to(text_data=json.dumps(frame))
        return await self.answer(self._next_id)

    async def ok(self, op: str, data: dict | None = None) -> dict:
        reply = await self.request(op, data)
        assert reply["code"] == 0, reply
        return reply["data"]

    async def push(self, event: str, timeout: float = 3) -> dict:
        for i, frame in enumerate(self.pushes):
            if frame["event"] == event:
                return self.pushes.pop(i)
        while True:
            frame = await self.frame(timeout)
            if frame.get("event") == event:
                return frame
            self.pushes.append(frame)

    async def assert_silent(self, timeout: float = 0.3) -> None:
        assert not self.pushes, self.pushes
        assert await self.comm.receive_nothing(timeout=timeout)

    async def login(self, user_id: str, user_sig: str, sdkappid: int) -> dict:
        data = await self.ok(
            "login", {"SDKAppID": sdkappid, "userID": user_id, "userSig": user_sig}
        )
        await self.push("SDK_READY")
        return data


async def wait_for(predicate, timeout: float = 3) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def online(user_id: str) -> IMClient:
    """A connection logged in as ``user_id`` of the test app."""
    from tests.conftest import SDKAPPID, make_sig

    client = await IMClient().connect()
    await client.login(user_id, make_sig(user_id), SDKAPPID)
    return client


def text_message(text: str, *, to: str = "bob", random: int = 42, **extra) -> dict:
    """sendMessage data for a text; ``conversationType`` defaults to C2C."""
    return {
        "to": to,
        "conversationType": "C2C",
        "type": "TIMTextElem",
        "payload": {"text": text},
        "random": random,
        "clientTime": 1764000000,
        "clientSequence": 1,
        **extra,
    }
