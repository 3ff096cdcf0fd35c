"""Images and files over TIM's wire protocol, a frame at a time, on both media stores:
``im_cos_msg.pre_sig`` (named by the UserSig, as the SDK sends it), the PUT to the link
it answers, the send naming the link, what the peer's TIM socket and Hutong's own
protocol get, and the refusals (someone else's upload, not an upload, not an image,
empty, too large, wrong session)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from channels.testing import HttpCommunicator

from chatsite.asgi import application
from im.models import Message, Upload
from tests.conftest import SDKAPPID, make_sig
from tests.media import fetch, image_bytes, put
from tests.test_timwire_frames import TIMSocket, online
from tests.test_timwire_groups import code, events, group_text, ok, public_group
from tests.wsclient import IMClient

pytestmark = pytest.mark.django_db(transaction=True)

IMAGE, FILE = 1, 255
PUBLIC = "https://im.example.com"


def presign(sock, user_id: str, file_type: int, file_name: str, **head: Any):
    """The SDK's pre_sig: its COS head names the session by identifier + usersig."""
    body = {"file_type": file_type, "file_name": file_name, "upload_method": 0, "duration": 900}
    names = {"identifier": user_id, "usersig": make_sig(user_id), "a2": None, "tinyid": None}
    return sock.call("im_cos_msg.pre_sig", body, **{**names, **head})


def local(url: str) -> str:
    """A link the consumer made absolute (against the test communicator's server) as
    the path the in-process store serves; an S3 link as it is."""
    parts = urlsplit(url)
    if parts.path.startswith("/im/"):
        return f"{parts.path}?{parts.query}"
    return url


async def uploaded(sock, user_id: str, file_type: int, name: str, data: bytes) -> dict:
    answer = await presign(sock, user_id, file_type, name)
    assert answer["ErrorCode"] == 0, answer
    assert await put(local(answer["upload_url"]), data, {"Content-Type": "image/png"}) == 200
    return answer


def image_send(link: str, random: int) -> dict[str, Any]:
    versions = [
        {"Type": t, "Size": 0, "Width": 0, "Height": 0, "URL": link + suffix}
        for t, suffix in ((1, ""), (2, "&imageView2/3/w/720/h/720"), (3, "&imageView2/3/w/198"))
    ]
    return {
        "To_Account": "bob",
        "MsgRandom": random,
        "MsgClientTime": 1_700_000_000,
        "MsgSeq": random,
        "MsgBody": [
            {
                "MsgType": "TIMImageElem",
                "MsgContent": {
                    "UUID": "1400000001-alice-x.png",
                    "ImageFormat": 3,
                    "ImageInfoArray": versions,
                },
            }
        ],
    }


def file_send(link: str, random: int, name: str = "notes.txt") -> dict[str, Any]:
    content = {"UUID": "u", "Url": link, "FileName": name, "FileSize": 1, "Download_Flag": 2}
    return {
        **image_send(link, random),
        "MsgBody": [{"MsgType": "TIMFileElem", "MsgContent": content}],
    }


async def test_an_image_and_a_file_through_pre_sig(cast, media_store, settings):
    settings.IM_PUBLIC_URL = PUBLIC
    alice, bob = await online("alice"), await online("bob")
    picture, notes = image_bytes("PNG", (400, 300)), "第一行\nline two\n".encode()

    answer = await uploaded(alice, "alice", IMAGE, "0f1e-123456.png", picture)
    assert set(answer) >= {"upload_url", "download_url", "expired_time", "request_id"}
    assert answer["upload_url"].startswith("http")  # absolute: the SDK's page is elsewhere
    before = await fetch(local(answer["download_url"]))
    assert before.status == 200 and before.body == picture  # the sender's own preview
    sent = await alice.call("openim.sendmsg", image_send(answer["download_url"], 41))
    assert sent["ErrorCode"] == 0, sent

    (item,) = (await bob.push())["body"]["EventArray"][0]["C2cMsgArray"]
    (element,) = item["MsgBody"]
    assert element["MsgType"] == "TIMImageElem"
    versions = element["MsgContent"]["imageInfoArray"]
    assert [(v["width"], v["height"]) for v in versions] == [(400, 300), (400, 300), (264, 198)]
    assert [v["width"] for v in versions if v["sizeType"] == 3] == [264]
    for version in versions:
        if media_store.name == "fs":  # paths made absolute against IM_PUBLIC_URL
            assert version["url"].startswith(PUBLIC + "/im/media/?t=")
        assert version["url"] == version["imageUrl"]
    got = await fetch(local(versions[0]["url"]))
    assert got.body == picture

    file_answer = await uploaded(alice, "alice", FILE, "aa-1.txt", notes)
    sent = await alice.call(
        "openim.sendmsg", file_send(file_answer["download_url"], 42, "笔记.txt")
    )
    assert sent["ErrorCode"] == 0, sent
    (item,) = (await bob.push())["body"]["EventArray"][0]["C2cMsgArray"]
    content = item["MsgBody"][0]["MsgContent"]
    assert content["fileName"] == "笔记.txt" and content["fileSize"] == len(notes)
    assert content["url"] == content["fileUrl"]  # the key TIM's file element reads
    assert (await fetch(local(content["url"]))).body == notes

    # Hutong's own protocol: the same messages, its uploads, its (path) links.
    hutong = await IMClient().connect()
    await hutong.login("bob", make_sig("bob"), SDKAPPID)
    page = await hutong.ok("getMessageList", {"conversationID": "C2Calice"})
    image, file = page["messageList"]
    assert image["payload"]["uuid"] == answer["request_id"]
    assert file["payload"]["uuid"] == file_answer["request_id"]
    assert file["payload"]["fileName"] == "笔记.txt"
    uploads = [u async for u in Upload.objects.order_by("pk")]
    assert [(u.kind, u.size, u.is_ready) for u in uploads] == [
        ("image", len(picture), True),
        ("file", len(notes), True),
    ]
    # A resend of the same message (the SDK's, after a lost reply) is the one stored.
    again = await alice.call(
        "openim.sendmsg", file_send(file_answer["download_url"], 42, "笔记.txt")
    )
    assert again["ErrorCode"] == 0
    assert await Message.objects.acount() == 2
    await hutong.close()
    for sock in (alice, bob):
        await sock.close()


async def test_a_message_names_only_its_senders_own_finished_upload(cast, media_store):
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    picture = image_bytes("PNG", (64, 64))
    carols = await uploaded(carol, "carol", IMAGE, "c-1.png", picture)

    # Carol's upload named in alice's message: refused, carol's upload untouched.
    refused = await alice.call("openim.sendmsg", image_send(carols["download_url"], 51))
    assert refused["ErrorCode"] == 6017 and "of yours" in refused["ErrorInfo"]
    upload = await Upload.objects.aget(uuid=carols["request_id"])
    assert not upload.is_ready and media_store.objects()  # still carol's to send
    # A link that names no upload, or a derived version: refused before anything.
    for link in ("https://elsewhere.example/cat.png", "/im/media/?t=forged", ""):
        answer = await alice.call("openim.sendmsg", image_send(link, 52))
        assert answer["ErrorCode"] == 6017, link
    # An image message naming a file upload: refused (the kind is the upload's).
    alices = await uploaded(alice, "alice", FILE, "a-1.png", picture)
    answer = await alice.call("openim.sendmsg", image_send(alices["download_url"], 53))
    assert answer["ErrorCode"] == 6017
    # Carol sends her own: it works.
    carol_to_bob = {**image_send(carols["download_url"], 54)}
    assert (await carol.call("openim.sendmsg", carol_to_bob))["ErrorCode"] == 0
    assert [m async for m in Message.objects.values_list("random", flat=True)] == [54]
    await bob.push()  # carol's image; nothing of alice's
    await bob.assert_silent()
    for sock in (alice, bob, carol):
        await sock.close()


async def test_what_is_put_is_checked_when_sent(cast, media_store):
    alice, bob = await online("alice"), await online("bob")
    # Text named .png: the SDK goes by the name; Pillow refuses it, upload and object go.
    fake = await uploaded(alice, "alice", IMAGE, "f-1.png", b"not a picture")
    answer = await alice.call("openim.sendmsg", image_send(fake["download_url"], 61))
    assert answer["ErrorCode"] == 2252  # IMAGE_BAD_TYPE
    assert not await Upload.objects.filter(uuid=fake["request_id"]).aexists()
    assert media_store.objects() == set()
    # Nothing put at all, or an empty file.
    unput = await presign(alice, "alice", FILE, "n-1.txt")
    answer = await alice.call("openim.sendmsg", file_send(unput["download_url"], 62))
    assert answer["ErrorCode"] == 2400  # FILE_UPLOAD_FAILED: nothing was uploaded
    empty = await presign(alice, "alice", FILE, "e-1.txt")
    assert await put(local(empty["upload_url"]), b"", {}) == 200
    answer = await alice.call("openim.sendmsg", file_send(empty["download_url"], 63))
    assert answer["ErrorCode"] == 2108  # FILE_EMPTY
    assert await Message.objects.acount() == 0
    await bob.assert_silent()
    for sock in (alice, bob):
        await sock.close()


# The file system store's endpoint (an S3 store takes the PUT itself).
@pytest.mark.parametrize("media_store", ["fs"], indirect=True)
async def test_an_unannounced_size_is_held_to_the_kinds_limit(cast, media_store):
    alice = await online("alice")
    answer = await presign(alice, "alice", IMAGE, "big-1.png")
    too_big = str(28 * 1024 * 1024 + 1)
    communicator = HttpCommunicator(
        application,
        "PUT",
        local(answer["upload_url"]),
        body=b"x",
        headers=[(b"content-length", too_big.encode())],
    )
    refused = await communicator.get_response(timeout=10)
    assert refused["status"] == 400 and b'"code": 2253' in refused["body"]  # IMAGE_TOO_LARGE
    assert media_store.objects() == set()
    await alice.close()


async def test_pre_sig_is_named_by_the_sessions_own_usersig(cast):
    sock = await online("alice")
    ok = await presign(sock, "alice", FILE, "a-1.txt")
    assert ok["ErrorCode"] == 0
    assert await Upload.objects.filter(owner__user_id="alice", size=0).acount() == 1
    refusals = [
        ({"identifier": "bob", "usersig": make_sig("bob")}, 6014),  # not this session's
        ({"usersig": make_sig("bob")}, 70013),  # another account's sig
        ({"usersig": make_sig("alice", expire=60, now=int(time.time()) - 3600)}, 70001),
        ({"usersig": ""}, 70002),
    ]
    for head, expected in refusals:
        answer = await presign(sock, "alice", FILE, "a-2.txt", **head)
        assert answer["ErrorCode"] == expected, (head, answer)
    # Only images and files; an image by its name's type.
    assert (await presign(sock, "alice", 3, "a.mp3"))["ErrorCode"] == 6017
    assert (await presign(sock, "alice", IMAGE, "a-3.txt"))["ErrorCode"] == 2252
    assert (await presign(sock, "alice", FILE, "a/b.txt"))["ErrorCode"] == 6017
    assert await Upload.objects.acount() == 1
    await sock.close()
    # Before login: refused, whatever the head says.
    fresh = await TIMSocket().connect()
    assert (await presign(fresh, "alice", FILE, "a-4.txt"))["ErrorCode"] == 6014
    await fresh.close()


async def test_an_image_to_a_group(cast, media_store, settings):
    settings.IM_PUBLIC_URL = PUBLIC
    alice, bob = await online("alice"), await online("bob")
    group_id = await public_group(alice, bob)
    picture = image_bytes("PNG", (300, 300))
    answer = await uploaded(bob, "bob", IMAGE, "g-1.png", picture)
    body = {
        **group_text(group_id, "", 71),
        "MsgBody": image_send(answer["download_url"], 71)["MsgBody"],
    }
    sent = await ok(bob, "send_group_msg", body)
    message = await Message.objects.aget(random=71)
    assert sent["MsgSeq"] == message.seq and message.payload["uuid"] == answer["request_id"]
    (item,) = events(await alice.push(), "GroupMsgArray")
    (element,) = item["MsgBody"]
    original = element["MsgContent"]["imageInfoArray"][0]
    assert (original["width"], original["height"], original["size"]) == (300, 300, len(picture))
    assert (await fetch(local(original["url"]))).body == picture
    # Bob's upload named by carol (not even a member): refused, as not hers.
    carol = await online("carol")
    assert await code(carol, "send_group_msg", {**body, "Random": 72}) == 6017
    assert not await Message.objects.filter(random=72).aexists()
    for sock in (alice, bob, carol):
        await sock.close()
