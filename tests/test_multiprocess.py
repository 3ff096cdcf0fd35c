"""Two real daphne processes sharing the database and Redis, as a deployment runs them."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time

import pytest

from bench.client import Conn, ErrorAnswer, Pushes, text_message
from bench.daphne import free_port
from im.models import Instance, Message
from tests.conftest import SDKAPPID, allow_instances, make_sig
from tests.live import LiveServer, net_online, new_group
from tests.test_ws_groups import created_notice

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("cast")]


def text(to: str, body: str, *, random: int, group: bool = False) -> dict:
    """sendMessage data with a fixed clientTime, so a resend is recognised as one."""
    return text_message(to, body, random, group=group, client_time=1764000000)


async def test_messages_cross_processes(live_pair):
    one, two = live_pair
    alice = await net_online(one.ws_url, "alice")
    bob = await net_online(two.ws_url, "bob")
    carol_one = await net_online(one.ws_url, "carol")
    carol_two = await net_online(two.ws_url, "carol")

    await alice.ok("sendMessage", text("bob", "跨进程", random=1))
    push = await bob.push("MESSAGE_RECEIVED")
    assert push["data"][0]["payload"]["text"] == "跨进程"

    group_id = await new_group(bob, ["alice", "carol"])
    for member in (bob, alice, carol_one, carol_two):
        assert (await member.push("GROUP_JOINED"))["data"]["groupID"] == group_id
    await bob.ok("sendMessage", text(group_id, "hello all", random=2, group=True))
    for member in (alice, carol_one, carol_two):
        push = await member.push("MESSAGE_RECEIVED")
        assert push["data"][0]["conversationID"] == f"GROUP{group_id}"
    sent = (await alice.ok("sendMessage", text("bob", "oops", random=3)))["message"]
    await alice.ok("revokeMessage", {"conversationID": "C2Cbob", "ID": sent["ID"]})
    revoked = await bob.push("MESSAGE_REVOKED")
    assert revoked["data"][0]["ID"] == sent["ID"]
    for client in (alice, bob, carol_one, carol_two):
        await client.close()


async def test_login_on_one_process_kicks_instance_on_the_other(live_pair):
    one, two = live_pair
    await allow_instances(1)
    first = await net_online(one.ws_url, "alice")
    second = await net_online(two.ws_url, "alice")
    kicked = await first.push("KICKED_OUT")
    assert kicked["data"] == {"type": "multipleAccount"}
    assert await first.wait_closed() == 4001
    bob = await net_online(one.ws_url, "bob")
    await bob.ok("sendMessage", text("alice", "who is there", random=1))
    assert (await second.push("MESSAGE_RECEIVED"))["data"][0]["payload"]["text"] == "who is there"
    for client in (second, bob):
        await client.close()


async def test_limit_two_across_processes(live_pair):
    one, two = live_pair
    await allow_instances(2)
    first = await net_online(one.ws_url, "alice")
    second = await net_online(two.ws_url, "alice")
    await asyncio.sleep(0.5)
    assert first.pushes.empty() and second.pushes.empty()
    third = await net_online(two.ws_url, "alice")
    assert (await first.push("KICKED_OUT"))["data"] == {"type": "multipleAccount"}
    await asyncio.sleep(0.3)
    assert second.pushes.empty() and not second.closed.is_set()
    for client in (second, third):
        await client.close()


async def test_logins_racing_on_two_processes_count_each_other(live_pair):
    # Sixteen logins of one account at once, eight on each process, under a limit of
    # two, four times over: each registration takes the account's row lock, so each
    # counts every one before it, wherever it ran, and exactly two sessions are left.
    # (With the lock's FOR UPDATE taken out, 2 of 3 runs on PostgreSQL failed: 3 left.)
    one, two = live_pair
    await allow_instances(2)
    for _ in range(4):
        clients = [await Conn(url, Pushes()).connect() for url in (one.ws_url, two.ws_url) * 8]
        await asyncio.gather(*(c.login("alice", make_sig("alice"), SDKAPPID) for c in clients))
        deadline = time.monotonic() + 20
        while sum(c.closed.is_set() for c in clients) < 14 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # room for one kick too many, which must not come
        kicked = [c for c in clients if c.closed.is_set()]
        left = [c for c in clients if not c.closed.is_set()]
        assert (len(kicked), len(left)) == (14, 2)
        for client in kicked:
            assert (await client.push("KICKED_OUT"))["data"] == {"type": "multipleAccount"}
            assert client.close_code == 4001
        assert await Instance.objects.filter(account__user_id="alice").acount() == 2
        for client in left:
            assert client.pushes.empty()
            await client.ok("heartbeat")
            await client.close()
        # The closed connections' rows go with them (no instanceID): the next round
        # starts from none.
        deadline = time.monotonic() + 10
        while await Instance.objects.filter(account__user_id="alice").aexists():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)


async def test_usersig_expiry_kicks_on_the_process_holding_the_instance(live_pair):
    _, two = live_pair
    client = await Conn(two.ws_url, Pushes()).connect()
    await client.login("alice", make_sig("alice", expire=2, now=int(time.time()) - 1), SDKAPPID)
    assert (await client.push("KICKED_OUT", timeout=5))["data"] == {"type": "userSigExpired"}
    assert await client.wait_closed() == 4001


async def test_nothing_lost_when_connections_drop_and_a_process_dies(live_pair):
    """3 senders, 300 messages; the receiver's link is cut, a server is killed and restarted."""
    one, two = live_pair
    owner = await net_online(one.ws_url, "alice")
    group_id = await new_group(owner, ["bob", "carol"], name="fault")
    await owner.close()
    urls = [one.ws_url, two.ws_url]
    per_sender = 100

    async def connect_any(user_id: str, start: int) -> Conn:
        for attempt in range(200):
            try:
                return await net_online(urls[(start + attempt) % 2], user_id)
            except (OSError, ConnectionError, TimeoutError, ErrorAnswer):
                await asyncio.sleep(0.1)
        raise AssertionError(f"{user_id} could not reconnect")

    events: dict[str, float] = {}
    receiver_links = 0

    async def sender(user_id: str, start: int) -> None:
        client = await connect_any(user_id, start)
        for i in range(per_sender):
            await asyncio.sleep(0.03)  # spread the sends over the faults
            draft = text(group_id, f"{user_id}-{i}", random=start * 1000 + i, group=True)
            while True:  # resend the same draft until acknowledged: never a duplicate
                try:
                    await client.ok("sendMessage", draft, timeout=5)
                    break
                except (ConnectionError, TimeoutError):
                    await client.close()
                    client = await connect_any(user_id, start + i)
        await client.close()
        events[f"{user_id} done"] = time.monotonic()

    held: dict[str, dict] = {}
    seen_change = 0
    conversation_id = f"GROUP{group_id}"
    receiver: Conn | None = None

    async def catch_up(client: Conn) -> None:
        nonlocal seen_change
        while True:
            page = await client.ok(
                "syncMessages", {"conversationID": conversation_id, "changeSequence": seen_change}
            )
            for message in page["messageList"]:
                held[message["ID"]] = message
            seen_change = page["changeSequence"]
            if page["isCompleted"]:
                return

    async def receive(stop: asyncio.Event) -> None:
        nonlocal receiver, seen_change, receiver_links
        start = 1
        while not stop.is_set():
            try:
                receiver = await connect_any("carol", start)
                receiver_links += 1
                await catch_up(receiver)
                while not stop.is_set():
                    push = await receiver.push("MESSAGE_RECEIVED", timeout=0.5)
                    for message in push["data"]:
                        if message["changeSequence"] > seen_change + 1:
                            await catch_up(receiver)  # a gap: fetch what was missed
                        held[message["ID"]] = message
                        seen_change = max(seen_change, message["changeSequence"])
            except (ConnectionError, TimeoutError, OSError):
                start += 1
                if receiver is not None:
                    await receiver.close()

    async def cut_receiver() -> None:
        """Drop the receiver's link, then wait until it is back."""
        links = receiver_links
        while receiver is None:
            await asyncio.sleep(0.05)
        receiver.abort()
        while receiver_links == links:
            await asyncio.sleep(0.05)

    async def faults() -> None:
        for _ in range(3):
            await asyncio.sleep(0.3)
            await cut_receiver()
        two.kill()  # alice and carol send through this process
        events["killed"] = time.monotonic()
        await asyncio.sleep(1)
        await asyncio.to_thread(two.start)
        for _ in range(2):
            await asyncio.sleep(0.3)
            await cut_receiver()

    stop = asyncio.Event()
    receiving = asyncio.create_task(receive(stop))
    try:
        async with asyncio.timeout(120):
            await asyncio.gather(sender("alice", 1), sender("bob", 2), sender("carol", 3), faults())
            # Everything is stored; the receiver catches up whatever it missed.
            while len(held) < 3 * per_sender:
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        await receiving
        if receiver is not None:
            await receiver.close()

    # The faults really happened while messages were flowing.
    assert events["killed"] < min(events[f"{u} done"] for u in ("alice", "bob", "carol"))
    assert receiver_links >= 6  # the first link and one after each of 5 cuts
    assert await Message.objects.filter(conversation__kind="GROUP").acount() == 3 * per_sender
    ordered = sorted(held.values(), key=lambda m: m["sequence"])
    assert [m["sequence"] for m in ordered] == list(range(1, 3 * per_sender + 1))
    for user_id in ("alice", "bob", "carol"):
        texts = [m["payload"]["text"] for m in ordered if m["from"] == user_id]
        assert texts == [f"{user_id}-{i}" for i in range(per_sender)]


async def test_idle_connection_survives_on_the_redis_layer(live_pair):
    """An idle consumer waits on Redis longer than redis-py's default read timeout (5 s)."""
    one, two = live_pair
    bob = await net_online(two.ws_url, "bob")
    alice = await net_online(one.ws_url, "alice")
    await asyncio.sleep(12)
    assert not bob.closed.is_set()
    await alice.ok("sendMessage", text("bob", "still there?", random=9))
    assert (await bob.push("MESSAGE_RECEIVED"))["data"][0]["payload"]["text"] == "still there?"
    await alice.close()
    await bob.close()


class RedisServer:
    """A Redis of the test's own on a free loopback port, which the test may restart."""

    def __init__(self) -> None:
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--save", "", "--daemonize", "yes"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            if subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True
            ).stdout:
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True
        )


async def test_a_redis_restart_loses_no_answer_and_pushes_resume(cast):
    """Redis holds nothing of record: while it restarts, sends are stored and answered
    (their pushes may be lost; clients catch up), and pushes flow again once it is back."""
    redis = RedisServer()
    redis.start()
    server = LiveServer(env={"REDIS_URL": redis.url})
    try:
        await asyncio.to_thread(server.start)
        alice = await net_online(server.ws_url, "alice")
        bob = await net_online(server.ws_url, "bob")
        await alice.ok("sendMessage", text("bob", "before", random=1))
        assert (await bob.push("MESSAGE_RECEIVED"))["data"][0]["payload"]["text"] == "before"

        carol = await Conn(server.ws_url, Pushes()).connect()  # connected, not yet logged in

        await asyncio.to_thread(redis.stop)
        during = await alice.request("sendMessage", text("bob", "during", random=2))
        assert during["code"] == 0
        # A login cannot subscribe to its pushes: refused, and nothing stays registered.
        refused = await carol.request(
            "login", {"SDKAppID": SDKAPPID, "userID": "carol", "userSig": make_sig("carol")}
        )
        assert refused["code"] == 70500
        assert not await Instance.objects.filter(account=cast["carol"]).aexists()
        await asyncio.to_thread(redis.start)
        await carol.login("carol", make_sig("carol"), SDKAPPID)

        # The layer reconnects (and subscribes again) on its own; a lost push is a hint,
        # so the test sends until one arrives, then checks each is answered and stored.
        received = []
        for n in range(3, 13):
            assert (await alice.request("sendMessage", text("bob", f"m{n}", random=n)))["code"] == 0
            with contextlib.suppress(TimeoutError):
                received.append(await bob.push("MESSAGE_RECEIVED", timeout=1))
                break
        assert received, "pushes did not resume after Redis came back"
        stored = await Message.objects.filter(sender=cast["alice"]).acount()
        assert stored == n
        for client in (alice, bob, carol):
            await client.close()
    finally:
        server.stop()
        redis.stop()


async def test_a_removed_member_stops_hearing_the_group_on_every_process(live_pair):
    one, two = live_pair
    alice = await net_online(one.ws_url, "alice")
    bob = await net_online(two.ws_url, "bob")
    carol_one = await net_online(one.ws_url, "carol")
    carol_two = await net_online(two.ws_url, "carol")
    group_id = await new_group(alice, ["bob", "carol"], type_="Private")
    for member in (alice, bob, carol_one, carol_two):
        await member.push("GROUP_JOINED")
    await created_notice(alice, group_id)
    await alice.ok("deleteGroupMember", {"groupID": group_id, "userIDList": ["carol"]})
    for carol in (carol_one, carol_two):
        assert (await carol.push("GROUP_LEFT"))["data"] == {"groupID": group_id, "reason": "kicked"}
        notice = (await carol.push("MESSAGE_RECEIVED"))["data"][0]
        assert (notice["conversationID"], notice["payload"]["operationType"]) == ("@TIM#SYSTEM", 4)
    tip = (await bob.push("MESSAGE_RECEIVED"))["data"][0]
    assert (tip["type"], tip["payload"]["userIDList"]) == ("TIMGroupTipElem", ["carol"])
    await bob.ok("sendMessage", text(group_id, "still here?", random=5, group=True))
    heard = (await alice.push("MESSAGE_RECEIVED"))["data"][0]
    while heard["type"] == "TIMGroupTipElem":
        heard = (await alice.push("MESSAGE_RECEIVED"))["data"][0]
    assert heard["payload"] == {"text": "still here?"}
    await asyncio.sleep(0.5)
    for carol in (carol_one, carol_two):
        assert carol.pushes.empty(), carol.pushes
    for client in (alice, bob, carol_one, carol_two):
        await client.close()


async def test_members_joined_on_another_process_miss_nothing(live_pair):
    """GROUP_JOINED's contract across processes: every message sent after a connection
    got it arrives as a push, and syncing from the push's changeSequence returns the
    ones sent before (a process hears a new group only once its subscription is live,
    so pushes sent right after the join may not reach it). Nothing comes twice."""
    one, two = live_pair
    bob = await net_online(one.ws_url, "bob")
    members = {
        "alice": await net_online(two.ws_url, "alice"),
        "carol": await net_online(two.ws_url, "carol"),
        "carol on one": await net_online(one.ws_url, "carol"),
    }
    group_id = await new_group(bob, ["alice", "carol"])
    # Sent at once: some may reach the members' processes before they hear the group.
    early = [f"early {k}" for k in range(15)]
    for k, body in enumerate(early):
        await bob.ok("sendMessage", text(group_id, body, random=100 + k, group=True))
    joined = {name: await member.push("GROUP_JOINED") for name, member in members.items()}
    late = [f"late {k}" for k in range(15)]
    for k, body in enumerate(late):
        await bob.ok("sendMessage", text(group_id, body, random=200 + k, group=True))

    for name, member in members.items():
        pushed: list[dict] = []
        while not {m["payload"]["text"] for m in pushed} >= set(late):
            pushed.extend((await member.push("MESSAGE_RECEIVED"))["data"])
        pushed_late = [m["payload"]["text"] for m in pushed if m["payload"]["text"] in late]
        assert pushed_late == late, name  # every one, once, in order
        synced: list[dict] = []
        change = joined[name]["data"]["changeSequence"]
        while True:
            page = await member.ok(
                "syncMessages", {"conversationID": f"GROUP{group_id}", "changeSequence": change}
            )
            synced.extend(page["messageList"])
            change = page["changeSequence"]
            if page["isCompleted"]:
                break
        held = {m["ID"]: m["payload"]["text"] for m in [*pushed, *synced]}
        assert sorted(held.values(), key=(early + late).index) == early + late, name
        assert len(held) == len(early + late)
    for client in (bob, *members.values()):
        await client.close()
