"""Third-party callbacks (TIM's webhooks) against a back end on loopback: before-callbacks
that refuse or change an action, fail-open and fail-closed when the back end is down,
after-callbacks sent once each with retries, and that waiting for a back end holds up no
one else."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async

from im import hooks
from im.models import App, CallbackFailure, Group, GroupMember, Message
from im.services.apps import do_upsert_app
from tests.backend import Answer, Backend, Call, allow
from tests.conftest import SDKAPPID
from tests.test_timwire_frames import online as tim_online
from tests.test_timwire_frames import text_body
from tests.test_ws_groups import create_group, group_text
from tests.wsclient import assert_all_silent, online, text_message, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = 10016
TOKEN = "callback-token-1"


def refuse_word(call: Call) -> tuple[int, dict]:
    """Refuse a message whose text holds 'forbidden'; let everything else through."""
    texts = [e["MsgContent"].get("Text", "") for e in call.body.get("MsgBody", [])]
    if any("forbidden" in text for text in texts):
        return 200, {"ActionStatus": "OK", "ErrorCode": 1, "ErrorInfo": "no bad words here"}
    return allow(call)


@pytest.fixture
def backend() -> Iterator[Backend]:
    server = Backend().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_callbacks() -> Iterator[None]:
    hooks.forget_config()
    hooks.discard_backlog()
    yield
    hooks.discard_backlog()


async def wants(backend: Backend, *commands: str, fail_closed: bool = False, url: str = "") -> None:
    await sync_to_async(do_upsert_app)(
        sdkappid=SDKAPPID,
        callback_url=url or backend.url,
        callback_token=TOKEN,
        callback_commands=list(commands),
        callback_fail_closed=fail_closed,
    )


async def test_a_refused_c2c_message_is_neither_stored_nor_delivered(cast, backend):
    backend.answer = refuse_word
    await wants(backend, hooks.C2C_BEFORE_SEND)
    alice, bob = await online("alice"), await online("bob")
    refused = await alice.request("sendMessage", text_message("a forbidden word", random=1))
    assert (refused["code"], refused["message"]) == (REFUSED, "no bad words here")
    assert not await Message.objects.aexists()
    sent = await alice.ok("sendMessage", text_message("a kind word", random=2))
    [pushed] = (await bob.push("MESSAGE_RECEIVED"))["data"]
    assert pushed["ID"] == sent["message"]["ID"]
    await assert_all_silent(bob)
    [asked, _] = backend.received(hooks.C2C_BEFORE_SEND)
    assert asked.body["From_Account"] == "alice" and asked.body["To_Account"] == "bob"
    assert asked.body["MsgBody"] == [
        {"MsgType": "TIMTextElem", "MsgContent": {"Text": "a forbidden word"}}
    ]
    assert asked.body["MsgRandom"] == 1 and asked.body["CallbackCommand"] == hooks.C2C_BEFORE_SEND
    # TIM's query string, signed with the app's token.
    query = asked.query
    assert (query["SdkAppid"], query["contenttype"], query["OptPlatform"]) == (
        str(SDKAPPID),
        "json",
        "Web",
    )
    assert query["Sign"] == hashlib.sha256((TOKEN + query["RequestTime"]).encode()).hexdigest()
    for client in (alice, bob):
        await client.close()


async def test_a_refused_group_message_reaches_nobody(cast, backend):
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    group = await create_group(alice, ["bob", "carol"], joined=(bob, carol))
    for client in (alice, bob, carol):
        client.pushes.clear()
    backend.answer = refuse_word
    await wants(backend, hooks.GROUP_BEFORE_SEND)
    refused = await bob.request("sendMessage", group_text(group["groupID"], "forbidden!", random=3))
    assert (refused["code"], refused["message"]) == (REFUSED, "no bad words here")
    await assert_all_silent(alice, carol)
    assert not await Message.objects.filter(type="TIMTextElem").aexists()
    [asked] = backend.received(hooks.GROUP_BEFORE_SEND)
    assert (asked.body["GroupId"], asked.body["From_Account"]) == (group["groupID"], "bob")
    for client in (alice, bob, carol):
        await client.close()


async def test_the_back_end_may_change_the_message_or_refuse_with_its_own_code(cast, backend):
    def answer(call: Call) -> tuple[int, dict]:
        text = call.body["MsgBody"][0]["MsgContent"]["Text"]
        if text == "secret":
            return 200, {"ErrorCode": 120005, "ErrorInfo": "secrets stay home"}
        return 200, {
            "ErrorCode": 0,
            "MsgBody": [
                {"MsgType": "TIMTextElem", "MsgContent": {"Text": text.replace("darn", "****")}}
            ],
            "CloudCustomData": "checked",
        }

    backend.answer = answer
    await wants(backend, hooks.C2C_BEFORE_SEND)
    alice, bob = await online("alice"), await online("bob")
    sent = (await alice.ok("sendMessage", text_message("darn it", random=1)))["message"]
    assert (sent["payload"], sent["cloudCustomData"]) == ({"text": "**** it"}, "checked")
    [pushed] = (await bob.push("MESSAGE_RECEIVED"))["data"]
    assert pushed["payload"] == {"text": "**** it"}
    refused = await alice.request("sendMessage", text_message("secret", random=2))
    assert (refused["code"], refused["message"]) == (120005, "secrets stay home")
    for client in (alice, bob):
        await client.close()


async def test_a_silent_back_end_lets_messages_through_after_two_seconds(cast, backend):
    backend.answer = lambda call: None  # never answers in time
    await wants(backend, hooks.C2C_BEFORE_SEND)
    alice, bob = await online("alice"), await online("bob")
    started = time.monotonic()
    await alice.ok("sendMessage", text_message("anyone there?", random=1))
    assert 1.9 < time.monotonic() - started < 3.5
    await bob.push("MESSAGE_RECEIVED")
    failure = await CallbackFailure.objects.aget()
    assert (failure.command, failure.attempts) == (hooks.C2C_BEFORE_SEND, 1)
    for client in (alice, bob):
        await client.close()


async def test_fail_closed_refuses_when_the_back_end_is_down(cast, backend):
    url = backend.url
    backend.stop()  # nothing listens there any more
    await wants(backend, hooks.C2C_BEFORE_SEND, fail_closed=True, url=url)
    alice, bob = await online("alice"), await online("bob")
    refused = await alice.request("sendMessage", text_message("hello?", random=1))
    assert refused["code"] == REFUSED and "fail-closed" in refused["message"]
    await assert_all_silent(bob)
    assert not await Message.objects.aexists()
    for client in (alice, bob):
        await client.close()


async def test_waiting_for_a_back_end_holds_up_no_one_else(cast, backend):
    def slow(call: Call) -> tuple[int, dict]:
        time.sleep(1.5)
        return allow(call)

    backend.answer = slow
    await wants(backend, hooks.C2C_BEFORE_SEND)
    alice, carol = await online("alice"), await online("carol")
    sending = asyncio.ensure_future(alice.ok("sendMessage", text_message("slow", random=1)))
    await asyncio.sleep(0.2)  # alice's send is waiting for the back end now
    started = time.monotonic()
    await carol.ok("getConversationList")
    assert time.monotonic() - started < 0.5
    await sending
    for client in (alice, carol):
        await client.close()


def slowly(answer: Answer, seconds: float = 1.5) -> Answer:
    def slow(call: Call) -> tuple[int, dict] | None:
        time.sleep(seconds)
        return answer(call)

    return slow


def starred(call: Call) -> tuple[int, dict]:
    """Let the message through with its 'darn's starred out."""
    text = call.body["MsgBody"][0]["MsgContent"]["Text"]
    body = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text.replace("darn", "****")}}]
    return 200, {"ErrorCode": 0, "MsgBody": body}


async def test_a_callback_turned_on_after_login_is_asked_and_holds_up_no_one(cast, im_app, backend):
    """Sessions route by the app they read at login, so alice's send is committed with
    others'; once it comes to the back end the app wants asked now, it leaves the batch
    and waits where it holds up no other send."""
    # One token each, a second to refill: a send that took it twice would be refused.
    await App.objects.filter(pk=im_app.pk).aupdate(send_rate=1, send_burst=1)
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    group = await create_group(carol, ["bob"], joined=(bob,))
    for client in (alice, bob, carol):
        client.pushes.clear()
    backend.answer = slowly(starred)
    # As an operator does, by saving the app: this process forgets its settings.
    await wants(backend, hooks.C2C_BEFORE_SEND)
    sending = asyncio.ensure_future(alice.ok("sendMessage", text_message("darn it", random=1)))
    await asyncio.sleep(0.3)  # alice's send is waiting for the back end now
    started = time.monotonic()
    await carol.ok("sendMessage", group_text(group["groupID"], "meanwhile", random=2))
    assert time.monotonic() - started < 0.5
    assert not sending.done()
    sent = (await sending)["message"]
    assert sent["payload"] == {"text": "**** it"}
    [asked] = backend.received(hooks.C2C_BEFORE_SEND)
    assert asked.body["MsgBody"][0]["MsgContent"] == {"Text": "darn it"}
    assert [m.payload async for m in Message.objects.filter(random=1)] == [{"text": "**** it"}]
    heard = [(await bob.push("MESSAGE_RECEIVED"))["data"][0] for _ in range(2)]
    assert [(m["from"], m["payload"]) for m in heard] == [
        ("carol", {"text": "meanwhile"}),
        ("alice", {"text": "**** it"}),
    ]
    await assert_all_silent(bob)
    # Her next send knows the back end wants asking: asked once more, stored once more.
    await asyncio.sleep(1)  # her bucket's token back
    await alice.ok("sendMessage", text_message("darn again", random=3))
    assert len(backend.received(hooks.C2C_BEFORE_SEND)) == 2
    assert await Message.objects.filter(sender__user_id="alice").acount() == 2
    for client in (alice, bob, carol):
        await client.close()


async def test_a_callback_turned_on_after_login_refuses_over_tims_wire(cast, backend):
    alice, bob = await tim_online("alice"), await tim_online("bob")
    carol = await online("carol")
    group = await create_group(carol, [])
    backend.answer = slowly(refuse_word)
    await wants(backend, hooks.C2C_BEFORE_SEND)
    sending = asyncio.ensure_future(
        alice.call("openim.sendmsg", text_body("bob", "a forbidden word", 1))
    )
    await asyncio.sleep(0.3)
    started = time.monotonic()
    await carol.ok("sendMessage", group_text(group["groupID"], "meanwhile", random=2))
    assert time.monotonic() - started < 0.5
    refused = await sending
    assert (refused["ErrorCode"], refused["ErrorInfo"]) == (REFUSED, "no bad words here")
    [asked] = backend.received(hooks.C2C_BEFORE_SEND)
    assert asked.body["From_Account"] == "alice" and asked.body["To_Account"] == "bob"
    assert not await Message.objects.filter(sender__user_id="alice").aexists()
    await bob.assert_silent()
    for sock in (alice, bob):
        await sock.close()
    await carol.close()


async def test_sends_the_current_settings_do_not_hook_ask_nobody(cast, backend):
    """Whatever the sessions read at login: alice's when C2C sends were asked about,
    bob's when nothing was."""
    await wants(backend, hooks.C2C_BEFORE_SEND)
    alice = await online("alice")
    await sync_to_async(do_upsert_app)(sdkappid=SDKAPPID, callback_commands=[])
    bob = await online("bob")
    await alice.ok("sendMessage", text_message("to bob", random=1))
    await bob.ok("sendMessage", text_message("to alice", to="alice", random=2))
    await asyncio.sleep(0.3)
    assert backend.calls == []
    assert await Message.objects.acount() == 2
    for client in (alice, bob):
        await client.close()


async def test_after_send_arrives_once_each_though_the_first_attempts_fail(cast, backend):
    seen: set[int] = set()

    def flaky(call: Call) -> tuple[int, dict]:
        if call.body["MsgRandom"] not in seen:  # each message's first attempt fails
            seen.add(call.body["MsgRandom"])
            return 500, {}
        return allow(call)

    backend.answer = flaky
    await wants(backend, hooks.C2C_AFTER_SEND)
    alice = await online("alice")
    for random in range(1, 101):
        await alice.ok("sendMessage", text_message(f"m{random}", random=random))

    def delivered() -> list[Call]:
        return backend.received(hooks.C2C_AFTER_SEND)

    await wait_for(sync_to_async(lambda: len(delivered()) >= 100), timeout=20)
    await asyncio.sleep(0.5)  # and no more come
    keys = [call.body["MsgKey"] for call in delivered()]
    assert len(keys) == 100 == len(set(keys))
    assert {call.body["MsgRandom"] for call in delivered()} == set(range(1, 101))
    assert len(backend.received(hooks.C2C_AFTER_SEND, status=500)) == 100
    stored = {m.random: m async for m in Message.objects.all()}
    first = next(c for c in delivered() if c.body["MsgRandom"] == 1)
    assert first.body["MsgSeq"] == stored[1].seq and first.body["To_Account"] == "bob"
    assert hooks.backlog_size() == 0
    assert not await CallbackFailure.objects.aexists()
    await alice.close()


async def test_group_before_callbacks_refuse_create_join_and_invite(cast, backend):
    def answer(call: Call) -> tuple[int, dict]:
        if call.command == hooks.GROUP_BEFORE_CREATE and call.body["Name"] == "nope":
            return 200, {"ErrorCode": 1, "ErrorInfo": "no such name"}
        if call.command == hooks.GROUP_BEFORE_APPLY and call.body["Requestor_Account"] == "carol":
            return 200, {"ErrorCode": 1, "ErrorInfo": "carol waits"}
        if call.command == hooks.GROUP_BEFORE_INVITE:
            return 200, {"ErrorCode": 1, "ErrorInfo": "no invitations today"}
        return allow(call)

    backend.answer = answer
    await wants(
        backend, hooks.GROUP_BEFORE_CREATE, hooks.GROUP_BEFORE_APPLY, hooks.GROUP_BEFORE_INVITE
    )
    alice, carol = await online("alice"), await online("carol")
    refused = await alice.request("createGroup", {"name": "nope", "type": "Public"})
    assert (refused["code"], refused["message"]) == (REFUSED, "no such name")
    assert not await Group.objects.aexists()
    group = (await alice.ok("createGroup", {"name": "tea", "type": "Private"}))["group"]
    [asked, _] = backend.received(hooks.GROUP_BEFORE_CREATE)
    assert (asked.body["Owner_Account"], asked.body["Type"]) == ("alice", "Public")
    refused = await alice.request(
        "addGroupMember", {"groupID": group["groupID"], "userIDList": ["bob"]}
    )
    assert (refused["code"], refused["message"]) == (REFUSED, "no invitations today")
    [invited] = backend.received(hooks.GROUP_BEFORE_INVITE)
    assert invited.body["DestinationMembers"] == [{"Member_Account": "bob"}]
    public = (await alice.ok("createGroup", {"name": "hall", "type": "Public"}))["group"]
    refused = await carol.request("joinGroup", {"groupID": public["groupID"]})
    assert (refused["code"], refused["message"]) == (REFUSED, "carol waits")
    members = GroupMember.objects.filter(group__group_id__in=[group["groupID"], public["groupID"]])
    assert [m async for m in members.values_list("account__user_id", flat=True)] == [
        "alice",
        "alice",
    ]
    for client in (alice, carol):
        await client.close()


async def test_after_callbacks_tell_of_groups_and_logins(cast, backend):
    await wants(
        backend,
        hooks.GROUP_AFTER_CREATE,
        hooks.GROUP_AFTER_JOIN,
        hooks.GROUP_AFTER_EXIT,
        hooks.GROUP_AFTER_SEND,
        hooks.STATE_CHANGE,
    )
    alice, bob = await online("alice"), await online("bob")
    group = await create_group(alice, ["bob"], joined=(bob,))
    await bob.ok("sendMessage", group_text(group["groupID"], "hi", random=5))
    await bob.ok("quitGroup", {"groupID": group["groupID"]})
    await bob.ok("logout")
    expected = {
        hooks.GROUP_AFTER_CREATE: 1,
        hooks.GROUP_AFTER_SEND: 1,
        hooks.GROUP_AFTER_EXIT: 1,
        hooks.STATE_CHANGE: 3,  # alice's and bob's logins, bob's logout
    }

    async def all_arrived() -> bool:
        return all(len(backend.received(c)) >= n for c, n in expected.items())

    await wait_for(all_arrived, timeout=10)
    [created] = backend.received(hooks.GROUP_AFTER_CREATE)
    assert created.body["GroupId"] == group["groupID"]
    assert created.body["MemberList"] == [{"Member_Account": "bob"}]
    [sent] = backend.received(hooks.GROUP_AFTER_SEND)
    assert (sent.body["From_Account"], sent.body["MsgBody"]) == (
        "bob",
        [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}],
    )
    [left] = backend.received(hooks.GROUP_AFTER_EXIT)
    assert (left.body["ExitType"], left.body["ExitMemberList"]) == (
        "Quit",
        [{"Member_Account": "bob"}],
    )
    states = [
        (c.body["Info"]["To_Account"], c.body["Info"]["Action"])
        for c in backend.received(hooks.STATE_CHANGE)
    ]
    assert sorted(states) == [("alice", "Login"), ("bob", "Login"), ("bob", "Logout")]
    await alice.close()
    await bob.close()


async def test_an_app_without_callbacks_calls_nobody(cast, backend):
    alice = await online("alice")
    await alice.ok("sendMessage", text_message("quiet", random=1))
    await alice.ok("createGroup", {"name": "g", "type": "Public"})
    await asyncio.sleep(0.3)
    assert backend.calls == []
    assert (await App.objects.aget(sdkappid=SDKAPPID)).callback_url == ""
    await alice.close()
