"""Per-group frequency control (TIM: 40 messages a second per group): a flood of 200
messages in one second at mixed priorities stores and delivers exactly the app's rate,
lower priorities refused first, the rest refused with 10023; one server process, and
two sharing Redis."""

from __future__ import annotations

import asyncio
import time
import types
from collections import Counter

import pytest

from bench.client import Conn, text_message
from im import buckets
from im.errors import IMError
from im.models import App, Group, Message
from im.services.groups import check_create_group
from im.services.limits import check_group_rate
from tests.live import LiveServer, net_online, sharing_redis

pytestmark = pytest.mark.django_db(transaction=True)

RATE = 40
GROUP_RATE_LIMITED = 10023
PRIORITIES = ("Lowest", "Low", "Normal", "High")
# The most of each priority a flood can get in: its share of the second's budget.
CEILINGS = {"Lowest": 16, "Low": 24, "Normal": 32, "High": 40}


@pytest.fixture
def group(cast, im_app: App) -> str:
    App.objects.filter(pk=im_app.pk).update(group_message_rate=RATE)
    view = check_create_group(
        owner=cast["alice"],
        name="flood",
        group_type="ChatRoom",
        members=[("bob", "Member"), ("carol", "Member")],
    )
    return view.group.group_id


async def start_of_a_second() -> None:
    """Wait for a new second to begin: the flood then fits in one second's budget."""
    await asyncio.sleep(1 - time.time() % 1 + 0.02)


async def flood(senders: list[Conn], group_id: str) -> list[tuple[str, int, int]]:
    """200 messages, priorities taking turns (each sender sends whole turns, so each
    server process sees them in turn too); (priority, random, code) of each."""
    await start_of_a_second()
    sent = []
    for i in range(200):
        priority = PRIORITIES[i % 4]
        data = {**text_message(group_id, f"m{i}", i + 1, group=True), "priority": priority}
        sender = senders[i // 4 % len(senders)]
        sent.append((priority, i + 1, await sender.submit("sendMessage", data)))
    answers = await asyncio.gather(*(future for _, _, future in sent))
    return [(p, random, a["code"]) for (p, random, _), a in zip(sent, answers, strict=True)]


async def check_flood(results: list[tuple[str, int, int]], listener: Conn, group_id: str) -> None:
    assert {code for _, _, code in results} == {0, GROUP_RATE_LIMITED}
    taken = [(p, random) for p, random, code in results if code == 0]
    stored = [
        (m.priority, m.random, int(m.created_at.timestamp()))
        async for m in Message.objects.filter(
            conversation__group__group_id=group_id, type="TIMTextElem"
        )
    ]
    assert sorted((p, r) for p, r, _ in stored) == sorted(taken)
    seconds = {second for _, _, second in stored}
    if len(seconds) > 1:
        # A machine too busy to take the flood within one second: each second it
        # reached had its budget, no more.
        assert RATE <= len(taken) <= RATE * (max(seconds) - min(seconds) + 1)
    else:
        # The flood within one second: exactly one second's budget was taken, and
        # lower priorities went first (each got no more than the one above it, Lowest
        # fewer than High), none past its share, the last places to High alone.
        assert len(taken) == RATE
        by_priority = Counter(p for p, _ in taken)
        for priority, ceiling in CEILINGS.items():
            assert by_priority[priority] <= ceiling, by_priority
        counts = [by_priority[p] for p in PRIORITIES]
        assert counts == sorted(counts) and counts[0] < counts[-1], by_priority
        assert by_priority["High"] >= RATE - CEILINGS["Normal"]
    # Members hear exactly the messages taken.
    heard: set[int] = set()
    while len(heard) < len(taken):
        for message in (await listener.push("MESSAGE_RECEIVED"))["data"]:
            if message["type"] == "TIMTextElem":
                heard.add(message["random"])
    assert heard == {random for _, random in taken}
    await asyncio.sleep(0.3)
    assert listener.pushes.empty()  # and nothing else


async def test_a_flood_gets_one_seconds_budget_high_priority_last_to_go(group):
    server = LiveServer().start()
    try:
        alice = await net_online(server.ws_url, "alice")
        bob = await net_online(server.ws_url, "bob")
        carol = await net_online(server.ws_url, "carol")
        await check_flood(await flood([alice, bob], group), carol, group)
        # The next second takes messages again.
        await start_of_a_second()
        answer = await alice.request(
            "sendMessage", {**text_message(group, "later", 999, group=True), "priority": "Lowest"}
        )
        assert answer["code"] == 0
        for client in (alice, bob, carol):
            await client.close()
    finally:
        server.stop()


async def test_the_budget_is_shared_by_server_processes(group):
    async with sharing_redis() as pair:
        alice = await net_online(pair[0].ws_url, "alice")
        bob = await net_online(pair[1].ws_url, "bob")
        carol = await net_online(pair[1].ws_url, "carol")
        await check_flood(await flood([alice, bob], group), carol, group)
        for client in (alice, bob, carol):
            await client.close()


@pytest.mark.once  # the in-process counter, its clock held still
def test_within_one_second_each_priority_stops_at_its_share(group, im_app, settings, monkeypatch):
    settings.REDIS_URL = ""
    still = 1_800_000_000.5
    monkeypatch.setattr(buckets, "time", types.SimpleNamespace(time=lambda: still))
    flood_group = Group.objects.get(group_id=group)
    im_app.refresh_from_db()
    taken: Counter[str] = Counter()
    for i in range(200):
        priority = PRIORITIES[i % 4]
        try:
            check_group_rate(im_app, flood_group, priority)
            taken[priority] += 1
        except IMError as error:
            assert error.code == GROUP_RATE_LIMITED
    # Turn by turn: Lowest stops at 16 taken in all, Low at 24, Normal at 32, High at 40.
    assert taken == {"Lowest": 4, "Low": 7, "Normal": 11, "High": 18}
    still += 1  # the next second has a budget again
    check_group_rate(im_app, flood_group, "Lowest")
