"""TIM's wire protocol at the frame level (im/timwire): framing, login and A2 re-login,
the session commands, bad frames, pushes and kicks, over Channels' communicator."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import zlib
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator

from chatsite.asgi import application
from im.models import App, Instance, Message
from tests.conftest import SDKAPPID, make_sig
from tests.wsclient import IMClient

pytestmark = pytest.mark.django_db(transaction=True)

_seq = itertools.count(1000)


class TIMSocket:
    """A client of /tim/binfo (or /tim/info) as the SDK frames it; replies matched by
    servcmd + seq, everything else kept as pushes."""

    def __init__(self, *, binary: bool = True, instance: str = "") -> None:
        path = "binfo" if binary else "info"
        self.instance = instance or f"{next(_seq):032x}"
        self.binary = binary
        self.comm = WebsocketCommunicator(
            application, f"/tim/{path}?sdkappid={SDKAPPID}&instanceid={self.instance}"
        )
        self.pushes: list[dict[str, Any]] = []
        self.a2 = ""
        self.tiny = ""

    async def connect(self) -> TIMSocket:
        connected, _ = await self.comm.connect()
        assert connected
        return self

    def head(self, servcmd: str, seq: int, **extra: Any) -> dict[str, Any]:
        head = {"ver": "v4", "platform": 7, "sdkappid": SDKAPPID, "servcmd": servcmd, "seq": seq}
        if self.a2:
            head.update(a2=self.a2, tinyid=self.tiny)
        return {**head, **extra}

    async def send_frame(self, frame: dict[str, Any]) -> None:
        text = json.dumps(frame)
        if self.binary:
            await self.comm.send_to(bytes_data=text.encode())
        else:
            await self.comm.send_to(text_data=text)

    async def frame(self, timeout: float = 3) -> dict[str, Any]:
        """The next frame, whatever it is; binary frames decoded (and inflated)."""
        message = await self.comm.receive_output(timeout)
        assert message["type"] == "websocket.send", message
        if self.binary:
            assert message.get("bytes") is not None, "a text frame on /binfo"
            return decode(message["bytes"])
        assert message.get("text") is not None, "a binary frame on /info"
        return json.loads(message["text"])

    async def reply(self, servcmd: str, seq: int, timeout: float = 3) -> dict[str, Any]:
        while True:
            frame = await self.frame(timeout)
            head = frame["head"]
            if head.get("servcmd") == servcmd and head.get("seq") == seq:
                return frame["body"]
            self.pushes.append(frame)

    async def call(self, servcmd: str, body: dict | None = None, **head: Any) -> dict[str, Any]:
        seq = next(_seq)
        await self.send_frame({"head": self.head(servcmd, seq, **head), "body": body or {}})
        return await self.reply(servcmd, seq)

    async def login(self, user_id: str, sig: str | None = None) -> dict[str, Any]:
        body = await self.call(
            "im_open_status.wslogin",
            {"State": "Online", "is_web_uniapp": 0, "InstType": 0},
            identifier=user_id,
            usersig=sig or make_sig(user_id),
        )
        assert body["ErrorCode"] == 0, body
        self.a2, self.tiny = body["A2Key"], body["TinyId"]
        return body

    async def push(self, timeout: float = 3) -> dict[str, Any]:
        if self.pushes:
            return self.pushes.pop(0)
        return await self.frame(timeout)

    async def assert_silent(self, timeout: float = 0.3) -> None:
        assert not self.pushes, self.pushes
        assert await self.comm.receive_nothing(timeout=timeout)

    async def close(self) -> None:
        await self.comm.disconnect()


def decode(data: bytes) -> dict[str, Any]:
    if data.startswith(b"COMP"):
        data = zlib.decompress(data[4:])
    return json.loads(data.decode())


async def online(user_id: str, **kwargs: Any) -> TIMSocket:
    sock = await TIMSocket(**kwargs).connect()
    await sock.login(user_id)
    return sock


# --- login, re-login, the session commands ---


async def test_heartbeat_before_login_and_login_reply(cast):
    sock = await TIMSocket().connect()
    alive = await sock.call("heartbeat.alive", identifier="", usersig="")
    assert alive["ErrorCode"] == 0
    before = int(time.time())
    body = await sock.login("alice")
    assert body["ActionStatus"] == "OK"
    assert body["TinyId"] == str(cast["alice"].pk)
    assert body["A2Key"] and body["HelloInterval"] > 0
    assert body["InstId"] == int(sock.instance[:12], 16)
    assert before <= body["TimeStamp"] <= int(time.time())
    hello = await sock.call("im_open_status.wshello", {"is_web_uniapp": 0})
    assert hello["ErrorCode"] == 0
    instance = await Instance.objects.aget(account=cast["alice"])
    assert instance.instance_id == sock.instance and instance.is_online
    await sock.close()


@pytest.mark.parametrize(
    ("sig", "code"),
    [
        (lambda: make_sig("alice", expire=60, now=int(time.time()) - 3600), 70001),
        (lambda: make_sig("bob"), 70013),  # another user's sig
        (lambda: "not-a-sig", 70003),
    ],
    ids=["expired", "other-user", "malformed"],
)
async def test_login_refused_with_tims_codes(cast, sig, code):
    sock = await TIMSocket().connect()
    body = await sock.call("im_open_status.wslogin", identifier="alice", usersig=sig())
    assert body["ErrorCode"] == code and body["ActionStatus"] == "FAIL"
    assert "A2Key" not in body
    assert await sock.call("heartbeat.alive") == {
        "ActionStatus": "OK",
        "ErrorCode": 0,
        "ErrorInfo": "",
    }
    await sock.close()


async def test_relogin_by_a2_on_a_new_socket(cast):
    first = await online("alice")
    a2, tiny = first.a2, first.tiny
    await first.close()
    again = await TIMSocket(instance=first.instance).connect()
    body = await again.call("im_open_status.wslogin", {"is_web_uniapp": 0}, a2=a2, tinyid=tiny)
    assert body["ErrorCode"] == 0 and body["TinyId"] == tiny and body["A2Key"] == a2
    again.a2, again.tiny = a2, tiny
    listed = await again.call("recentcontact.page_get", {"From_Account": "alice"})
    assert listed["ErrorCode"] == 0 and listed["CompleteFlag"] == 1
    # The same instance came back: one row, online.
    rows = [i async for i in Instance.objects.filter(account=cast["alice"])]
    assert [(r.instance_id, r.is_online) for r in rows] == [(first.instance, True)]
    await again.close()


async def test_requests_resent_before_the_relogin_resume_the_session(cast):
    """After a reconnect the SDK resends what was pending (with its a2) before its
    wslogin: the first of them resumes the session, the wslogin then finds it open."""
    first = await online("alice")
    await first.close()
    again = await TIMSocket(instance=first.instance).connect()
    again.a2, again.tiny = first.a2, first.tiny
    assert (await again.call("openim.getmsg", {"Cookie": ""}))["ErrorCode"] == 0
    body = await again.call("im_open_status.wslogin", {"is_web_uniapp": 0})
    assert body["ErrorCode"] == 0 and body["A2Key"] == first.a2
    forged = await TIMSocket().connect()
    forged.a2, forged.tiny = first.a2[:-2] + "zz", first.tiny
    assert (await forged.call("openim.getmsg"))["ErrorCode"] == 70009
    await again.close()
    await forged.close()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda a2, tiny, bob: (a2[:-3] + "xyz", tiny), 70009),  # forged
        (lambda a2, tiny, bob: (a2, str(bob)), 70013),  # another account's tinyid
        (lambda a2, tiny, bob: (a2, "999999"), 70013),  # no such account
        (lambda a2, tiny, bob: ("", tiny), 70002),  # no a2 at all
        (lambda a2, tiny, bob: (a2, "abc"), 70003),
    ],
    ids=["forged", "other-account", "unknown-tinyid", "missing-a2", "bad-tinyid"],
)
async def test_relogin_refused(cast, change, code):
    first = await online("alice")
    await first.close()
    a2, tiny = change(first.a2, first.tiny, cast["bob"].pk)
    sock = await TIMSocket().connect()
    body = await sock.call("im_open_status.wslogin", a2=a2, tinyid=tiny)
    assert body["ErrorCode"] == code, body
    await sock.close()


async def test_relogin_after_the_sig_expired_is_70001(cast):
    sock = await TIMSocket().connect()
    await sock.login("alice", make_sig("alice", expire=2))
    a2, tiny = sock.a2, sock.tiny
    await sock.close()
    await asyncio.sleep(2.1)
    again = await TIMSocket().connect()
    body = await again.call("im_open_status.wslogin", a2=a2, tinyid=tiny)
    assert body["ErrorCode"] == 70001  # the SDK: KICKED_OUT userSigExpired
    await again.close()


async def test_rotating_the_app_key_refuses_its_tickets(cast):
    sock = await online("alice")
    await sock.close()
    await App.objects.filter(sdkappid=SDKAPPID).aupdate(secret_key="another-key")
    again = await TIMSocket().connect()
    body = await again.call("im_open_status.wslogin", a2=sock.a2, tinyid=sock.tiny)
    assert body["ErrorCode"] == 70009
    await again.close()


async def test_logout_ends_the_session_and_keeps_the_socket(cast):
    sock = await online("alice")
    assert (await sock.call("im_open_status.wslogout", {"wslogout_type": 0}))["ErrorCode"] == 0
    assert not await Instance.objects.filter(account=cast["alice"]).aexists()
    sock.a2 = ""
    refused = await sock.call("recentcontact.page_get")
    assert refused["ErrorCode"] == 6014
    await sock.login("alice")  # the socket stays for the next login
    await sock.close()


# --- bad frames: answered, the connection and the server intact ---


async def test_text_frame_on_binfo_is_refused_in_a_binary_frame(cast):
    sock = await online("alice")
    await sock.comm.send_to(
        text_data=json.dumps({"head": sock.head("heartbeat.alive", 7), "body": {}})
    )
    body = await sock.reply("heartbeat.alive", 7)
    assert body["ErrorCode"] == 60003 and "binary" in body["ErrorInfo"]
    assert (await sock.call("heartbeat.alive"))["ErrorCode"] == 0
    await sock.close()


async def test_binary_frame_on_info_is_refused(cast):
    sock = await TIMSocket(binary=False).connect()
    await sock.comm.send_to(
        bytes_data=json.dumps({"head": sock.head("heartbeat.alive", 8)}).encode()
    )
    body = await sock.reply("heartbeat.alive", 8)
    assert body["ErrorCode"] == 60003
    assert (await sock.call("heartbeat.alive"))["ErrorCode"] == 0
    await sock.close()


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfe not utf-8", b"not json", b"[1,2]", b'{"body": {}}', b'{"head": 5}', b"COMPxx"],
    ids=["not-utf8", "not-json", "not-object", "no-head", "head-not-object", "bad-zlib"],
)
async def test_garbage_is_answered_and_the_socket_stays(cast, data):
    sock = await online("alice")
    await sock.comm.send_to(bytes_data=data)
    frame = await sock.frame()
    assert frame["body"]["ErrorCode"] == 60003
    assert (await sock.call("recentcontact.page_get"))["ErrorCode"] == 0
    await sock.close()


async def test_a_body_that_is_not_an_object_echoes_the_request(cast):
    sock = await online("alice")
    await sock.send_frame({"head": sock.head("openim.getmsg", 9), "body": [1]})
    assert (await sock.reply("openim.getmsg", 9))["ErrorCode"] == 60003
    await sock.close()


async def test_a_compressed_client_frame_is_read(cast):
    sock = await TIMSocket().connect()
    frame = json.dumps({"head": sock.head("heartbeat.alive", 10), "body": {}}).encode()
    await sock.comm.send_to(bytes_data=b"COMP" + zlib.compress(frame))
    assert (await sock.reply("heartbeat.alive", 10))["ErrorCode"] == 0
    await sock.close()


async def test_unknown_servcmd_and_unsupported_features(cast):
    sock = await online("alice")
    unknown = await sock.call("openim.no_such_thing")
    assert unknown["ErrorCode"] == 60002 and "openim.no_such_thing" in unknown["ErrorInfo"]
    community = await sock.call("million_group_open_http_svc.get_joined_group_list")
    assert community["ErrorCode"] == 11000
    groups = await sock.call("group_open_http_svc.get_joined_group_list")
    assert groups["ErrorCode"] == 0
    contact_groups = await sock.call("recentcontact.get_contact_group")
    assert contact_groups["ErrorCode"] == 0
    assert (await sock.call("heartbeat.alive"))["ErrorCode"] == 0
    await sock.close()


async def test_missing_or_foreign_a2_is_refused(cast):
    alice = await online("alice")
    bob = await online("bob")
    no_a2 = await alice.call("recentcontact.page_get", a2="", tinyid="")
    assert no_a2["ErrorCode"] == 6014 and "a2" in no_a2["ErrorInfo"]
    foreign = await alice.call("recentcontact.page_get", a2=bob.a2, tinyid=bob.tiny)
    assert foreign["ErrorCode"] == 6014
    assert (await alice.call("recentcontact.page_get"))["ErrorCode"] == 0
    await alice.close()
    await bob.close()


async def test_commands_before_login_are_refused_but_housekeeping(cast):
    sock = await TIMSocket().connect()
    assert (await sock.call("openim.getmsg"))["ErrorCode"] == 6014
    report = await sock.call("imopenstat.tim_web_report_v2", {"Header": {}, "Event": []})
    assert report["ErrorCode"] == 0
    bits = await sock.call("im_sdk_config_mgr.fetch_imsdk_purchase_bitsv2", {"uint32_sdkappid": 1})
    assert bits["ErrorCode"] == 0 and bits["int32_error_code"] == 0
    assert set(bits["str_purchase_bits"]) == {"0"}
    config = await sock.call("im_sdk_config_mgr.fetch_config", {"uint64_version": 3})
    assert config["int32_error_code"] == 0 and json.loads(config["str_json_config"]) == {}
    await sock.close()


async def test_push_ack_gets_no_reply(cast):
    sock = await online("alice")
    await sock.send_frame({"head": sock.head("openim.ws_msg_push_ack", 11), "body": {}})
    await sock.assert_silent()
    await sock.close()


async def test_large_replies_are_compressed(cast):
    alice, bob = await online("alice"), await online("bob")
    for i in range(15):
        await alice.call(
            "openim.sendmsg",
            {
                "To_Account": "bob",
                "MsgRandom": i + 1,
                "MsgSeq": i + 1,
                "MsgClientTime": 1764000000,
                "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "长" * 1500}}],
            },
        )
    seq = next(_seq)
    head = bob.head("openim.getroammsg", seq)
    await bob.send_frame({"head": head, "body": {"Peer_Account": "alice", "MaxCnt": 15}})
    while True:
        message = await bob.comm.receive_output(3)
        frame = decode(message["bytes"])
        if frame["head"].get("seq") == seq:
            break
    assert message["bytes"].startswith(b"COMP")
    assert len(frame["body"]["MsgList"]) == 15
    await alice.close()
    await bob.close()


# --- messages and pushes ---


def text_body(to: str, text: str, random: int, seq: int = 1) -> dict[str, Any]:
    return {
        "From_Account": "",
        "To_Account": to,
        "MsgSeq": seq,
        "MsgRandom": random,
        "MsgClientTime": 1764000000,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}],
    }


async def test_send_reaches_peer_and_own_other_socket_never_the_sender(cast):
    alice, alice_two, bob = await online("alice"), await online("alice"), await online("bob")
    sent = await alice.call("openim.sendmsg", text_body("bob", "hi", 77, seq=5))
    assert sent["ErrorCode"] == 0 and sent["MsgSeq"] == 5 and sent["MsgTime"] > 0
    push = await bob.push()
    assert push["head"]["servcmd"] == "im_open_push.msg_push"
    (item,) = push["body"]["EventArray"][0]["C2cMsgArray"]
    assert item["From_Account"] == "alice" and item["To_Account"] == "bob"
    assert item["TinyId"] == alice.tiny and item["MsgRandom"] == 77 and item["MsgSeq"] == 5
    assert item["MsgBody"] == [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}]
    assert item["IsSyncMsg"] == 0 and item["From_AccountNick"] == "Alice"
    sync = await alice_two.push()
    (mine,) = sync["body"]["EventArray"][0]["C2cMsgArray"]
    # The SDK swaps the two of a synced item back.
    assert (mine["IsSyncMsg"], mine["From_Account"], mine["To_Account"]) == (1, "bob", "alice")
    await alice.assert_silent()
    # The message is Hutong's: the same ID on the Hutong protocol.
    message = await Message.objects.aget(random=77)
    assert f"{message.sender_id}-{message.client_time}-{message.random}" == (
        f"{alice.tiny}-1764000000-77"
    )
    for sock in (alice, alice_two, bob):
        await sock.close()


async def test_hutong_protocol_and_timwire_see_each_other(cast):
    """A message from /ws/im/ reaches a TIM socket, and one from TIM reaches /ws/im/, with
    the same unread counts."""
    alice = await IMClient().connect()
    await alice.login("alice", make_sig("alice"), SDKAPPID)
    bob = await online("bob")
    await alice.ok(
        "sendMessage",
        {
            "to": "bob",
            "conversationType": "C2C",
            "type": "TIMCustomElem",
            "payload": {"data": "d", "description": "x", "extension": "y"},
            "random": 5,
            "clientTime": 1764000001,
        },
    )
    push = await bob.push()
    (item,) = push["body"]["EventArray"][0]["C2cMsgArray"]
    assert item["MsgBody"] == [
        {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "d", "Desc": "x", "Ext": "y"}}
    ]
    sync = await bob.call("openim.getmsg", {"Cookie": "", "SyncFlag": 0})
    assert sync["C2CPairUnreadCount"] == [{"From_Account": "alice", "UnreadCount": 1}]
    assert [m["MsgRandom"] for m in sync["MsgList"]] == [5]
    listed = await bob.call("recentcontact.page_get")
    assert [i["To_Account"] for i in listed["SessionItem"]] == ["alice"]
    assert listed["SessionItem"][0]["MsgShow"] == "[自定义消息]"

    await bob.call("openim.sendmsg", text_body("alice", "back", 6))
    received = await alice.push("MESSAGE_RECEIVED")
    assert received["data"][0]["payload"] == {"text": "back"}
    assert received["data"][0]["from"] == "bob"
    read = await bob.call(
        "openim.msgreaded",
        {"C2CMsgReaded": {"Cookie": "", "C2CMsgReadedItem": [{"To_Account": "alice"}]}},
    )
    assert read["ErrorCode"] == 0
    peer_read = await alice.push("MESSAGE_READ_BY_PEER")
    assert peer_read["data"]["conversationID"] == "C2Cbob"
    answer = await alice.ok("getConversationList", {})
    assert [(c["conversationID"], c["unreadCount"]) for c in answer["conversationList"]] == [
        ("C2Cbob", 1)
    ]
    times = await bob.call("openim.get_peer_read_time", {"To_Account": ["alice"]})
    assert times["ReadTime"] == [0]  # alice has read nothing
    await alice.close()
    await bob.close()


async def test_revoke_and_delete_conversation(cast):
    alice, bob = await online("alice"), await online("bob")
    await alice.call("openim.sendmsg", text_body("bob", "oops", 9, seq=3))
    await bob.push()
    info = {"From_Account": "alice", "To_Account": "bob", "MsgSeq": 3, "MsgRandom": 9}
    refused = await bob.call("openim.msgwithdraw", {"MsgInfo": info})
    assert refused["ErrorCode"] != 0  # only the sender recalls a C2C message
    missing = await alice.call("openim.msgwithdraw", {"MsgInfo": {**info, "MsgRandom": 10}})
    assert missing["ErrorCode"] == 10030
    assert (await alice.call("openim.msgwithdraw", {"MsgInfo": info}))["ErrorCode"] == 0
    push = await bob.push()
    notify = push["body"]["EventArray"][0]["C2cNotifyMsgArray"][0]["WithdrawC2cMsgNotify"]
    (withdrawn,) = notify["C2cWithdrawInfoArray"]
    assert (withdrawn["MsgSeq"], withdrawn["MsgRandom"]) == (3, 9)
    assert withdrawn["RevokerInfo"] == {"Revoker": "alice"}
    assert (await Message.objects.aget(random=9)).is_revoked

    bob_two = await online("bob")
    deleted = await bob.call(
        "recentcontact.batch_delete",
        {"ContactItem": [{"Type": 1, "To_Account": "alice"}, {"Type": 1, "To_Account": "carol"}]},
    )
    assert [(r["To_Account"], r["ResultCode"]) for r in deleted["ResultItem"]] == [
        ("alice", 0),
        ("carol", 6004),
    ]
    change = (await bob_two.push())["body"]["EventArray"][0]["RecentContactMod"][0]
    assert change == {
        "PushType": 1,
        "RecentContactDeleteItem": {"RecentContactList": [{"Type": 1, "UserId": "alice"}]},
    }
    assert (await bob.call("recentcontact.page_get"))["SessionItem"] == []
    for sock in (alice, bob, bob_two):
        await sock.close()


async def test_profiles_and_blacklist(cast):
    alice = await online("alice")
    profiles = await alice.call(
        "profile.portrait_get_all",
        {"From_Account": "alice", "UserItem": [{"To_Account": "bob"}, {"To_Account": "nobody"}]},
    )
    (bob,) = profiles["UserProfileItem"]
    tags = {item["Tag"]: item["Value"] for item in bob["ProfileItem"]}
    assert bob["To_Account"] == "bob" and tags["Tag_Profile_IM_Nick"] == "Bob"
    assert "Tag_Profile_IM_Image" in tags
    added = await alice.call("sns.black_list_add", {"To_Account": ["bob"]})
    assert added["ErrorCode"] == 0
    listed = await alice.call("sns.black_list_get", {"StartIndex": 0, "MaxLimited": 100})
    assert listed["BlackListItem"] == [{"To_Account": "bob"}]
    bob_sock = await online("bob")
    refused = await bob_sock.call("openim.sendmsg", text_body("alice", "hi", 12))
    assert refused["ErrorCode"] == 20007
    await alice.close()
    await bob_sock.close()


async def test_kicked_by_a_second_login(cast):
    await App.objects.filter(sdkappid=SDKAPPID).aupdate(max_web_instances=1)
    first = await online("alice")
    second = await online("alice")
    push = await first.push()
    assert push["head"]["servcmd"] == "im_open_status.stat_forceoffline"
    notify = push["body"]["EventArray"][0]["C2cNotifyMsgArray"][0]
    assert notify["KickoutMsgNotify"]["KickType"] == 1
    # The socket stays open: the SDK logs out over it, then keeps it for a next login.
    logout = await first.call("im_open_status.wslogout", {"wslogout_type": 1})
    assert logout["ErrorCode"] == 0
    # Its old ticket names a kicked instance: refused, with why.
    refused = await first.call("recentcontact.page_get")
    assert refused["ErrorCode"] == 6208 and refused["KickType"] == 1
    # The kicked instance may not come back by its ticket.
    back = await TIMSocket(instance=first.instance).connect()
    refused = await back.call("im_open_status.wslogin", a2=first.a2, tinyid=first.tiny)
    assert refused["ErrorCode"] == 6208 and refused["KickType"] == 1
    assert (await second.call("recentcontact.page_get"))["ErrorCode"] == 0
    await second.close()
    await back.close()


async def test_foreign_origin_is_refused(cast):
    comm = WebsocketCommunicator(
        application,
        "/tim/binfo",
        headers=[(b"origin", b"https://evil.example.com"), (b"host", b"testserver")],
    )
    connected, _ = await comm.connect()
    assert connected
    refusal = await comm.receive_output(3)
    assert refusal["type"] == "websocket.send" and "4403" in refusal["text"]
    assert await comm.receive_output(3) == {"type": "websocket.close", "code": 4403}


async def test_profile_change_reaches_a_peer(cast):
    alice, bob = await online("alice"), await online("bob")
    await alice.call("openim.sendmsg", text_body("bob", "hi", 21))
    await bob.push()
    hutong_bob = await IMClient().connect()
    await hutong_bob.login("bob", make_sig("bob"), SDKAPPID)
    await hutong_bob.ok("updateMyProfile", {"nick": "Bobby", "level": 3})
    push = await alice.push()
    (mod,) = push["body"]["EventArray"][0]["ProfileDataMod"]
    assert mod["Profile_Account"] == "bob"
    values = {p["Tag"]: p for p in mod["ProfileList"]}
    assert values["Tag_Profile_IM_Nick"] == {"Tag": "Tag_Profile_IM_Nick", "ValueBytes": "Bobby"}
    assert values["Tag_Profile_IM_Level"] == {"Tag": "Tag_Profile_IM_Level", "ValueNum": 3}
    for client in (alice, bob, hutong_bob):
        await client.close()


def test_a_tim_push_that_fails_to_encode_costs_other_protocols_nothing(cast, monkeypatch):
    from im import events
    from im.events import Event
    from im.results import PeerRead
    from im.serializers import PROTOCOL
    from im.timwire import PROTOCOL as TIMWIRE
    from im.timwire import pushes

    def broken(event, viewer_id):
        raise RuntimeError("a bug in one builder")

    monkeypatch.setitem(pushes.PUSHES, "MESSAGE_READ_BY_PEER", broken)
    event = Event("MESSAGE_READ_BY_PEER", PeerRead("bob", 3, 1764000000))
    frames = events.encode(event, cast["alice"].pk)
    assert frames[TIMWIRE] == ""
    assert json.loads(frames[PROTOCOL])["event"] == "MESSAGE_READ_BY_PEER"


async def test_face_online_only_and_malformed_bodies(cast):
    alice, bob = await online("alice"), await online("bob")
    face = {
        **text_body("bob", "", 31),
        "MsgBody": [{"MsgType": "TIMFaceElem", "MsgContent": {"Index": 3, "Data": "[smile]"}}],
    }
    assert (await alice.call("openim.sendmsg", face))["ErrorCode"] == 0
    (item,) = (await bob.push())["body"]["EventArray"][0]["C2cMsgArray"]
    assert item["MsgBody"] == [
        {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 3, "Data": "[smile]"}}
    ]
    # MsgLifeTime 0 is the SDK's onlineUserOnly: pushed, never stored.
    typing = {**text_body("bob", "typing", 32), "MsgLifeTime": 0}
    assert (await alice.call("openim.sendmsg", typing))["ErrorCode"] == 0
    (item,) = (await bob.push())["body"]["EventArray"][0]["C2cMsgArray"]
    assert item["MsgLifeTime"] == 0 and item["MsgRandom"] == 32
    assert not await Message.objects.filter(random=32).aexists()
    two = {**text_body("bob", "a", 33), "MsgBody": text_body("bob", "a", 33)["MsgBody"] * 2}
    assert (await alice.call("openim.sendmsg", two))["ErrorCode"] == 6017
    image = {
        **text_body("bob", "", 34),
        "MsgBody": [{"MsgType": "TIMImageElem", "MsgContent": {"UUID": "x"}}],
    }
    assert (await alice.call("openim.sendmsg", image))["ErrorCode"] == 6017
    no_random = text_body("bob", "x", 35)
    del no_random["MsgRandom"]
    assert (await alice.call("openim.sendmsg", no_random))["ErrorCode"] == 6017
    too_long = text_body("bob", "x" * 13000, 36)
    assert (await alice.call("openim.sendmsg", too_long))["ErrorCode"] == 80002
    assert not await Message.objects.filter(random__in=[33, 34, 35, 36]).aexists()
    await bob.assert_silent()
    await alice.close()
    await bob.close()
