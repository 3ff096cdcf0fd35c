"""How often and how much: an account's send rate across its connections (and across
server processes, through Redis), the app's cap on a message's stored size, and logins
per network address."""

from __future__ import annotations

import asyncio

import pytest

from bench.client import Conn, Pushes
from im.models import App, Message
from tests.conftest import SDKAPPID, make_sig
from tests.live import LiveServer, net_online, sharing_redis
from tests.wsclient import assert_all_silent, online, text_message, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

RATE_LIMITED, TOO_LONG = 2996, 80002


async def sends(client, text: str, *, random: int) -> bool:
    answer = await client.request("sendMessage", text_message(text, random=random))
    assert answer["code"] in (0, RATE_LIMITED), answer
    return answer["code"] == 0


async def limit(app: App, **fields) -> None:
    await App.objects.filter(pk=app.pk).aupdate(**fields)


async def test_an_accounts_sends_share_one_bucket_across_its_connections(cast, im_app):
    await limit(im_app, send_rate=2, send_burst=3)
    laptop, phone = await online("alice"), await online("alice")
    bob, carol = await online("bob"), await online("carol")
    for random, client in ((1, laptop), (2, phone), (3, laptop)):
        await client.ok("sendMessage", text_message(f"m{random}", random=random))
    refused = await phone.request("sendMessage", text_message("m4", random=4))
    assert refused["code"] == RATE_LIMITED and "2 messages a second" in refused["message"]
    assert [m async for m in Message.objects.values_list("random", flat=True)] == [1, 2, 3]
    pushed = [(await bob.push("MESSAGE_RECEIVED"))["data"][0]["random"] for _ in range(3)]
    assert pushed == [1, 2, 3]
    await assert_all_silent(bob)
    # Another account has a bucket of its own.
    for random in (5, 6, 7):
        await carol.ok("sendMessage", text_message("c", random=random))
    # Alice's refills at 2 a second (refused attempts take nothing): one more goes
    # within half a second or so, and the one right after it is refused again.
    await wait_for(lambda: sends(laptop, "m8", random=8), timeout=3)
    again = await laptop.request("sendMessage", text_message("m9", random=9))
    assert again["code"] == RATE_LIMITED
    for client in (laptop, phone, bob, carol):
        await client.close()


async def test_a_message_stores_at_most_the_apps_size(cast, im_app):
    await limit(im_app, max_message_bytes=2048)
    alice = await online("alice")
    body = "字" * 500  # 1,500 bytes
    refused = await alice.request(
        "sendMessage", text_message(body, random=1, cloudCustomData="x" * 600)
    )
    assert refused["code"] == TOO_LONG and "at most 2048" in refused["message"]
    sent = await alice.ok("sendMessage", text_message(body, random=2, cloudCustomData="x" * 400))
    assert sent["message"]["payload"]["text"] == body
    assert await Message.objects.acount() == 1
    await alice.close()


async def test_logins_from_one_address_are_throttled(cast, transactional_db):
    server = LiveServer(env={"IM_LOGIN_RATE": "1", "IM_LOGIN_BURST": "3"}).start()
    try:
        clients = [await net_online(server.ws_url, user) for user in ("alice", "bob", "carol")]
        late = await Conn(server.ws_url, Pushes()).connect()
        login = {"SDKAppID": SDKAPPID, "userID": "alice", "userSig": make_sig("alice")}
        refused = await late.request("login", login)
        assert refused["code"] == RATE_LIMITED and "127.0.0.1" in refused["message"]
        assert (await late.request("heartbeat"))["code"] == 0  # the connection lives on
        await asyncio.sleep(1.1)
        assert (await late.request("login", login))["code"] == 0
        for client in (*clients, late):
            await client.close()
    finally:
        server.stop()


async def test_the_send_rate_holds_across_server_processes(cast, im_app):
    await limit(im_app, send_rate=1, send_burst=2)
    async with sharing_redis() as pair:
        one = await net_online(pair[0].ws_url, "alice")
        two = await net_online(pair[1].ws_url, "alice")
        await one.ok("sendMessage", text_message("a", random=1))
        await two.ok("sendMessage", text_message("b", random=2))
        assert (await one.request("sendMessage", text_message("c", random=3)))["code"] == (
            RATE_LIMITED
        )
        assert (await two.request("sendMessage", text_message("d", random=4)))["code"] == (
            RATE_LIMITED
        )
        for client in (one, two):
            await client.close()
