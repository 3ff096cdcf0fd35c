"""What a send promises, however fast its path: checked against real daphne processes
(two sharing the database and Redis, as a deployment runs them), through the protocol.

- A resend (the same random and clientTime from the same sender) is stored once and
  answered with the first message, from any connection, on any process, at once.
- Sequence numbers have no gap and no repeat when many connections send to one
  conversation at the same moment, C2C and group.
- An acknowledged message is stored: `kill -9` of the server right after the answer
  loses none of them (PostgreSQL in the deployed pass).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from bench.client import Conn, text_message
from im.models import Account, App, Message
from tests.conftest import SDKAPPID
from tests.live import LiveServer, net_online, sharing_redis

pytestmark = pytest.mark.django_db(transaction=True)

SENDERS = 20
EACH = 10
CLIENT_TIME = 1764000000


@pytest.fixture
async def servers(cast) -> AsyncIterator[tuple[LiveServer, LiveServer]]:
    async with sharing_redis() as (one, two):
        yield one, two


async def allow_instances(count: int) -> None:
    await App.objects.filter(sdkappid=SDKAPPID).aupdate(max_web_instances=count)


def draft(to: str, body: str, random: int, *, group: bool = False) -> dict:
    """sendMessage data with a fixed clientTime, so sending it again is a resend."""
    return text_message(to, body, random, group=group, client_time=CLIENT_TIME)


async def history(client: Conn, conversation_id: str) -> list[dict]:
    """Every message of the conversation ``client`` sees, oldest first (all pages)."""
    pages: list[list[dict]] = []
    cursor = ""
    while True:
        page = await client.ok(
            "getMessageList", {"conversationID": conversation_id, "nextReqMessageID": cursor}
        )
        pages.append(page["messageList"])
        if page["isCompleted"]:
            break
        cursor = page["nextReqMessageID"]
    return [message for page in reversed(pages) for message in page]


async def close(clients: list[Conn]) -> None:
    await asyncio.gather(*(client.close() for client in clients))


async def test_a_resend_is_stored_once_from_any_connection(servers):
    one, two = servers
    await allow_instances(10)
    alice_here = await net_online(one.ws_url, "alice")
    alice_there = await net_online(two.ws_url, "alice")
    bob = await net_online(two.ws_url, "bob")
    first = (await alice_here.ok("sendMessage", draft("bob", "once", 7)))["message"]
    # The same draft again, from both of alice's connections (two processes) at once.
    answers = await asyncio.gather(
        *(
            conn.ok("sendMessage", draft("bob", "once", 7))
            for conn in (alice_here, alice_there, alice_here, alice_there)
        )
    )
    assert {(a["message"]["ID"], a["message"]["sequence"]) for a in answers} == {
        (first["ID"], first["sequence"])
    }
    # A new random is a new message, numbered next.
    second = (await alice_there.ok("sendMessage", draft("bob", "twice", 8)))["message"]
    assert second["sequence"] == first["sequence"] + 1
    assert [m["ID"] for m in await history(bob, "C2Calice")] == [first["ID"], second["ID"]]
    assert await Message.objects.filter(conversation__kind="C2C").acount() == 2
    # Bob was told of each message once.
    assert (await bob.push("MESSAGE_RECEIVED"))["data"][0]["ID"] == first["ID"]
    assert (await bob.push("MESSAGE_RECEIVED"))["data"][0]["ID"] == second["ID"]
    await asyncio.sleep(0.3)
    assert bob.pushes.empty(), bob.pushes
    await close([alice_here, alice_there, bob])


async def test_a_group_resend_is_stored_once(servers):
    one, two = servers
    alice = await net_online(one.ws_url, "alice")
    bob = await net_online(two.ws_url, "bob")
    group_id = (
        await alice.ok(
            "createGroup", {"name": "g", "type": "Public", "memberList": [{"userID": "bob"}]}
        )
    )["group"]["groupID"]
    answers = await asyncio.gather(
        *(alice.ok("sendMessage", draft(group_id, "hi", 3, group=True)) for _ in range(5))
    )
    assert len({a["message"]["ID"] for a in answers}) == 1
    texts = [
        m["payload"].get("text")
        for m in await history(bob, f"GROUP{group_id}")
        if m["type"] == "TIMTextElem"
    ]
    assert texts == ["hi"]
    await close([alice, bob])


async def senders_online(servers, user_ids: list[str]) -> list[Conn]:
    urls = [server.ws_url for server in servers]
    return list(
        await asyncio.gather(
            *(net_online(urls[i % len(urls)], user_id) for i, user_id in enumerate(user_ids))
        )
    )


async def send_all_at_once(
    clients: list[Conn], targets: list[str], *, group: bool = False
) -> list[dict]:
    """Client i sends EACH messages to targets[i] without waiting for the answers:
    SENDERS × EACH sends in flight on one conversation. The answers' messages."""

    async def one(index: int, client: Conn, n: int) -> dict:
        random = index * 1000 + n  # unique per (connection, message): none is a resend
        body = draft(targets[index], f"{index}-{n}", random, group=group)
        return (await client.ok("sendMessage", body))["message"]

    return list(
        await asyncio.gather(*(one(i, c, n) for i, c in enumerate(clients) for n in range(EACH)))
    )


def assert_numbered_without_gaps(sent: list[dict], stored: list[dict]) -> None:
    sequences = [m["sequence"] for m in sent]
    assert len(set(sequences)) == len(sent) == SENDERS * EACH  # no two share a number
    assert {m["ID"] for m in sent} <= {m["ID"] for m in stored}
    # The conversation's numbers run 1, 2, 3... with none skipped (a group's tips too).
    assert [m["sequence"] for m in stored] == list(range(1, len(stored) + 1))


async def test_twenty_connections_sending_to_one_c2c_conversation_leave_no_gap(servers):
    await allow_instances(SENDERS)
    users = ["alice", "bob"] * (SENDERS // 2)
    clients = await senders_online(servers, users)
    # alice's connections write to bob, bob's to alice: one conversation.
    sent = await send_all_at_once(clients, ["bob" if u == "alice" else "alice" for u in users])
    stored = await history(clients[0], "C2Cbob")
    assert len(stored) == SENDERS * EACH
    assert_numbered_without_gaps(sent, stored)
    await close(clients)


async def test_twenty_members_sending_to_one_group_leave_no_gap(servers):
    app = await App.objects.aget(sdkappid=SDKAPPID)
    others = [f"m{n:02}" for n in range(SENDERS - 1)]
    await Account.objects.abulk_create([Account(app=app, user_id=u) for u in others])
    owner = await net_online(servers[0].ws_url, "alice")
    group_id = (
        await owner.ok(
            "createGroup",
            {"name": "busy", "type": "Public", "memberList": [{"userID": u} for u in others]},
        )
    )["group"]["groupID"]
    members = [owner, *await senders_online(servers, others)]
    sent = await send_all_at_once(members, [group_id] * len(members), group=True)
    stored = await history(owner, f"GROUP{group_id}")
    assert_numbered_without_gaps(sent, stored)
    await close(members)


async def test_an_acknowledged_message_survives_kill_9_of_the_server(servers):
    """Five connections send as fast as they are answered; the server they use is
    killed (SIGKILL: no shutdown, no flush) mid-stream. Every message answered before
    the kill is in the history after the restart."""
    one, two = servers
    await allow_instances(10)
    clients = [await net_online(one.ws_url, "alice") for _ in range(5)]
    acked: list[dict] = []

    async def keep_sending(index: int, client: Conn) -> None:
        for n in range(10_000):
            try:
                answer = await client.ok(
                    "sendMessage", draft("bob", f"{index}-{n}", index * 100_000 + n), timeout=5
                )
            except (ConnectionError, TimeoutError):
                return
            acked.append(answer["message"])

    sending = [asyncio.create_task(keep_sending(i, c)) for i, c in enumerate(clients)]
    async with asyncio.timeout(60):
        while len(acked) < 100:
            await asyncio.sleep(0.01)
    one.kill()
    await asyncio.gather(*sending)
    assert len(acked) >= 100
    # Read on the process that stayed up: what was acknowledged is in the database.
    bob = await net_online(two.ws_url, "bob")
    stored = {m["ID"]: m for m in await history(bob, "C2Calice")}
    missing = [m["ID"] for m in acked if m["ID"] not in stored]
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged messages lost"
    for message in acked:
        assert stored[message["ID"]]["sequence"] == message["sequence"]
    assert await Message.objects.filter(conversation__kind="C2C").acount() == len(stored)
    # The restarted process numbers on from there, without a gap.
    await asyncio.to_thread(one.start)
    alice = await net_online(one.ws_url, "alice")
    after = (await alice.ok("sendMessage", draft("bob", "after", 999_999_999)))["message"]
    assert after["sequence"] == max(m["sequence"] for m in stored.values()) + 1
    await alice.close()
    await bob.close()
    for client in clients:
        with contextlib.suppress(Exception):
            await client.close()
