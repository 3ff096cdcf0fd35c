"""@mentions over /ws/im/: a group text's atUserList, checked, stored and delivered,
and each mentioned member's groupAtInfoList until they read."""

from __future__ import annotations

import pytest

from im.errors import NO_PERMISSION, IMError
from im.models import Account, Mention, Message
from im.services import conversations, messages
from tests.events import capture
from tests.test_events import tea_house
from tests.test_ws_groups import group_text, group_with_admin
from tests.wsclient import IMClient, assert_all_silent, online, text_message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("cast")]

AT_ALL = "__kImSDK_MesssageAtALL__"


async def at_infos(client: IMClient, group_id: str) -> tuple[list, list]:
    """The group conversation's groupAtInfoList in the list and in its profile."""
    conversation_id = f"GROUP{group_id}"
    listed = (await client.ok("getConversationList"))["conversationList"]
    [entry] = [c for c in listed if c["conversationID"] == conversation_id]
    profile = await client.ok("getConversationProfile", {"conversationID": conversation_id})
    return entry["groupAtInfoList"], profile["conversation"]["groupAtInfoList"]


async def close_all(*clients: IMClient) -> None:
    for client in clients:
        await client.close()


async def test_a_mention_is_stored_delivered_and_listed_for_the_mentioned_member_until_read():
    alice, bob, carol, group_id = await group_with_admin()
    bob_tab = await online("bob")
    sent = await alice.ok(
        "sendMessage", group_text(group_id, "@bob tea?", random=7) | {"atUserList": ["bob"]}
    )
    assert sent["message"]["atUserList"] == ["bob"]
    [pushed] = (await bob.push("MESSAGE_RECEIVED"))["data"]
    assert pushed["atUserList"] == ["bob"]
    assert (await Message.objects.aget(random=7)).at_user_list == ["bob"]

    seq = sent["message"]["sequence"]
    expected = [
        {
            "from": "alice",
            "groupID": group_id,
            "topicID": "",
            "messageSequence": seq,
            "atTypeArray": [1],
        }
    ]
    assert await at_infos(bob, group_id) == (expected, expected)
    assert await at_infos(carol, group_id) == ([], [])
    assert await at_infos(alice, group_id) == ([], [])
    # History keeps the list too.
    history = await carol.ok("getMessageList", {"conversationID": f"GROUP{group_id}"})
    assert history["messageList"][-1]["atUserList"] == ["bob"]

    await bob.ok("setMessageRead", {"conversationID": f"GROUP{group_id}"})
    update = (await bob_tab.push("CONVERSATION_UPDATED"))["data"]
    assert update["conversationID"] == f"GROUP{group_id}"
    assert update["groupAtInfoList"] == []
    assert await at_infos(bob, group_id) == ([], [])
    await close_all(alice, bob, carol, bob_tab)


async def test_at_all_from_an_admin_reaches_everyone_but_the_sender_and_combines_with_at_me():
    alice, bob, carol, group_id = await group_with_admin()
    sent = await bob.ok(
        "sendMessage",
        group_text(group_id, "@all @carol meeting", random=8)
        | {"atUserList": [AT_ALL, "carol", "carol"]},
    )
    assert sent["message"]["atUserList"] == [AT_ALL, "carol"]
    for member in (alice, carol):
        [pushed] = (await member.push("MESSAGE_RECEIVED"))["data"]
        assert pushed["atUserList"] == [AT_ALL, "carol"]
    seq = sent["message"]["sequence"]
    [alice_info], _ = await at_infos(alice, group_id)
    [carol_info], _ = await at_infos(carol, group_id)
    assert (alice_info["atTypeArray"], alice_info["messageSequence"]) == ([2], seq)
    assert (carol_info["atTypeArray"], carol_info["from"]) == ([3], "bob")
    assert await at_infos(bob, group_id) == ([], [])
    # The owner may too.
    await alice.ok("sendMessage", group_text(group_id, "@all", random=9) | {"atUserList": [AT_ALL]})
    infos, _ = await at_infos(carol, group_id)
    assert [i["atTypeArray"] for i in infos] == [[3], [2]]
    await close_all(alice, bob, carol)


async def test_a_plain_member_cannot_mention_everyone_and_nothing_is_stored():
    alice, bob, carol, group_id = await group_with_admin()
    answer = await carol.request(
        "sendMessage", group_text(group_id, "@all", random=10) | {"atUserList": [AT_ALL]}
    )
    assert answer["code"] == 10007
    await assert_all_silent(alice, bob)
    assert not await Message.objects.filter(random=10).aexists()
    # The same member may mention one person; the refused @all left nothing behind.
    await carol.ok("sendMessage", group_text(group_id, "@bob", random=11) | {"atUserList": ["bob"]})
    assert await at_infos(alice, group_id) == ([], [])
    assert [i["atTypeArray"] for i in (await at_infos(bob, group_id))[0]] == [[1]]
    await close_all(alice, bob, carol)


@pytest.mark.parametrize(
    ("at_user_list", "code"),
    [
        (["dave"], 10004),  # not a member (an account that exists)
        (["nobody-at-all"], 10004),
        ("bob", 6017),
        ([1], 6017),
        ([""], 6017),
        ([None], 6017),
        ([f"user{i}" for i in range(31)], 6017),
    ],
)
async def test_bad_at_user_lists_are_refused(at_user_list, code):
    alice, bob, carol, group_id = await group_with_admin()
    dave = await online("dave")
    answer = await alice.request(
        "sendMessage", group_text(group_id, "hi", random=12) | {"atUserList": at_user_list}
    )
    assert answer["code"] == code
    assert not await Message.objects.filter(random=12).aexists()
    await close_all(alice, bob, carol, dave)


async def test_an_at_user_list_on_a_c2c_or_a_non_text_message_is_refused():
    alice, bob = await online("alice"), await online("bob")
    answer = await alice.request("sendMessage", text_message("@bob", atUserList=["bob"]))
    assert answer["code"] == 6017
    _, _, _, group_id = await group_with_admin_of(alice, bob)
    custom = group_text(group_id, "x", random=13) | {
        "type": "TIMCustomElem",
        "payload": {"data": "x"},
        "atUserList": ["bob"],
    }
    assert (await alice.request("sendMessage", custom))["code"] == 6017
    assert not await Message.objects.filter(random__in=[42, 13]).aexists()
    await close_all(alice, bob)


async def group_with_admin_of(alice: IMClient, bob: IMClient) -> tuple:
    group = await alice.ok(
        "createGroup", {"name": "g", "type": "Public", "memberList": [{"userID": "bob"}]}
    )
    await bob.push("GROUP_JOINED")
    return alice, bob, None, group["group"]["groupID"]


async def test_a_recalled_mention_leaves_the_list():
    alice, bob, carol, group_id = await group_with_admin()
    sent = await alice.ok(
        "sendMessage", group_text(group_id, "@carol", random=14) | {"atUserList": ["carol"]}
    )
    assert len((await at_infos(carol, group_id))[0]) == 1
    await alice.ok(
        "revokeMessage", {"conversationID": f"GROUP{group_id}", "ID": sent["message"]["ID"]}
    )
    assert await at_infos(carol, group_id) == ([], [])
    await close_all(alice, bob, carol)


# --- at the service layer: what is stored and who is told ---


def at_draft(at_user_list: list[str], *, random: int) -> messages.Draft:
    return messages.check_draft(
        msg_type="TIMTextElem",
        payload={"text": "@"},
        random=random,
        client_time=1764000000,
        at_user_list=at_user_list,
    )


def send_at(sender: Account, group_id: str, at_user_list: list[str], *, random: int) -> Message:
    return messages.check_send_message(
        sender=sender,
        to=group_id,
        conversation_type="GROUP",
        draft=at_draft(at_user_list, random=random),
    )


def test_a_mention_is_one_push_to_the_group_one_row_and_a_resend_adds_none(cast):
    alice, bob = cast["alice"], cast["bob"]
    group_id = tea_house(cast, bob="Member", carol="Member")
    with capture() as told:
        message = send_at(alice, group_id, ["bob", "alice"], random=1)
    assert [(t.name, t.user_ids) for t in told] == [("MESSAGE_RECEIVED", {"alice", "bob", "carol"})]
    # The sender's own name is kept in the list but is no mention of anyone.
    assert message.at_user_list == ["bob", "alice"]
    rows = list(Mention.objects.values_list("message_id", "seq", "account_id"))
    assert rows == [(message.pk, message.seq, bob.pk)]
    with capture() as told:
        send_at(alice, group_id, ["bob", "alice"], random=1)
    assert told == []
    assert Mention.objects.count() == 1


def test_a_refused_at_all_tells_nobody_and_stores_nothing(cast):
    group_id = tea_house(cast, bob="Admin", carol="Member")
    with capture() as told, pytest.raises(IMError) as refused:
        send_at(cast["carol"], group_id, [AT_ALL], random=2)
    assert refused.value.code == NO_PERMISSION
    assert told == []
    assert not Message.objects.filter(random=2).exists()
    assert not Mention.objects.exists()
    send_at(cast["bob"], group_id, [AT_ALL], random=3)  # an admin may
    assert list(Mention.objects.values_list("account_id", flat=True)) == [None]


def test_a_read_tells_only_the_reader_with_no_mentions_left(cast):
    bob = cast["bob"]
    group_id = tea_house(cast, bob="Member", carol="Member")
    message = send_at(cast["alice"], group_id, ["bob"], random=4)
    [listed] = conversations.get_conversation_list(account=bob)
    assert [(i.sender_user_id, i.seq, i.at_me, i.at_all) for i in listed.group_at_info] == [
        ("alice", message.seq, True, False)
    ]
    with capture() as told:
        conversations.check_set_message_read(
            account=bob, conversation_id=f"GROUP{group_id}", origin_channel="bob-tab-1"
        )
    [update] = told
    assert (update.name, update.user_ids) == ("CONVERSATION_UPDATED", {"bob"})
    assert update.payload.group_at_info == ()


def test_a_conversation_lists_its_newest_twenty_mentions_oldest_first(cast):
    group_id = tea_house(cast, bob="Member")
    sent = [send_at(cast["alice"], group_id, ["bob"], random=10 + i).seq for i in range(22)]
    [listed] = conversations.get_conversation_list(account=cast["bob"])
    assert [i.seq for i in listed.group_at_info] == sent[2:]
