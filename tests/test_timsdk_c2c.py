"""Tencent's own tim-js-sdk (2.27.6, unmodified, in Node with ``ws``) against a live
daphne over TIM's wire protocol (/tim/binfo, and /tim/info in the SDK's devMode): each
step asserts the SDK's own results and events, then what Hutong's own protocol sees of
the same conversation."""

from __future__ import annotations

import asyncio

import pytest

from im.models import Message
from tests.conftest import SDKAPPID, allow_instances, make_sig
from tests.live import LiveServer, net_online
from tests.timsdk_driver import proxy_server, run_scenario

pytestmark = pytest.mark.django_db(transaction=True)

HISTORY = [f"m{i}" for i in range(1, 19)]


def config(live, *users: str, **extra) -> dict:
    return {
        "sdkappid": SDKAPPID,
        "proxyServer": proxy_server(live.url),
        "sigs": {uid: make_sig(uid) for uid in users},
        **extra,
    }


@pytest.mark.parametrize("dev_mode", [False, True], ids=["binfo", "info"])
async def test_c2c_between_two_sdk_users(live, cast, dev_mode):
    facts = await run_scenario("c2c", config(live, "alice", "bob", devMode=dev_mode))

    assert facts["aliceLogin"] == 0 and facts["bobLogin"] == 0
    # Every call the SDK made on its own was answered to its liking.
    assert facts["unhandledRejections"] == []
    assert facts["aliceConversationsBefore"] == []
    # Text: the ID the sender's SDK made is the one the receiver's SDK shows.
    sent = facts["textSent"]
    assert sent["code"] == 0 and sent["status"] == "success"
    assert facts["textReceived"] == {
        "ID": sent["ID"],
        "from": "alice",
        "to": "bob",
        "flow": "in",
        "type": "TIMTextElem",
        "text": "你好 bob",
        "nick": "Alice",
        "conversationID": "C2Calice",
    }
    assert facts["bobUnreadAfterText"] == 1
    assert facts["customSent"]["code"] == 0
    assert facts["customReceived"] == {
        "ID": facts["customSent"]["ID"],
        "type": "TIMCustomElem",
        "payload": {"data": '{"order":42}', "description": "an order", "extension": "ext"},
        "from": "bob",
    }
    # A second instance of bob: its list and unread count come from the server.
    assert facts["bob2Conversation"] == {
        "unreadCount": len(HISTORY) + 1,
        "lastText": HISTORY[-1],
        "peerNick": "Alice",
    }
    first, second = facts["historyPages"]
    assert first == {"texts": HISTORY[-15:], "isCompleted": False}
    assert second == {"texts": ["你好 bob", '{"order":42}', *HISTORY[:-15]], "isCompleted": True}
    assert facts["historyFlows"].count("out") == 1  # bob's own custom message
    assert facts["readCode"] == 0
    assert facts["bobUnreadAfterRead"] == 0 and facts["bob2UnreadAfterRead"] == 0
    assert facts["alicePeerRead"] is True
    assert facts["revoke"] == {"code": 0, "isRevoked": True}
    assert facts["bobRevoked"] == [{"ID": facts["oopsID"], "isRevoked": True}]

    # The same messages are Hutong's: stored once, seen by its own protocol.
    stored = Message.objects.filter(conversation__kind="C2C").order_by("seq")
    texts = [m.payload.get("text") or m.payload.get("data") async for m in stored]
    assert texts == ["你好 bob", '{"order":42}', *HISTORY, "oops"]
    bob = await net_online(live.ws_url, "bob")
    listed = (await bob.ok("getConversationList", {}))["conversationList"]
    # Read up to the recall's message, which came after the read.
    assert [(c["conversationID"], c["unreadCount"]) for c in listed] == [("C2Calice", 1)]
    assert listed[0]["lastMessage"]["isRevoked"] is True
    page = await bob.ok("getMessageList", {"conversationID": "C2Calice"})
    assert page["messageList"][-1]["ID"] == facts["oopsID"]
    assert page["messageList"][0]["ID"] != sent["ID"]  # 15 a page: the first is older
    await bob.close()


async def test_kicked_by_a_second_login_and_by_sig_expiry(live, cast):
    await allow_instances(1)
    server = proxy_server(live.url)
    facts = await run_scenario(
        "kick",
        {
            **config(live, "alice"),
            "proxyServers": [server, server],
            "shortSig": make_sig("bob", expire=10),
        },
    )
    assert facts["kickedType"] == facts["kickedTypeExpected"] == "multipleAccount"
    assert facts["secondStillWorks"] == 0
    assert facts["firstRefused"] == 3003  # the SDK's own: not ready, kicked (multi-account)
    assert facts["expiredType"] == facts["expiredTypeExpected"] == "userSigExpired"
    # What the kicked SDKs still tried, refused: not logged in (2024, the SDK's own), the
    # kicked instance's re-login (6208) and the expired session's (70001).
    assert set(facts["unhandledRejections"]) <= {2024, 6208, 70001}


async def test_kicked_by_a_login_on_another_process(live_pair, cast):
    await allow_instances(1)
    one, two = live_pair
    facts = await run_scenario(
        "kick",
        {
            "sdkappid": SDKAPPID,
            "sigs": {"alice": make_sig("alice")},
            "proxyServers": [proxy_server(one.url), proxy_server(two.url)],
        },
    )
    assert facts["kickedType"] == "multipleAccount"
    assert facts["secondStillWorks"] == 0


async def test_sdks_log_in_again_by_a2_after_the_server_restarts(transactional_db, cast):
    """A new process verifies the tickets the old one issued: the SDKs' re-login sends
    only a2 and tinyid."""
    servers = [LiveServer().start()]

    async def restart(step: str) -> None:
        assert step == "restart"
        port = servers[-1].port
        servers[-1].stop()
        servers.append(await asyncio.to_thread(LiveServer(port=port).start))

    try:
        facts = await run_scenario("restart", config(servers[0], "alice", "bob"), on_step=restart)
    finally:
        for server in servers:
            server.stop()
    assert facts["reconnected"] is True
    assert facts["sentAfter"] == 0
    assert facts["receivedAfter"]["text"] == "after"
    assert facts["receivedAfter"]["ID"] == facts["receivedAfter"]["sentID"]
    assert facts["kicked"] is False
    assert facts["unhandledRejections"] == []
