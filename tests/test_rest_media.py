"""Images and files the app's back end hosts, sent by URL through the REST API (TIM's
TIMImageElem and TIMFileElem in MsgBody): what receivers get, what is refused, and
that only the back end may send them."""

from __future__ import annotations

import copy
import time

import pytest

from im import media
from im.models import Message, Upload
from im.services.uploads import do_clean_uploads
from tests.media import image_bytes
from tests.rest import apost, fails, ok
from tests.test_uploads import media_message, upload
from tests.test_ws_message_actions import forward
from tests.wsclient import assert_all_silent, online

live = pytest.mark.django_db(transaction=True)
GROUPS = "group_open_http_svc"
GROUP = {"Owner_Account": "alice", "Type": "Private", "GroupId": "tea", "Name": "tea"}

ORIGINAL = "https://cdn.example.com/pics/cat.png?sig=a%20b&v=1"
LARGE = "https://cdn.example.com/pics/cat_720.png"
THUMB = "http://cdn.example.com/pics/cat_198.png"
FILE_URL = "https://files.example.com/docs/report.pdf"


def image_content() -> dict:
    # Given thumbnail first: stored (and shown) in TIM's order, original, large, thumbnail.
    return {
        "UUID": "1853095_D61040894AC3DE44CDFFFB3EC7EB720F",
        "ImageFormat": 3,
        "ImageInfoArray": [
            {"Type": 3, "Size": 4_100, "Width": 198, "Height": 120, "URL": THUMB},
            {"Type": 1, "Size": 1_800_000, "Width": 1600, "Height": 970, "URL": ORIGINAL},
            {"Type": 2, "Size": 91_000, "Width": 1188, "Height": 720, "URL": LARGE},
        ],
    }


def file_content() -> dict:
    return {
        "Url": FILE_URL,
        "UUID": "file_3C0A8C2E",
        "FileSize": 123_456,
        "FileName": "report 2026.pdf",
        "Download_Flag": 2,
    }


def element(msg_type: str, content: dict) -> list[dict]:
    return [{"MsgType": msg_type, "MsgContent": content}]


def send_body(body: list[dict], *, to: str = "bob", random: int = 7, sync: int = 1) -> dict:
    return {
        "SyncOtherMachine": sync,
        "From_Account": "alice",
        "To_Account": to,
        "MsgRandom": random,
        "MsgBody": body,
    }


# What every receiver's SDK gets: the shape an uploaded image or file has, its links as
# the back end gave them.
SHOWN_IMAGE = {
    "uuid": "1853095_D61040894AC3DE44CDFFFB3EC7EB720F",
    "imageFormat": 3,
    "imageInfoArray": [
        {
            "type": 0,
            "sizeType": 1,
            "size": 1_800_000,
            "width": 1600,
            "height": 970,
            "url": ORIGINAL,
            "imageUrl": ORIGINAL,
        },
        {
            "type": 2,
            "sizeType": 2,
            "size": 91_000,
            "width": 1188,
            "height": 720,
            "url": LARGE,
            "imageUrl": LARGE,
        },
        {
            "type": 1,
            "sizeType": 3,
            "size": 4_100,
            "width": 198,
            "height": 120,
            "url": THUMB,
            "imageUrl": THUMB,
        },
    ],
}
SHOWN_FILE = {
    "uuid": "file_3C0A8C2E",
    "fileName": "report 2026.pdf",
    "fileSize": 123_456,
    "fileUrl": FILE_URL,
    "downloadFlag": 2,
}


def sorted_content() -> dict:
    content = image_content()
    content["ImageInfoArray"].sort(key=lambda v: v["Type"])
    return content


@live
async def test_an_image_by_url_reaches_the_receiver_with_its_urls_and_sizes(rest_admin):
    alice, bob = await online("alice"), await online("bob")
    answer = await apost("openim/sendmsg", send_body(element("TIMImageElem", image_content())))
    assert answer["ActionStatus"] == "OK", answer
    [received] = (await bob.push("MESSAGE_RECEIVED"))["data"]
    assert (received["type"], received["payload"]) == ("TIMImageElem", SHOWN_IMAGE)
    [synced] = (await alice.push("MESSAGE_RECEIVED"))["data"]
    assert synced["payload"] == SHOWN_IMAGE
    page = await bob.ok("getMessageList", {"conversationID": "C2Calice"})
    assert page["messageList"][-1]["payload"] == SHOWN_IMAGE
    # Forwarded by bob, it keeps its URLs.
    carol = await online("carol")
    sent = await bob.ok("sendMessage", forward(received, to="carol"))
    [forwarded] = (await carol.push("MESSAGE_RECEIVED"))["data"]
    assert sent["message"]["payload"] == forwarded["payload"] == SHOWN_IMAGE
    await assert_all_silent(alice, bob, carol)
    for client in (alice, bob, carol):
        await client.close()

    # Roaming gives it back as TIM's element; no upload is named, none is kept or
    # cleaned, and the stored message survives imcleanuploads.
    roam = await apost(
        "openim/admin_getroammsg",
        {
            "Operator_Account": "alice",
            "Peer_Account": "bob",
            "MaxCnt": 10,
            "MinTime": 0,
            "MaxTime": 2**32 - 1,
        },
    )
    assert roam["MsgList"][0]["MsgBody"] == element("TIMImageElem", sorted_content())
    message = await Message.objects.aget(random=7, sender__user_id="alice")
    assert media.uuids(message.type, message.payload) == []
    assert not await Upload.objects.aexists()


def test_a_file_by_url_and_media_in_groups_and_their_history(rest_admin):
    ok("openim/sendmsg", send_body(element("TIMFileElem", file_content())))
    stored = Message.objects.get(random=7)
    assert stored.type == "TIMFileElem"
    assert media.with_links(stored.type, stored.payload, stored.conversation.app_id) == SHOWN_FILE
    # Download_Flag may be left out: 2 is the only value.
    plain = {k: v for k, v in file_content().items() if k != "Download_Flag"}
    ok("openim/sendmsg", send_body(element("TIMFileElem", plain), random=8))
    assert do_clean_uploads() == 0 and Message.objects.count() == 2

    ok(f"{GROUPS}/create_group", GROUP)
    imported = ok(
        f"{GROUPS}/import_group_msg",
        {
            "GroupId": "tea",
            "MsgList": [
                {
                    "From_Account": "alice",
                    "SendTime": int(time.time()) - 3600,
                    "Random": 3,
                    "MsgBody": element("TIMFileElem", file_content()),
                }
            ],
        },
    )
    assert imported["ImportMsgResult"][0]["Result"] == 0
    for random, body in (
        (1, element("TIMImageElem", image_content())),
        (2, element("TIMFileElem", file_content())),
    ):
        ok(f"{GROUPS}/send_group_msg", {"GroupId": "tea", "Random": random, "MsgBody": body})
    history = ok(f"{GROUPS}/group_msg_get_simple", {"GroupId": "tea", "ReqMsgNumber": 20})
    bodies = [
        m["MsgBody"]
        for m in reversed(history["RspMsgList"])
        if m["MsgBody"][0]["MsgType"] in ("TIMImageElem", "TIMFileElem")
    ]
    assert bodies == [
        element("TIMFileElem", file_content()),  # imported: the oldest
        element("TIMImageElem", sorted_content()),
        element("TIMFileElem", file_content()),
    ]


def _image(change) -> list[dict]:
    content = image_content()
    change(content)
    return element("TIMImageElem", content)


def _file(**change) -> list[dict]:
    return element("TIMFileElem", {**file_content(), **change})


def _version(index: int, **change):
    return lambda c: c["ImageInfoArray"][index].update(change)


BAD_BODIES = {
    "ftp url": _image(_version(0, URL="ftp://cdn.example.com/a.png")),
    "javascript url": _image(_version(0, URL="javascript:alert(1)")),
    "relative url": _image(_version(1, URL="/pics/cat.png")),
    "no host": _image(_version(1, URL="https:///cat.png")),
    "url with a space": _image(_version(0, URL="https://cdn.example.com/a b.png")),
    "url with a quote": _image(_version(0, URL='https://cdn.example.com/a".png')),
    "url too long": _image(_version(0, URL="https://cdn.example.com/" + "a" * 2030)),
    "url not a string": _image(_version(0, URL=["https://cdn.example.com/a.png"])),
    "four versions": _image(
        lambda c: c["ImageInfoArray"].append({**c["ImageInfoArray"][0], "Type": 1})
    ),
    "no versions": _image(lambda c: c.update(ImageInfoArray=[])),
    "versions not a list": _image(lambda c: c.update(ImageInfoArray={"Type": 1})),
    "a version not an object": _image(lambda c: c["ImageInfoArray"].__setitem__(0, "x")),
    "type twice": _image(_version(0, Type=1)),
    "type 0": _image(_version(0, Type=0)),
    "type 4": _image(_version(0, Type=4)),
    "type true": _image(_version(1, Type=True)),
    "negative size": _image(_version(0, Size=-1)),
    "size past 28 MB": _image(_version(1, Size=28 * 1024 * 1024 + 1)),
    "width a string": _image(_version(0, Width="198")),
    "height a float": _image(_version(0, Height=1.5)),
    "height negative": _image(_version(2, Height=-3)),
    "unknown version field": _image(_version(0, Url="https://cdn.example.com/a.png")),
    "image format 7": _image(lambda c: c.update(ImageFormat=7)),
    "image format a list": _image(lambda c: c.update(ImageFormat=[1])),
    "no uuid": _image(lambda c: c.pop("UUID")),
    "uuid with a space": _image(lambda c: c.update(UUID="a b")),
    "unknown image field": _image(lambda c: c.update(Format=3)),
    "file name a path": _file(FileName="../etc/passwd"),
    "file name with a backslash": _file(FileName="a\\b.pdf"),
    "empty file name": _file(FileName=""),
    "file past 100 MB": _file(FileSize=100 * 1024 * 1024 + 1),
    "negative file size": _file(FileSize=-1),
    "download flag 0": _file(Download_Flag=0),
    "file url data:": _file(Url="data:text/plain,hi"),
    "no file url": element("TIMFileElem", {k: v for k, v in file_content().items() if k != "Url"}),
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_each_bad_media_element_is_refused_and_stores_nothing(rest_admin, body):
    fails("openim/sendmsg", send_body(copy.deepcopy(body)), 90001)
    batch = {**send_body(copy.deepcopy(body)), "To_Account": ["bob", "carol"]}
    fails("openim/batchsendmsg", batch, 90001)
    assert not Message.objects.exists()
    # The element without its fault is sent: the fault was the reason.
    msg_type = body[0]["MsgType"]
    good = image_content() if msg_type == "TIMImageElem" else file_content()
    ok("openim/sendmsg", send_body(element(msg_type, good)))
    assert Message.objects.get().type == msg_type


def test_a_bad_media_element_in_a_group_gets_the_groups_code(rest_admin):
    ok(f"{GROUPS}/create_group", GROUP)
    before = Message.objects.count()
    for name in ("javascript url", "four versions", "file name a path"):
        body = {"GroupId": "tea", "Random": 1, "MsgBody": copy.deepcopy(BAD_BODIES[name])}
        fails(f"{GROUPS}/send_group_msg", body, 10004)
    sound = element("TIMSoundElem", {"Url": FILE_URL, "UUID": "x", "Size": 1, "Second": 1})
    fails(f"{GROUPS}/send_group_msg", {"GroupId": "tea", "Random": 1, "MsgBody": sound}, 10004)
    assert Message.objects.count() == before
    good = {"GroupId": "tea", "Random": 2, "MsgBody": element("TIMImageElem", image_content())}
    ok(f"{GROUPS}/send_group_msg", good)
    assert Message.objects.count() == before + 1


@live
async def test_a_websocket_client_cannot_send_media_by_url(rest_admin, media_store):
    alice, bob = await online("alice"), await online("bob")
    stored_shape = {**SHOWN_IMAGE, "external": True}
    stored_shape["imageInfoArray"] = [
        {k: v for k, v in e.items() if k != "imageUrl"} for e in SHOWN_IMAGE["imageInfoArray"]
    ]
    # No upload of its own: refused, whatever else the payload says.
    for payload in (stored_shape, {**stored_shape, "uuid": "0" * 32}):
        answer = await alice.request("sendMessage", media_message("TIMImageElem", payload))
        assert answer["code"] == 6017, answer
    file_payload = {"external": True, "uuid": "0" * 32, "fileName": "x.pdf", "url": FILE_URL}
    answer = await alice.request("sendMessage", media_message("TIMFileElem", file_payload))
    assert answer["code"] == 6017, answer
    assert not await Message.objects.aexists()
    # Its own upload, dressed as external media: the upload is what is sent.
    done = await upload(alice, "image", image_bytes("PNG", (400, 300)), "image/png", "a.png")
    dressed = {**stored_shape, "uuid": done["uuid"]}
    sent = await alice.ok("sendMessage", media_message("TIMImageElem", dressed))
    [received] = (await bob.push("MESSAGE_RECEIVED"))["data"]
    for shown in (sent["message"]["payload"], received["payload"]):
        urls = {v["url"] for v in shown["imageInfoArray"]}
        assert not urls & {ORIGINAL, LARGE, THUMB}
        assert shown["imageInfoArray"][0]["width"] == 400
    message = await Message.objects.aget()
    assert "external" not in message.payload
    assert media.uuids(message.type, message.payload) == [done["uuid"]]
    # What the back end may do: the same image by URL, through the REST API.
    await apost("openim/sendmsg", send_body(element("TIMImageElem", image_content()), random=8))
    [by_url] = (await bob.push("MESSAGE_RECEIVED"))["data"]
    assert by_url["payload"] == SHOWN_IMAGE
    for client in (alice, bob):
        await client.close()
