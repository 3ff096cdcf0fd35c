"""bench.client's protocol client over Channels' WebsocketCommunicator, for the consumer tests."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from channels.testing import WebsocketCommunicator

from bench.client import Client, Pushes
from chatsite.asgi import application


class IMClient(Client):
    """Frames are read only while a caller waits, so a test may read ``comm`` itself
    (a close, a raw frame) without a reader task taking it first."""

    def __init__(self) -> None:
        super().__init__(Pushes())
        self.comm = WebsocketCommunicator(application, "/ws/im/")

    async def connect(self) -> IMClient:
        # The communicator's 1 s default is a busy machine's handshake (CI's failure).
        connected, _ = await self.comm.connect(timeout=10)
        assert connected
        return self

    async def close(self) -> None:
        await self.comm.disconnect()

    async def _send(self, text: str) -> None:
        await self.comm.send_to(text_data=text)

    async def _until(self, future: asyncio.Future, timeout: float) -> Any:
        # The timeout is per frame, as the communicator takes it. Its expiry also stops
        # the application under test (Channels cancels it), so it fails the test.
        while not future.done():
            self.receive(await self.comm.receive_from(timeout=timeout), time.perf_counter())
        return future.result()

    async def send_raw(self, text: str | None = None, data: bytes | None = None) -> None:
        if data is not None:
            await self.comm.send_to(bytes_data=data)
        else:
            await self.comm.send_to(text_data=text)

    async def assert_silent(self, timeout: float = 0.3) -> None:
        assert not self.pushes, self.pushes
        assert await self.comm.receive_nothing(timeout=timeout)


async def assert_all_silent(*clients: IMClient, timeout: float = 0.3) -> None:
    """Each of ``clients`` hears nothing for ``timeout``: one window for all of them."""
    await asyncio.gather(*(client.assert_silent(timeout) for client in clients))


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
