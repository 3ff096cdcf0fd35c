"""Image, file, voice and video messages over /ws/im/, on both media stores: moto's S3
server (presigned PUT straight to the store) and the file system default (Hutong's own
upload endpoint and download view). See tests/media.py."""

from __future__ import annotations

import asyncio
import hashlib
import io
import time
from urllib.parse import parse_qs, urlparse

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from im.models import App, Message, Upload
from tests.media import (
    EXECUTABLE,
    MP4_VIDEO,
    WEBM_VOICE,
    fetch,
    image_bytes,
    jpeg_turned_on_its_side,
    png_bomb,
    put,
)
from tests.wsclient import IMClient, online

pytestmark = pytest.mark.django_db(transaction=True)


async def upload(
    client: IMClient, kind: str, data: bytes, content_type: str, name: str = "f.bin"
) -> dict:
    """Announce, put and finish one file; the finished upload."""
    made = await client.ok(
        "createUpload",
        {"kind": kind, "fileName": name, "fileSize": len(data), "contentType": content_type},
    )
    target = made["upload"]
    assert target["method"] == "PUT"
    assert await put(target["url"], data, target["headers"]) in (200, 204)
    return await client.ok("finishUpload", {"uuid": made["uuid"]})


def media_message(msg_type: str, payload: dict, *, to: str = "bob", random: int = 7) -> dict:
    return {
        "to": to,
        "conversationType": "C2C",
        "type": msg_type,
        "payload": payload,
        "random": random,
        "clientTime": 1764000000,
    }


async def received(client: IMClient) -> dict:
    [message] = (await client.push("MESSAGE_RECEIVED"))["data"]
    return message


async def test_an_image_arrives_in_tims_three_versions(cast, media_store):
    alice, bob = await online("alice"), await online("bob")
    original = image_bytes("PNG", (1600, 1000))
    done = await upload(alice, "image", original, "image/png", "screenshot.png")
    assert (done["isReady"], done["width"], done["height"]) == (True, 1600, 1000)
    sent = await alice.ok("sendMessage", media_message("TIMImageElem", {"uuid": done["uuid"]}))
    message = await received(bob)
    payload = message["payload"]
    assert message["type"] == "TIMImageElem"
    assert (payload["uuid"], payload["imageFormat"]) == (done["uuid"], 3)
    versions = {v["sizeType"]: v for v in payload["imageInfoArray"]}
    # TIM's numbering: sizeType 1 original, 2 large (short side 720), 3 thumbnail (198).
    assert [(v["type"], v["width"], v["height"]) for v in payload["imageInfoArray"]] == [
        (0, 1600, 1000),
        (2, 1152, 720),
        (1, 317, 198),
    ]
    fetched = {size_type: await fetch(v["url"]) for size_type, v in versions.items()}
    assert all(f.status == 200 for f in fetched.values())
    assert fetched[1].body == original
    # Shown, not saved: "Open the original" is a new tab with the image in it.
    for got in fetched.values():
        assert got.headers["content-type"].startswith("image/")
        assert "content-disposition" not in got.headers
    for size_type, (w, h) in ((2, (1152, 720)), (3, (317, 198))):
        assert Image.open(io.BytesIO(fetched[size_type].body)).size == (w, h)
        assert versions[size_type]["size"] == len(fetched[size_type].body)
    assert sent["message"]["payload"]["imageInfoArray"][0]["width"] == 1600
    keys = media_store.objects()
    assert keys == {
        f"{cast['alice'].app_id}/{done['uuid']}/{v}" for v in ("original", "large", "thumb")
    }
    for client in (alice, bob):
        await client.close()


async def test_derived_versions_are_upright_and_carry_no_metadata(cast, media_store):
    alice, bob = await online("alice"), await online("bob")
    done = await upload(alice, "image", jpeg_turned_on_its_side(), "image/jpeg", "photo.jpg")
    assert (done["width"], done["height"]) == (1000, 1600)  # as shown, turned upright
    await alice.ok("sendMessage", media_message("TIMImageElem", {"uuid": done["uuid"]}))
    versions = (await received(bob))["payload"]["imageInfoArray"]
    assert versions[0]["width"] == 1000 and versions[0]["height"] == 1600
    large = Image.open(io.BytesIO((await fetch(versions[1]["url"])).body))
    assert large.size == (720, 1152)
    assert not large.getexif()  # no orientation to apply again, no camera make
    for client in (alice, bob):
        await client.close()


async def test_a_file_downloads_intact_under_its_name_shown_as_text(cast, media_store):
    alice, bob = await online("alice"), await online("bob")
    data = bytes(range(256)) * 4000  # 1 MB
    name = '<img src=x onerror="alert(1)">报告.pdf'
    done = await upload(alice, "file", data, "application/pdf", name)
    await alice.ok("sendMessage", media_message("TIMFileElem", {"uuid": done["uuid"]}))
    payload = (await received(bob))["payload"]
    assert (payload["fileName"], payload["fileSize"], payload["downloadFlag"]) == (
        name,
        len(data),
        2,
    )
    got = await fetch(payload["fileUrl"])
    assert got.status == 200
    assert got.sha256 == hashlib.sha256(data).hexdigest()
    assert got.headers["content-disposition"].startswith("attachment")
    assert all("img" not in key and "报告" not in key for key in media_store.objects())
    for client in (alice, bob):
        await client.close()


async def test_voice_and_video_messages(cast, media_store):
    alice, bob = await online("alice"), await online("bob")
    voice = await upload(alice, "audio", WEBM_VOICE, "audio/webm;codecs=opus", "voice.webm")
    await alice.ok(
        "sendMessage", media_message("TIMSoundElem", {"uuid": voice["uuid"], "second": 2})
    )
    sound = (await received(bob))["payload"]
    assert (sound["second"], sound["size"], sound["url"]) == (
        2,
        len(WEBM_VOICE),
        sound["remoteAudioUrl"],
    )
    assert (await fetch(sound["url"])).body == WEBM_VOICE

    video = await upload(alice, "video", MP4_VIDEO, "video/mp4", "clip.mp4")
    poster = await upload(alice, "snapshot", image_bytes("JPEG", (640, 360)), "image/jpeg", "p.jpg")
    await alice.ok(
        "sendMessage",
        media_message(
            "TIMVideoFileElem",
            {"videoUUID": video["uuid"], "thumbUUID": poster["uuid"], "videoSecond": 5},
            random=8,
        ),
    )
    clip = (await received(bob))["payload"]
    assert (clip["videoFormat"], clip["videoSecond"], clip["videoSize"]) == (
        "mp4",
        5,
        len(MP4_VIDEO),
    )
    assert (clip["thumbWidth"], clip["thumbHeight"]) == (640, 360)
    assert (clip["snapshotWidth"], clip["snapshotUrl"]) == (640, clip["thumbUrl"])
    assert (await fetch(clip["videoUrl"])).body == MP4_VIDEO
    assert (await fetch(clip["thumbUrl"])).status == 200
    for client in (alice, bob):
        await client.close()


# --- bad input: a clear error, nothing stored, nothing sent ---


@pytest.mark.parametrize(
    ("kind", "data", "content_type", "code"),
    [
        ("image", EXECUTABLE, "image/png", 2252),  # a renamed executable
        ("image", png_bomb(), "image/png", 2253),  # 144 megapixels in a small file
        ("video", EXECUTABLE, "video/mp4", 2352),
        ("audio", EXECUTABLE, "audio/webm", 2300),
    ],
)
async def test_a_file_that_is_not_what_it_claims_is_refused_and_removed(
    cast, media_store, kind, data, content_type, code
):
    alice = await online("alice")
    made = await alice.ok(
        "createUpload",
        {"kind": kind, "fileName": "x", "fileSize": len(data), "contentType": content_type},
    )
    assert await put(made["upload"]["url"], data, made["upload"]["headers"]) in (200, 204)
    refused = await alice.request("finishUpload", {"uuid": made["uuid"]})
    assert refused["code"] == code, refused
    assert media_store.objects() == set()
    assert not await Upload.objects.filter(uuid=made["uuid"]).aexists()
    await alice.close()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"kind": "file", "fileSize": 100 * 1024 * 1024 + 1}, 2402),
        ({"kind": "image", "fileSize": 28 * 1024 * 1024 + 1, "contentType": "image/png"}, 2253),
        ({"kind": "file", "fileSize": 0}, 2108),
        ({"kind": "file", "fileName": "../../etc/passwd"}, 6017),
        ({"kind": "file", "fileName": "a\\b.txt"}, 6017),
        ({"kind": "image", "contentType": "text/html"}, 2252),
        ({"kind": "video", "contentType": "video/x-msvideo"}, 2352),
        ({"kind": "file", "contentType": "not a type"}, 6017),
        ({"kind": "script"}, 6017),
    ],
)
async def test_an_announcement_past_tims_limits_is_refused(cast, media_store, fields, code):
    alice = await online("alice")
    data = {"kind": "file", "fileName": "a.txt", "fileSize": 10, "contentType": "text/plain"}
    refused = await alice.request("createUpload", {**data, **fields})
    assert refused["code"] == code, refused
    assert not await Upload.objects.aexists()
    await alice.close()


async def test_a_file_put_after_its_link_expired_is_refused(cast, media_store, settings):
    alice = await online("alice")
    data = b"late" * 100
    made = await alice.ok(
        "createUpload",
        {
            "kind": "file",
            "fileName": "late.txt",
            "fileSize": len(data),
            "contentType": "text/plain",
        },
    )
    # Its deadline passes before the client puts it.
    await Upload.objects.filter(uuid=made["uuid"]).aupdate(
        expires_at=timezone.now() - timezone.timedelta(seconds=1)
    )
    settings.IM_UPLOAD_URL_EXPIRE = 0  # the file system link's token is past its age too
    await asyncio.sleep(1.1)
    status = await put(made["upload"]["url"], data, made["upload"]["headers"])
    if media_store.name == "fs":
        assert status == 403  # Hutong's upload endpoint checks the token
    refused = await alice.request("finishUpload", {"uuid": made["uuid"]})
    assert refused["code"] == 2400
    assert media_store.objects() == set()
    await alice.close()


async def test_a_file_of_another_size_than_announced_is_refused(cast, media_store):
    alice = await online("alice")
    made = await alice.ok(
        "createUpload",
        {"kind": "file", "fileName": "a.txt", "fileSize": 10, "contentType": "text/plain"},
    )
    await put(made["upload"]["url"], b"12345", made["upload"]["headers"])
    refused = await alice.request("finishUpload", {"uuid": made["uuid"]})
    assert refused["code"] == 2400
    assert media_store.objects() == set()
    await alice.close()


async def test_a_message_may_only_carry_its_senders_finished_uploads(cast, media_store):
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    mine = await upload(alice, "image", image_bytes(), "image/png")
    stolen = await carol.request(
        "sendMessage", media_message("TIMImageElem", {"uuid": mine["uuid"]})
    )
    assert stolen["code"] == 6017
    pending = await alice.ok(
        "createUpload",
        {"kind": "image", "fileName": "p.png", "fileSize": 10, "contentType": "image/png"},
    )
    early = await alice.request(
        "sendMessage", media_message("TIMImageElem", {"uuid": pending["uuid"]}, random=9)
    )
    assert early["code"] == 2400
    wrong_kind = await alice.request(
        "sendMessage", media_message("TIMFileElem", {"uuid": mine["uuid"]})
    )
    assert wrong_kind["code"] == 6017
    forged = await alice.request(
        "sendMessage", media_message("TIMImageElem", {"uuid": "../../x", "imageInfoArray": []})
    )
    assert forged["code"] == 6017
    assert not await Message.objects.aexists()
    await bob.assert_silent()
    # Sent once, it cannot be sent again in another message (a resend is the same one).
    await alice.ok("sendMessage", media_message("TIMImageElem", {"uuid": mine["uuid"]}, random=1))
    again = await alice.ok(
        "sendMessage", media_message("TIMImageElem", {"uuid": mine["uuid"]}, random=1)
    )
    other = await alice.request(
        "sendMessage", media_message("TIMImageElem", {"uuid": mine["uuid"]}, to="carol", random=2)
    )
    assert other["code"] == 6017
    assert await Message.objects.acount() == 1
    assert again["message"]["ID"]
    for client in (alice, bob, carol):
        await client.close()


# --- links: fetchable, signed, fresh on every page, gone with a recall ---


async def test_links_expire_and_every_page_brings_fresh_ones(cast, media_store, settings):
    alice, bob = await online("alice"), await online("bob")
    data = b"expiring" * 1000
    done = await upload(alice, "file", data, "text/plain", "e.txt")
    settings.IM_MEDIA_URL_EXPIRE = 1
    if media_store.name == "s3":
        settings.STORAGES["im-media"]["OPTIONS"]["querystring_expire"] = 1
        settings.STORAGES = {**settings.STORAGES}  # tells the storages handler
    await alice.ok("sendMessage", media_message("TIMFileElem", {"uuid": done["uuid"]}))
    pushed = (await received(bob))["payload"]["fileUrl"]
    await asyncio.sleep(2.1)
    if media_store.name == "fs":
        assert (await fetch(pushed)).status == 403
    else:
        # moto does not check query-string signatures, so the store's refusal of an
        # expired link cannot be seen here; the link is signed for 1 second.
        query = parse_qs(urlparse(pushed).query)
        assert query["X-Amz-Expires"] == ["1"]
        assert "X-Amz-Signature" in query
    # A page signs its links afresh. Signed for long here, as fetching one on a busy
    # machine may take more than a second (the file system's links are checked against
    # the setting when fetched, so the expired one was fetched first).
    settings.IM_MEDIA_URL_EXPIRE = 600
    if media_store.name == "s3":
        settings.STORAGES["im-media"]["OPTIONS"]["querystring_expire"] = 600
        settings.STORAGES = {**settings.STORAGES}
    page = await bob.ok("getMessageList", {"conversationID": "C2Calice"})
    fresh = page["messageList"][-1]["payload"]["fileUrl"]
    assert fresh != pushed
    assert (await fetch(fresh)).body == data
    for client in (alice, bob):
        await client.close()


async def test_a_recalled_media_message_carries_no_links(cast, media_store):
    alice, bob = await online("alice"), await online("bob")
    done = await upload(alice, "image", image_bytes(), "image/png")
    sent = await alice.ok("sendMessage", media_message("TIMImageElem", {"uuid": done["uuid"]}))
    await received(bob)
    await alice.ok("revokeMessage", {"conversationID": "C2Cbob", "ID": sent["message"]["ID"]})
    revoked = (await bob.push("MESSAGE_REVOKED"))["data"][0]
    assert all("url" not in v for v in revoked["payload"]["imageInfoArray"])
    for client in (alice, bob):
        await client.close()


# --- what no message keeps goes ---


async def test_cleanup_removes_unsent_and_purged_uploads(cast, media_store):
    alice, bob = await online("alice"), await online("bob")
    kept = await upload(alice, "file", b"kept" * 10, "text/plain")
    unsent = await upload(alice, "file", b"unsent" * 10, "text/plain")
    purged = await upload(alice, "image", image_bytes(), "image/png")
    await alice.ok("sendMessage", media_message("TIMFileElem", {"uuid": kept["uuid"]}, random=1))
    await alice.ok("sendMessage", media_message("TIMImageElem", {"uuid": purged["uuid"]}, random=2))
    await Upload.objects.filter(uuid=unsent["uuid"]).aupdate(
        created_at=timezone.now() - timezone.timedelta(days=2)
    )
    # Retention takes the image's message.
    await Message.objects.filter(uploads__uuid=purged["uuid"]).adelete()
    await sync_to_async(call_command)("imcleanuploads")
    app = cast["alice"].app_id
    assert media_store.objects() == {f"{app}/{kept['uuid']}/original"}
    assert [u async for u in Upload.objects.values_list("uuid", flat=True)] == [kept["uuid"]]
    for client in (alice, bob):
        await client.close()


async def test_retention_takes_an_old_messages_files_with_it(cast, im_app, media_store):
    alice, bob = await online("alice"), await online("bob")
    old = await upload(alice, "image", image_bytes(), "image/png")
    new = await upload(alice, "file", b"new" * 10, "text/plain")
    await alice.ok("sendMessage", media_message("TIMImageElem", {"uuid": old["uuid"]}, random=1))
    await alice.ok("sendMessage", media_message("TIMFileElem", {"uuid": new["uuid"]}, random=2))
    await Message.objects.filter(uploads__uuid=old["uuid"]).aupdate(
        created_at=timezone.now() - timezone.timedelta(days=8)
    )
    await App.objects.filter(pk=im_app.pk).aupdate(message_retention_days=7)
    await sync_to_async(call_command)("impurge")
    # The image's three versions went with its message; the file's message stays whole.
    assert media_store.objects() == {f"{im_app.pk}/{new['uuid']}/original"}
    history = await bob.ok("getMessageList", {"conversationID": "C2Calice"})
    [left] = history["messageList"]
    assert left["type"] == "TIMFileElem" and left["payload"]["fileUrl"]
    for client in (alice, bob):
        await client.close()


@pytest.mark.parametrize("media_store", ["fs"], indirect=True)
async def test_an_images_checks_do_not_hold_up_other_accounts_ops(cast, media_store):
    alice, bob = await online("alice"), await online("bob")
    # 49 megapixels, just under the limit: a second or more of decoding and scaling.
    big = image_bytes("JPEG", (7000, 7000), quality=90)
    made = await alice.ok(
        "createUpload",
        {"kind": "image", "fileName": "big.jpg", "fileSize": len(big), "contentType": "image/jpeg"},
    )
    assert await put(made["upload"]["url"], big, made["upload"]["headers"]) == 200
    answered: dict[str, float] = {}

    async def finish() -> dict:
        done = await alice.ok("finishUpload", {"uuid": made["uuid"]}, timeout=60)
        answered["alice"] = time.perf_counter()
        return done

    finishing = asyncio.create_task(finish())
    await asyncio.sleep(0.3)  # alice's op is under way
    text = {"to": "alice", "conversationType": "C2C", "type": "TIMTextElem"}
    await bob.ok("sendMessage", {**text, "payload": {"text": "hi"}, "random": 1, "clientTime": 1})
    answered["bob"] = time.perf_counter()
    done = await finishing
    assert (done["width"], done["height"]) == (7000, 7000)
    assert answered["bob"] < answered["alice"]
    for client in (alice, bob):
        await client.close()
