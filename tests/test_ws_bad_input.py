"""Bad input over a real WebSocket (daphne): every frame is answered with a parameter
error naming no traceback, nothing is stored, and the connection still answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bench.client import Conn, Pushes
from im.models import Account, Group, Message
from tests.conftest import SDKAPPID, make_sig
from tests.live import net_online

pytestmark = pytest.mark.django_db(transaction=True)

DEEP = 2000  # past Python's recursion limit: the parser itself gives up
BIG = 2**63  # one past a signed 64-bit column
LONE = "\ud800"  # a lone UTF-16 surrogate: sent escaped, as JSON allows


@dataclass(frozen=True)
class Case:
    name: str
    frame: Callable[[int], str]  # the raw text, given the request id to use
    code: int
    echoes_id: bool = True  # False: the frame cannot be read far enough to find its id


def request(op: str, data: Any) -> Callable[[int], str]:
    # ensure_ascii (the default) escapes a lone surrogate as JSON text may.
    return lambda rid: json.dumps({"id": rid, "op": op, "data": data})


def nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def raw(rest: str) -> Callable[[int], str]:
    """A frame written by hand: ``rest`` follows its ``"id"`` member."""
    return lambda rid: f'{{"id": {rid}, {rest}}}'


deep_frame = raw(f'"op": "heartbeat", "data": {{"x": {"[" * DEEP}1{"]" * DEEP}}}')


def text(body: str = "hi", **fields: Any) -> dict[str, Any]:
    return {
        "to": "bob",
        "conversationType": "C2C",
        "type": "TIMTextElem",
        "payload": {"text": body},
        "random": 1,
        "clientTime": 1764000000,
        **fields,
    }


def login(**fields: Any) -> dict[str, Any]:
    return {"SDKAppID": SDKAPPID, "userID": "alice", "userSig": make_sig("alice"), **fields}


BEFORE_LOGIN = [
    Case("2,000 levels of nesting", deep_frame, 6017, echoes_id=False),
    Case("40 levels inside data", request("heartbeat", {"x": nested(40)}), 6017),
    Case("NaN, not JSON", raw('"op": "heartbeat", "x": NaN'), 60003),
    Case("1e400 (infinite)", raw('"op": "heartbeat", "x": 1e400'), 6017),
    Case("an integer of 5,000 digits", raw('"op": "heartbeat", "x": ' + "9" * 5000), 6017),
    Case("a lone surrogate in userID", request("login", login(userID="al" + LONE)), 6017),
    Case("NUL in userID", request("login", login(userID="ali\x00ce")), 6017),
    Case("a lone surrogate in a key", request("login", {**login(), LONE: 1}), 6017),
    Case("SDKAppID 2^64", request("login", login(SDKAppID=2**64)), 6017),
    Case("SDKAppID of 5,000 digits", request("login", login(SDKAppID="9" * 5000)), 6017),
    Case(
        "UserSig expiring at 2^70",
        request("login", login(userSig=make_sig("alice", expire=2**70))),
        70003,
    ),
    Case(
        "a lone surrogate as the id",
        lambda rid: '{"id": "\\ud800", "op": "heartbeat"}',
        6017,
        echoes_id=False,
    ),
]

AFTER_LOGIN = [
    Case("2,000 levels of nesting", deep_frame, 6017, echoes_id=False),
    Case("a lone surrogate in a text", request("sendMessage", text("a" + LONE)), 6017),
    Case("NUL in a text", request("sendMessage", text("a\x00b")), 6017),
    Case("NUL in the receiver", request("sendMessage", text(to="bo\x00b")), 6017),
    Case("clientTime 2^63", request("sendMessage", text(clientTime=BIG)), 6017),
    Case("clientSequence 2^64", request("sendMessage", text(clientSequence=2**64)), 6017),
    Case("random -2^64", request("sendMessage", text(random=-(2**64))), 6017),
    Case(
        "a custom message's data nested 40 deep",
        request("sendMessage", text(type="TIMCustomElem", payload={"data": nested(40)})),
        6017,
    ),
    Case(
        "maxMemberNum 2^40",
        request("createGroup", {"name": "g", "type": "Public", "maxMemberNum": 2**40}),
        10004,
    ),
    Case(
        "maxMemberNum 2^63",
        request("createGroup", {"name": "g", "type": "Public", "maxMemberNum": BIG}),
        6017,
    ),
    Case(
        "a lone surrogate in a group name",
        request("createGroup", {"name": LONE, "type": "Public"}),
        6017,
    ),
    Case(
        "NUL in a groupID",
        request("createGroup", {"name": "g", "type": "Public", "groupID": "g\x00"}),
        6017,
    ),
    Case(
        "a message ID with a 4,300-digit part",
        request("revokeMessage", {"conversationID": "C2Cbob", "ID": "1-1-" + "9" * 4300}),
        10030,
    ),
    Case(
        "a message ID past 64 bits",
        request("revokeMessage", {"conversationID": "C2Cbob", "ID": f"1-{BIG}-1"}),
        10030,
    ),
    Case(
        "a history cursor with a 4,300-digit part",
        request(
            "getMessageList", {"conversationID": "C2Cbob", "nextReqMessageID": "9" * 4300 + "-1-1"}
        ),
        10030,
    ),
    Case("a lone surrogate in a nick", request("updateMyProfile", {"nick": LONE}), 6017),
    Case("NUL in a signature", request("updateMyProfile", {"selfSignature": "\x00"}), 6017),
    Case(
        "a lone surrogate in a custom profile value",
        request(
            "updateMyProfile",
            {"profileCustomField": [{"key": "Tag_Profile_Custom_a", "value": LONE}]},
        ),
        6017,
    ),
    Case(
        "a lone surrogate in a conversationID",
        request("getMessageList", {"conversationID": "C2C" + LONE}),
        6017,
    ),
]


async def answer_to(client: Conn, case: Case, rid: int) -> dict[str, Any]:
    answered = client.expect(rid if case.echoes_id else None)
    await client._send(case.frame(rid))
    return await client._until(answered, 10)


async def check_cases(client: Conn, cases: list[Case]) -> None:
    for rid, case in enumerate(cases, start=1000):
        answer = await answer_to(client, case, rid)
        assert answer["code"] == case.code, (case.name, answer)
        assert "Traceback" not in answer["message"] and answer["message"], case.name
        beat = await client.request("heartbeat")
        assert beat["code"] == 0, (case.name, beat)  # the connection lives on


async def test_every_bad_frame_is_answered_and_the_connection_lives(cast, live):
    bob = await net_online(live.ws_url, "bob")
    client = await Conn(live.ws_url, Pushes()).connect()

    await check_cases(client, BEFORE_LOGIN)
    await client.login("alice", make_sig("alice"), SDKAPPID)
    await check_cases(client, AFTER_LOGIN)

    assert not await Message.objects.aexists()
    assert not await Group.objects.aexists()
    alice = await Account.objects.aget(user_id="alice")
    assert (alice.nick, alice.self_signature, alice.profile_custom_fields) == ("Alice", "", {})
    assert bob.pushes.empty(), bob.pushes
    # Still the same good connection: a real message goes through.
    sent = await client.ok("sendMessage", text("still here"))
    assert sent["message"]["payload"] == {"text": "still here"}
    assert (await bob.push("MESSAGE_RECEIVED"))["data"][0]["payload"]["text"] == "still here"
    await client.close()
    await bob.close()


async def test_frame_sizes(cast, live):
    """Up to daphne's 1 MiB message limit the server answers 93000 and the connection
    lives; past it daphne drops the connection unread, with no close frame (1006)."""
    client = await net_online(live.ws_url, "alice")
    filler = "x" * (1024 * 1024 - 100)
    answered = client.expect(None)
    await client._send(json.dumps({"id": 1, "op": "heartbeat", "data": {"x": filler}}))
    answer = await client._until(answered, 10)
    assert answer["code"] == 93000 and "limit is 65536" in answer["message"], answer["message"]
    assert (await client.request("heartbeat"))["code"] == 0

    await client._send("x" * (1024 * 1024 + 1))
    assert await client.wait_closed(10) == 1006
