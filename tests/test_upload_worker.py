"""The upload worker (``chatsite.uploadworker``): with the file system default, the server
(``chatsite.serve``) hands each upload's connection to it once the head is read, so the
bytes never cross the chat's process. The same endpoint runs there: the same answers."""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import signal
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from bench.client import text_message
from bench.proc import children
from bench.uploads import http_origin, put_head
from bench.uploads import put as put_over_http
from tests.live import LiveServer, net_online
from tests.media import fetch

pytestmark = pytest.mark.django_db(transaction=True)

MIB = 1024 * 1024


def upload_worker(live: LiveServer) -> int:
    """The pid of the live server's upload worker (its one child)."""
    assert live.process is not None
    [pid] = children(live.process.pid)
    assert b"chatsite.uploadworker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    return pid


async def announce(client, data: bytes, name: str = "a.bin") -> dict:
    return await client.ok(
        "createUpload",
        {"kind": "file", "fileName": name, "fileSize": len(data), "contentType": "x/y"},
    )


async def sent_intact(live: LiveServer, alice, made: dict, data: bytes, random: int) -> None:
    """Finish the upload, send it to bob, and download it: the very bytes put."""
    assert (await alice.ok("finishUpload", {"uuid": made["uuid"]}))["fileSize"] == len(data)
    sent = await alice.ok(
        "sendMessage",
        {
            **text_message("bob", "", random),
            "type": "TIMFileElem",
            "payload": {"uuid": made["uuid"]},
        },
    )
    got = await fetch(urljoin(http_origin(live.ws_url), sent["message"]["payload"]["fileUrl"]))
    assert got.sha256 == hashlib.sha256(data).hexdigest()


async def raw_request(url: str, length: int, body: bytes, *, close_early: bool = False) -> bytes:
    """PUT ``body`` by hand, announced as ``length`` bytes whatever its size; the whole
    answer (b"" if the request was cut short)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(put_head(url, length) + body)
    await writer.drain()
    if close_early:
        writer.close()
        await writer.wait_closed()
        return b""
    answer = await asyncio.wait_for(reader.read(), 20)
    writer.close()
    return answer


async def test_an_upload_goes_through_the_worker_while_the_chat_goes_on(cast, live):
    alice, bob, carol = [await net_online(live.ws_url, uid) for uid in ("alice", "bob", "carol")]
    worker = upload_worker(live)
    data = secrets.token_bytes(MIB)
    made = await announce(alice, data)
    url = urljoin(http_origin(live.ws_url), made["upload"]["url"])
    os.kill(worker, signal.SIGSTOP)
    try:
        putting = asyncio.create_task(put_over_http(url, data, made["upload"]["headers"]))
        # The worker holds the bytes: the upload cannot end while it is stopped, and the
        # chat's process is not waiting on it.
        await bob.ok("sendMessage", text_message("carol", "still here", 1))
        [message] = (await carol.push("MESSAGE_RECEIVED"))["data"]
        assert message["payload"]["text"] == "still here"
        await asyncio.sleep(0.5)
        assert not putting.done()
    finally:
        os.kill(worker, signal.SIGCONT)
    assert await asyncio.wait_for(putting, 20) == 200
    await sent_intact(live, alice, made, data, 2)
    for client in (alice, bob, carol):
        await client.close()


async def test_the_worker_answers_as_the_endpoint_does(cast, live):
    alice = await net_online(live.ws_url, "alice")
    upload_worker(live)
    data = secrets.token_bytes(200 * 1024)
    made = await announce(alice, data)
    url = urljoin(http_origin(live.ws_url), made["upload"]["url"])

    forged = url.replace("?t=", "?t=x")
    answer = await raw_request(forged, len(data), data)
    assert answer.startswith(b"HTTP/1.1 403 ")
    assert b"Connection: close" in answer and b"invalid or expired" in answer

    longer = await raw_request(url, len(data) + 1, data + b"!")
    assert longer.startswith(b"HTTP/1.1 400 ")

    # A refused body leaves the upload open: the whole of it then goes through.
    assert await put_over_http(url, data, made["upload"]["headers"]) == 200
    await sent_intact(live, alice, made, data, 1)

    # Cut short after 100 KiB: no answer, and nothing the upload could be finished with.
    cut = await announce(alice, data)
    cut_url = urljoin(http_origin(live.ws_url), cut["upload"]["url"])
    assert await raw_request(cut_url, len(data), data[: 100 * 1024], close_early=True) == b""
    refused = await alice.request("finishUpload", {"uuid": cut["uuid"]})
    assert refused["code"] == 2400
    await alice.close()


async def test_with_the_worker_gone_uploads_are_taken_by_the_server(cast, live):
    alice = await net_online(live.ws_url, "alice")
    worker = upload_worker(live)
    os.kill(worker, signal.SIGKILL)
    for n in range(2):  # the first finds it gone, the next knows
        data = secrets.token_bytes(MIB + n)
        made = await announce(alice, data)
        url = urljoin(http_origin(live.ws_url), made["upload"]["url"])
        assert await put_over_http(url, data, made["upload"]["headers"]) == 200
        await sent_intact(live, alice, made, data, n)
    await alice.close()


async def test_a_put_expecting_100_continue_gets_it_first(cast, live):
    # curl's way for a large body: the head, then the body once "100 Continue" comes.
    # Twisted sends that interim answer, so the server keeps such an upload.
    alice = await net_online(live.ws_url, "alice")
    data = secrets.token_bytes(MIB)
    made = await announce(alice, data)
    url = urljoin(http_origin(live.ws_url), made["upload"]["url"])
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    expect = ["Expect: 100-continue"]
    writer.write(put_head(url, len(data), extra=expect, headers=made["upload"]["headers"]))
    await writer.drain()
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert interim.startswith(b"HTTP/1.1 100 ")
    writer.write(data)
    await writer.drain()
    final = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 20)
    assert final.startswith(b"HTTP/1.1 200 ")
    writer.close()
    await sent_intact(live, alice, made, data, 1)
    await alice.close()
