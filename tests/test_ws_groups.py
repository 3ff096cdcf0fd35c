"""Groups over /ws/im/: createGroup, and group messages stored once and sent to all members."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from django.utils import timezone

from bench.client import Client
from im.models import Group, GroupMember, Message
from tests.wsclient import IMClient, assert_all_silent, online, text_message

pytestmark = pytest.mark.django_db(transaction=True)


async def create_group(
    client: IMClient, members: list[str], *, joined: tuple[IMClient, ...] = (), **extra
) -> dict:
    """createGroup from ``client``; returns once it and ``joined`` have heard GROUP_JOINED,
    and the creator's connections its "created" notice."""
    data = {
        "name": "茶馆",
        "type": "Public",
        "memberList": [{"userID": uid} for uid in members],
        **extra,
    }
    group = (await client.ok("createGroup", data))["group"]
    for member in (client, *joined):
        push = await member.push("GROUP_JOINED")
        assert push["data"]["groupID"] == group["groupID"]
        assert push["data"]["changeSequence"] == 0
        if member.user_id == client.user_id:
            await created_notice(member, group["groupID"])
    return group


async def created_notice(client: Client, group_id: str) -> dict:
    """The creator's notice (TIM's operationType 6) for the group it just created."""
    [notice] = (await client.push("MESSAGE_RECEIVED"))["data"]
    assert (notice["conversationID"], notice["payload"]["operationType"]) == ("@TIM#SYSTEM", 6)
    assert notice["payload"]["groupProfile"]["groupID"] == group_id
    return notice


async def group_with_admin() -> tuple[IMClient, IMClient, IMClient, str]:
    """alice, bob and carol online, in a group alice owns with bob as Admin; its groupID."""
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    group = await create_group(
        alice,
        [],
        joined=(bob, carol),
        memberList=[{"userID": "bob", "role": "Admin"}, {"userID": "carol"}],
    )
    return alice, bob, carol, group["groupID"]


def group_text(group_id: str, text: str, *, random: int = 1) -> dict:
    return text_message(text, to=group_id, random=random, conversationType="GROUP")


async def test_create_group_makes_creator_owner(cast):
    alice = await online("alice")
    group = await create_group(alice, ["bob", "carol"], introduction="hi")
    assert group["groupID"].startswith("@TGS#")
    assert group["name"] == "茶馆"
    assert group["type"] == "Public"
    assert group["ownerID"] == "alice"
    assert group["selfInfo"]["role"] == "Owner"
    assert group["maxMemberNum"] == 2000
    assert group["memberCount"] == 3
    roles = {
        m.account.user_id: m.role
        async for m in GroupMember.objects.select_related("account").filter(
            group__group_id=group["groupID"]
        )
    }
    assert roles == {"alice": "Owner", "bob": "Member", "carol": "Member"}
    await alice.close()


@pytest.mark.parametrize(
    ("extra", "members", "code"),
    [
        ({"type": "Galaxy"}, [], 10004),
        ({"name": "x" * 31}, [], 10004),
        ({"name": "  "}, [], 10004),
        ({"joinOption": "Whatever"}, [], 10004),
        ({}, ["mallory"], 10019),
        ({"groupID": "@TGS#mine"}, [], 10015),
        ({"groupID": "has space"}, [], 10015),
        ({"type": "Community", "groupID": "plain"}, [], 10015),
        ({"memberList": "bob"}, [], 10004),
        ({"memberList": [{"userID": "bob", "role": "Owner"}]}, [], 10004),
    ],
    ids=[
        "bad-type",
        "long-name",
        "blank-name",
        "bad-join-option",
        "unknown-member",
        "reserved-id",
        "id-with-space",
        "community-prefix",
        "memberlist-not-array",
        "second-owner",
    ],
)
async def test_create_group_refusals(cast, extra, members, code):
    alice = await online("alice")
    data = {"name": "g", "type": "Public", "memberList": [{"userID": u} for u in members], **extra}
    reply = await alice.request("createGroup", data)
    assert reply["code"] == code, reply
    assert not await GroupMember.objects.aexists()
    await alice.close()


async def test_group_id_in_use_is_refused(cast):
    alice = await online("alice")
    await create_group(alice, [], groupID="tea")
    reply = await alice.request(
        "createGroup", {"name": "again", "type": "Public", "groupID": "tea"}
    )
    assert reply["code"] == 10021
    await alice.close()


async def test_group_message_reaches_every_member_connection_once(cast):
    alice1, alice2 = await online("alice"), await online("alice")
    bob1, bob2 = await online("bob"), await online("bob")
    carol = await online("carol")
    group = await create_group(alice1, ["bob", "carol"], joined=(alice2, bob1, bob2, carol))
    gid = group["groupID"]

    sent = (await alice1.ok("sendMessage", group_text(gid, "大家好", random=5)))["message"]
    assert sent["conversationID"] == f"GROUP{gid}"
    assert sent["conversationType"] == "GROUP"
    assert sent["to"] == gid and sent["flow"] == "out" and sent["sequence"] == 1
    for member in (bob1, bob2, carol):
        [received] = (await member.push("MESSAGE_RECEIVED"))["data"]
        assert received["ID"] == sent["ID"]
        assert received["conversationID"] == f"GROUP{gid}"
        assert received["flow"] == "in"
        assert received["payload"] == {"text": "大家好"}
    [echo] = (await alice2.push("MESSAGE_RECEIVED"))["data"]
    assert echo["flow"] == "out"
    await assert_all_silent(alice1, bob1, bob2, carol, alice2)
    assert await Message.objects.filter(conversation__kind="GROUP").acount() == 1
    for client in (alice1, alice2, bob1, bob2, carol):
        await client.close()


async def test_non_member_cannot_send_to_group(cast):
    alice, carol = await online("alice"), await online("carol")
    group = await create_group(alice, ["bob"])
    await carol.assert_silent()  # not a member: no GROUP_JOINED
    reply = await carol.request("sendMessage", group_text(group["groupID"], "let me in"))
    assert reply["code"] == 10007
    assert await Message.objects.filter(conversation__kind="GROUP").acount() == 0
    await alice.assert_silent()
    await alice.close()
    await carol.close()


async def test_muted_member_cannot_send(cast):
    alice, bob = await online("alice"), await online("bob")
    group = await create_group(alice, ["bob"], joined=(bob,))
    await GroupMember.objects.filter(account=cast["bob"]).aupdate(
        mute_until=timezone.now() + timedelta(minutes=10)
    )
    reply = await bob.request("sendMessage", group_text(group["groupID"], "hello?"))
    assert reply["code"] == 10017
    assert await Message.objects.filter(conversation__kind="GROUP").acount() == 0
    # A mute that has run out no longer applies.
    await GroupMember.objects.filter(account=cast["bob"]).aupdate(
        mute_until=timezone.now() - timedelta(seconds=1)
    )
    await bob.ok("sendMessage", group_text(group["groupID"], "hello!"))
    await alice.close()
    await bob.close()


async def test_mute_all_silences_members_but_not_owner_or_admin(cast):
    alice, bob, carol, gid = await group_with_admin()
    await Group.objects.filter(group_id=gid).aupdate(mute_all_members=True)
    assert (await carol.request("sendMessage", group_text(gid, "x", random=1)))["code"] == 10017
    await alice.ok("sendMessage", group_text(gid, "owner", random=2))
    await bob.ok("sendMessage", group_text(gid, "admin", random=3))
    for client in (alice, bob, carol):
        await client.close()


async def test_concurrent_senders_are_delivered_in_sequence_order(cast):
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    watcher = await online("bob")
    group = await create_group(alice, ["bob", "carol"], joined=(bob, carol, watcher))
    gid = group["groupID"]
    per_sender = 20

    async def burst(client: IMClient, base: int) -> None:
        for i in range(per_sender):
            await client.ok("sendMessage", group_text(gid, f"{base + i}", random=base + i))

    await asyncio.gather(burst(alice, 1000), burst(bob, 2000), burst(carol, 3000))
    received = []
    while len(received) < 3 * per_sender:
        received += (await watcher.push("MESSAGE_RECEIVED"))["data"]
    assert [m["sequence"] for m in received] == list(range(1, 3 * per_sender + 1))
    assert len({m["ID"] for m in received}) == 3 * per_sender
    for client in (alice, bob, carol, watcher):
        await client.close()


async def test_group_list_and_profile(cast):
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    public = await create_group(alice, ["bob"], joined=(bob,), name="public")
    private = await create_group(alice, [], type="Private", name="private")
    listed = (await bob.ok("getGroupList"))["groupList"]
    assert [g["groupID"] for g in listed] == [public["groupID"]]
    assert listed[0]["selfInfo"]["role"] == "Member"
    assert listed[0]["memberCount"] == 2
    owned = (await alice.ok("getGroupList"))["groupList"]
    assert {g["groupID"] for g in owned} == {public["groupID"], private["groupID"]}
    # Anyone may look at a Public group; a Private one only its members.
    profile = (await carol.ok("getGroupProfile", {"groupID": public["groupID"]}))["group"]
    assert profile["name"] == "public" and profile["selfInfo"] == {}
    reply = await carol.request("getGroupProfile", {"groupID": private["groupID"]})
    assert reply["code"] == 10007
    reply = await carol.request("getGroupProfile", {"groupID": "nowhere"})
    assert reply["code"] == 10010
    for client in (alice, bob, carol):
        await client.close()
