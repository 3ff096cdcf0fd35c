"""C2C text over /ws/im/: delivery to every connection, resend, and bad input."""

from __future__ import annotations

import json
import logging

import pytest

from im.models import Message
from tests.wsclient import online, text_message

pytestmark = pytest.mark.django_db(transaction=True)


async def test_text_reaches_every_connection_of_receiver_and_senders_others(cast):
    alice1, alice2 = await online("alice"), await online("alice")
    bob1, bob2 = await online("bob"), await online("bob")
    carol = await online("carol")

    text = "你好 <b>bob</b>"
    sent = (await alice1.ok("sendMessage", text_message(text, priority="High")))["message"]
    assert sent["status"] == "success"
    assert sent["flow"] == "out"
    assert sent["conversationID"] == "C2Cbob"
    assert sent["from"] == "alice" and sent["to"] == "bob"
    assert sent["sequence"] == 1
    assert sent["priority"] == "High"
    assert sent["payload"] == {"text": text}
    assert sent["ID"] == f"{cast['alice'].pk}-1764000000-42"

    for bob in (bob1, bob2):
        push = await bob.push("MESSAGE_RECEIVED")
        [received] = push["data"]
        assert received["ID"] == sent["ID"]
        assert received["flow"] == "in"
        assert received["conversationID"] == "C2Calice"
        assert received["payload"] == {"text": text}
        assert received["nick"] == "Alice"
        assert received["isRead"] is False
    [echo] = (await alice2.push("MESSAGE_RECEIVED"))["data"]
    assert echo["ID"] == sent["ID"] and echo["flow"] == "out"
    assert echo["conversationID"] == "C2Cbob"
    # The sending connection has its answer and gets no push; carol gets nothing.
    await alice1.assert_silent()
    await carol.assert_silent()
    for client in (alice1, alice2, bob1, bob2, carol):
        await client.close()


async def test_sequence_counts_per_conversation(cast):
    alice, bob = await online("alice"), await online("bob")
    first = (await alice.ok("sendMessage", text_message("1", random=1)))["message"]
    reply = (await bob.ok("sendMessage", text_message("2", to="alice", random=2)))["message"]
    to_carol = (await alice.ok("sendMessage", text_message("3", to="carol", random=3)))["message"]
    assert (first["sequence"], reply["sequence"], to_carol["sequence"]) == (1, 2, 1)
    await alice.close()
    await bob.close()


async def test_resend_of_stored_message_answers_it_without_duplicate(cast):
    alice, bob = await online("alice"), await online("bob")
    first = (await alice.ok("sendMessage", text_message("once", random=7)))["message"]
    await bob.push("MESSAGE_RECEIVED")
    again = (await alice.ok("sendMessage", text_message("once", random=7)))["message"]
    assert again["ID"] == first["ID"]
    assert again["sequence"] == first["sequence"]
    assert await Message.objects.acount() == 1
    await bob.assert_silent()
    await alice.close()
    await bob.close()


async def test_message_to_self_reaches_other_connections(cast):
    alice1, alice2 = await online("alice"), await online("alice")
    sent = (await alice1.ok("sendMessage", text_message("note", to="alice")))["message"]
    [echo] = (await alice2.push("MESSAGE_RECEIVED"))["data"]
    assert echo["ID"] == sent["ID"]
    assert echo["conversationID"] == "C2Calice"
    await alice1.assert_silent()
    await alice1.close()
    await alice2.close()


BAD_REQUESTS = [
    # (name, raw frame or request dict, expected code)
    ("not-json", "{nope", 60003),
    ("json-array", "[1, 2]", 60003),
    ("unknown-op", {"op": "fly"}, 60002),
    ("op-not-string", {"op": 5}, 60002),
    ("data-not-object", {"op": "sendMessage", "data": [1]}, 6017),
    (
        "missing-to",
        {"op": "sendMessage", "data": {k: v for k, v in text_message("x").items() if k != "to"}},
        6017,
    ),
    ("to-wrong-type", {"op": "sendMessage", "data": text_message("x", to=5)}, 6017),
    ("random-string", {"op": "sendMessage", "data": text_message("x", random="7")}, 6017),
    ("random-bool", {"op": "sendMessage", "data": text_message("x", random=True)}, 6017),
    ("random-negative", {"op": "sendMessage", "data": text_message("x", random=-1)}, 6017),
    ("payload-string", {"op": "sendMessage", "data": {**text_message("x"), "payload": "x"}}, 6017),
    ("text-missing", {"op": "sendMessage", "data": {**text_message("x"), "payload": {}}}, 6017),
    ("text-empty", {"op": "sendMessage", "data": text_message("")}, 6017),
    (
        "text-number",
        {"op": "sendMessage", "data": {**text_message("x"), "payload": {"text": 1}}},
        6017,
    ),
    ("text-too-long", {"op": "sendMessage", "data": text_message("字" * 4097)}, 80002),
    (
        "custom-data-too-long",
        {"op": "sendMessage", "data": text_message("x", cloudCustomData="a" * 12289)},
        80002,
    ),
    ("bad-priority", {"op": "sendMessage", "data": text_message("x", priority="Urgent")}, 6017),
    (
        "unknown-type",
        {"op": "sendMessage", "data": {**text_message("x"), "type": "TIMBogus"}},
        6017,
    ),
    (
        "unknown-group",
        {"op": "sendMessage", "data": {**text_message("x"), "conversationType": "GROUP"}},
        10010,
    ),
    (
        "bad-conversation-type",
        {"op": "sendMessage", "data": {**text_message("x"), "conversationType": "TOPIC"}},
        6004,
    ),
    ("unknown-receiver", {"op": "sendMessage", "data": text_message("x", to="mallory")}, 20003),
    (
        "frame-too-large",
        json.dumps({"op": "sendMessage", "data": text_message("a" * 70000)}),
        93000,
    ),
]


@pytest.mark.parametrize(
    ("frame", "code"),
    [(f, c) for _, f, c in BAD_REQUESTS],
    ids=[name for name, _, _ in BAD_REQUESTS],
)
async def test_bad_input_gets_tim_code_and_changes_nothing(cast, caplog, frame, code):
    alice, bob = await online("alice"), await online("bob")
    caplog.set_level(logging.INFO)
    if isinstance(frame, dict):
        frame = json.dumps({"id": 99, **frame})
        expected_id = 99
    else:
        expected_id = None
    await alice.send_raw(frame)
    reply = await alice.answer(expected_id)
    assert reply["code"] == code, reply
    assert isinstance(reply["message"], str) and reply["message"]
    assert await Message.objects.acount() == 0
    await bob.assert_silent()
    # The connection stays usable and the log carries no traceback.
    assert (await alice.ok("heartbeat"))["serverTime"] > 0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    await alice.close()
    await bob.close()


async def test_binary_frame_is_refused_and_connection_stays(cast):
    alice = await online("alice")
    await alice.send_raw(data=b"\x00\x01")
    reply = await alice.answer(None)
    assert reply["code"] == 60003
    assert (await alice.ok("heartbeat"))["serverTime"] > 0
    await alice.close()


async def test_custom_and_face_messages_are_delivered(cast):
    alice, bob = await online("alice"), await online("bob")
    custom = {
        **text_message("x", random=1),
        "type": "TIMCustomElem",
        "payload": {"data": '{"order": 7}', "description": "订单", "extension": "e"},
    }
    face = {
        **text_message("x", random=2),
        "type": "TIMFaceElem",
        "payload": {"index": 3, "data": "tt00"},
    }
    await alice.ok("sendMessage", custom)
    await alice.ok("sendMessage", face)
    [got_custom] = (await bob.push("MESSAGE_RECEIVED"))["data"]
    [got_face] = (await bob.push("MESSAGE_RECEIVED"))["data"]
    assert got_custom["type"] == "TIMCustomElem"
    assert got_custom["payload"] == {
        "data": '{"order": 7}',
        "description": "订单",
        "extension": "e",
    }
    assert got_face["type"] == "TIMFaceElem"
    assert got_face["payload"] == {"index": 3, "data": "tt00"}
    await alice.close()
    await bob.close()


@pytest.mark.parametrize(
    ("msg_type", "payload", "code"),
    [
        ("TIMCustomElem", {}, 6017),
        ("TIMCustomElem", {"data": 5}, 6017),
        ("TIMCustomElem", {"data": "x" * 12289}, 80002),
        ("TIMFaceElem", {"index": "3"}, 6017),
        ("TIMFaceElem", {"index": -1}, 6017),
        ("TIMGroupTipElem", {"operationType": 1}, 6017),
    ],
    ids=[
        "custom-empty",
        "custom-data-number",
        "custom-too-long",
        "face-index-string",
        "face-negative",
        "tip-from-client",
    ],
)
async def test_bad_custom_and_face_payloads(cast, msg_type, payload, code):
    alice = await online("alice")
    reply = await alice.request(
        "sendMessage", {**text_message("x"), "type": msg_type, "payload": payload}
    )
    assert reply["code"] == code, reply
    assert await Message.objects.acount() == 0
    await alice.close()
