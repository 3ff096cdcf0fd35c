"""The file system default's upload endpoint (``im.uploadapp``) as an ASGI server drives
it: the body in several messages, refusals before or in the middle of it, a client that
goes away. Whatever is refused or cut short leaves nothing stored."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
from asgiref.sync import sync_to_async
from channels.testing import ApplicationCommunicator
from django.core.management import call_command

from bench.client import text_message
from bench.uploads import http_origin
from bench.uploads import put as put_over_http
from chatsite.asgi import application
from tests.live import net_online
from tests.media import fetch
from tests.wsclient import IMClient, online

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.parametrize("media_store", ["fs"], indirect=True),
]

CHUNK = 8192  # what daphne hands an application per message


async def announce(client: IMClient, size: int) -> dict:
    return await client.ok(
        "createUpload",
        {"kind": "file", "fileName": "a.bin", "fileSize": size, "contentType": "text/plain"},
    )


def request(url: str, length: int | None) -> ApplicationCommunicator:
    path, _, query = url.partition("?")
    headers = [(b"content-type", b"text/plain")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "PUT",
        "path": path,
        "query_string": query.encode(),
        "headers": headers,
    }
    return ApplicationCommunicator(application, scope)


async def answer(communicator: ApplicationCommunicator) -> tuple[int, dict | None]:
    """The endpoint's status and JSON body (None for an empty one)."""
    start = await communicator.receive_output(5)
    assert start["type"] == "http.response.start"
    body = await communicator.receive_output(5)
    await communicator.wait(5)
    return start["status"], json.loads(body["body"]) if body["body"] else None


async def test_a_body_in_many_chunks_is_stored_whole(cast, media_store):
    alice = await online("alice")
    data = bytes(range(256)) * 1000  # 256,000 bytes: 32 messages, the last one short
    made = await announce(alice, len(data))
    communicator = request(made["upload"]["url"], len(data))
    for start in range(0, len(data), CHUNK):
        more = start + CHUNK < len(data)
        await communicator.send_input(
            {"type": "http.request", "body": data[start : start + CHUNK], "more_body": more}
        )
    assert await answer(communicator) == (200, None)
    done = await alice.ok("finishUpload", {"uuid": made["uuid"]})
    assert done["isReady"]
    assert media_store.objects() == {f"{cast['alice'].app_id}/{made['uuid']}/original"}
    await alice.ok(
        "sendMessage",
        {
            "to": "bob",
            "conversationType": "C2C",
            "type": "TIMFileElem",
            "payload": {"uuid": made["uuid"]},
            "random": 1,
            "clientTime": 1764000000,
        },
    )
    [message] = (await alice.ok("getMessageList", {"conversationID": "C2Cbob"}))["messageList"]
    assert (await fetch(message["payload"]["fileUrl"])).body == data
    await alice.close()


@pytest.mark.parametrize("token", ["forged", "expired"])
async def test_a_bad_link_is_refused_before_any_body_is_read(cast, media_store, settings, token):
    alice = await online("alice")
    made = await announce(alice, 10)
    url = made["upload"]["url"]
    if token == "forged":
        url = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    else:
        settings.IM_UPLOAD_URL_EXPIRE = 0
        await asyncio.sleep(1.1)
    communicator = request(url, 10)
    # No body message is sent: the answer comes from the request's head alone.
    status, body = await answer(communicator)
    assert (status, body["code"]) == (403, 403)
    assert media_store.objects() == set()
    await alice.close()


async def test_a_length_over_the_announced_size_is_refused_before_any_body(cast, media_store):
    alice = await online("alice")
    made = await announce(alice, 10)
    status, body = await answer(request(made["upload"]["url"], 11))
    assert (status, body["code"]) == (400, 2402)
    missing, _ = await answer(request(made["upload"]["url"], None))
    assert missing == 400
    assert media_store.objects() == set()
    await alice.close()


async def test_a_body_larger_than_announced_is_refused_mid_stream(cast, media_store):
    alice = await online("alice")
    made = await announce(alice, 3 * CHUNK)
    # A server that passes on more than the Content-Length it was given (daphne does not;
    # the endpoint does not rely on it): the answer comes while the body is still coming.
    communicator = request(made["upload"]["url"], 3 * CHUNK)
    for _ in range(4):
        await communicator.send_input(
            {"type": "http.request", "body": b"x" * CHUNK, "more_body": True}
        )
    status, body = await answer(communicator)
    assert (status, body["code"]) == (400, 2402)
    assert media_store.objects() == set()
    refused = await alice.request("finishUpload", {"uuid": made["uuid"]})
    assert refused["code"] == 2400  # nothing was stored
    await alice.close()


async def test_a_body_shorter_than_its_length_is_refused(cast, media_store):
    alice = await online("alice")
    made = await announce(alice, 100)
    communicator = request(made["upload"]["url"], 100)
    await communicator.send_input({"type": "http.request", "body": b"x" * 60})
    status, body = await answer(communicator)
    assert (status, body["code"]) == (400, 2400)
    assert media_store.objects() == set()
    await alice.close()


@pytest.mark.parametrize("how", ["disconnect", "cancel"])
async def test_a_client_gone_mid_upload_leaves_no_file(cast, media_store, how):
    alice = await online("alice")
    made = await announce(alice, 10 * CHUNK)
    communicator = request(made["upload"]["url"], 10 * CHUNK)
    for _ in range(9):  # more than one write's worth (64 KiB) reaches the file
        await communicator.send_input(
            {"type": "http.request", "body": b"y" * CHUNK, "more_body": True}
        )
    # The incoming file, under no key (the endpoint checks the upload in the database
    # before it takes the body: give a busy machine time).
    for _ in range(100):
        if media_store.objects():
            break
        await asyncio.sleep(0.05)
    assert len(media_store.objects()) == 1
    if how == "disconnect":
        await communicator.send_input({"type": "http.disconnect"})
        await communicator.wait(5)
        assert await communicator.receive_nothing()
    else:  # the server drops the request (daphne cancels an application it gives up on)
        communicator.future.cancel()
        with pytest.raises(asyncio.CancelledError):
            await communicator.future
    assert media_store.objects() == set()
    refused = await alice.request("finishUpload", {"uuid": made["uuid"]})
    assert refused["code"] == 2400
    await alice.close()


async def test_other_methods_and_an_s3_store_are_refused(cast, media_store, s3_server, settings):
    alice = await online("alice")
    made = await announce(alice, 10)
    path, _, query = made["upload"]["url"].partition("?")
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "path": path,
        "query_string": query.encode(),
        "headers": [(b"content-length", b"10")],
    }
    status, _ = await answer(ApplicationCommunicator(application, scope))
    assert status == 405
    settings.STORAGES = {
        **settings.STORAGES,
        "im-media": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": "none", "endpoint_url": s3_server},
        },
    }
    status, _ = await answer(request(made["upload"]["url"], 10))
    assert status == 404
    await alice.close()


async def test_cleanup_removes_what_a_dead_server_left_incoming(cast, media_store):
    # A server that dies mid-upload runs no cleanup: its file stays under .incoming.
    from django.core.files.storage import storages

    incoming = Path(storages["im-media"].location) / ".incoming"
    incoming.mkdir(parents=True)
    stale, fresh = incoming / "stale", incoming / "fresh"
    stale.write_bytes(b"x" * 100)
    fresh.write_bytes(b"y" * 100)  # an upload under way
    day_and_more = time.time() - 25 * 3600
    os.utime(stale, (day_and_more, day_and_more))
    await sync_to_async(call_command)("imcleanuploads")
    assert media_store.objects() == {".incoming/fresh"}


async def test_a_live_server_takes_a_large_upload_whole(cast, media_store, live):
    # daphne as make run starts it (chatsite.serve: the body in 256 KiB pieces), over HTTP.
    alice = await net_online(live.ws_url, "alice")
    data = secrets.token_bytes(5 * 1024 * 1024 + 1)  # pieces, and one short last one
    made = await alice.ok(
        "createUpload",
        {"kind": "file", "fileName": "big.bin", "fileSize": len(data), "contentType": "x/y"},
    )
    url = urljoin(http_origin(live.ws_url), made["upload"]["url"])
    assert await put_over_http(url, data, made["upload"]["headers"]) == 200
    done = await alice.ok("finishUpload", {"uuid": made["uuid"]})
    assert (done["isReady"], done["fileSize"]) == (True, len(data))
    await alice.close()


async def test_uploads_at_once_arrive_whole_while_the_chat_goes_on(cast, media_store, live):
    # Six bodies at once spend each turn's budget of body bytes (im.pacing): the server
    # pauses and resumes their connections, the endpoint's writes wait for turns. Every
    # byte still lands in order, and messages sent meanwhile are delivered in order.
    alice, bob, carol = [await net_online(live.ws_url, uid) for uid in ("alice", "bob", "carol")]
    files = [secrets.token_bytes(3 * 1024 * 1024 + n) for n in range(6)]
    made = [
        await alice.ok(
            "createUpload",
            {"kind": "file", "fileName": f"{n}.bin", "fileSize": len(data), "contentType": "x/y"},
        )
        for n, data in enumerate(files)
    ]
    origin = http_origin(live.ws_url)

    async def chat() -> list[str]:
        texts = []
        for n in range(5):
            text = f"meanwhile {n}"
            await bob.ok("sendMessage", text_message("carol", text, n))
            [message] = (await carol.push("MESSAGE_RECEIVED"))["data"]
            texts.append(message["payload"]["text"])
        return texts

    puts = [
        put_over_http(urljoin(origin, m["upload"]["url"]), data, m["upload"]["headers"])
        for m, data in zip(made, files, strict=True)
    ]
    *statuses, texts = await asyncio.gather(*puts, chat())
    assert statuses == [200] * len(files)
    assert texts == [f"meanwhile {n}" for n in range(5)]
    for n, (m, data) in enumerate(zip(made, files, strict=True)):
        assert (await alice.ok("finishUpload", {"uuid": m["uuid"]}))["fileSize"] == len(data)
        sent = await alice.ok(
            "sendMessage",
            {**text_message("bob", "", n), "type": "TIMFileElem", "payload": {"uuid": m["uuid"]}},
        )
        got = await fetch(urljoin(origin, sent["message"]["payload"]["fileUrl"]))
        assert got.sha256 == hashlib.sha256(data).hexdigest()
    for client in (alice, bob, carol):
        await client.close()


def cross_site(url: str, method: str, origin: str, **headers: str) -> ApplicationCommunicator:
    """A request from a page of ``origin``, to a server that lets in shop.example.com."""
    path, _, query = url.partition("?")
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"origin", origin.encode()),
            *((k.replace("_", "-").lower().encode(), v.encode()) for k, v in headers.items()),
        ],
    }
    return ApplicationCommunicator(application, scope)


async def head_and_body(communicator: ApplicationCommunicator) -> tuple[int, dict, bytes]:
    start = await communicator.receive_output(5)
    body = await communicator.receive_output(5)
    await communicator.wait(5)
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body["body"]


async def test_pages_of_allowed_origins_upload_with_cors_and_others_are_refused(
    cast, media_store, settings
):
    settings.IM_ALLOWED_ORIGINS = ["https://shop.example.com"]
    alice = await online("alice")
    data = b"from the shop" * 100
    made = await announce(alice, len(data))
    url = made["upload"]["url"]

    preflight = cross_site(
        url,
        "OPTIONS",
        "https://shop.example.com",
        access_control_request_method="PUT",
        access_control_request_headers="content-type",
    )
    await preflight.send_input({"type": "http.request", "body": b""})
    status, headers, _ = await head_and_body(preflight)
    assert status == 204
    assert headers["access-control-allow-origin"] == "https://shop.example.com"
    assert headers["access-control-allow-methods"] == "PUT"
    assert headers["access-control-allow-headers"] == "content-type"

    for stranger in ("https://evil.example", "null", "http://shop.example.com"):
        refused = cross_site(url, "PUT", stranger, content_length=str(len(data)))
        await refused.send_input({"type": "http.request", "body": data})
        status, headers, body = await head_and_body(refused)
        assert status == 403 and "access-control-allow-origin" not in headers, stranger
        assert json.loads(body)["code"] == 4403 and "not" in json.loads(body)["message"]
    assert media_store.objects() == set()

    put = cross_site(
        url,
        "PUT",
        "https://shop.example.com",
        content_length=str(len(data)),
        content_type="text/plain",
    )
    await put.send_input({"type": "http.request", "body": data})
    status, headers, _ = await head_and_body(put)
    assert status == 200
    assert headers["access-control-allow-origin"] == "https://shop.example.com"
    assert (await alice.ok("finishUpload", {"uuid": made["uuid"]}))["isReady"]
    # The site's own page needs no CORS and gets none.
    own = await announce(alice, len(data))
    same = cross_site(
        own["upload"]["url"], "PUT", "http://127.0.0.1:8000", content_length=str(len(data))
    )
    await same.send_input({"type": "http.request", "body": data})
    status, headers, _ = await head_and_body(same)
    assert status == 200 and "access-control-allow-origin" not in headers
