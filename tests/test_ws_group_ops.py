"""The group ops over /ws/im/: answers in TIM's shapes, pushes on the right connections,
and the @TIM#SYSTEM conversation like any other."""

from __future__ import annotations

import pytest

from tests.test_ws_groups import created_notice
from tests.wsclient import assert_all_silent, online, text_message

pytestmark = pytest.mark.django_db(transaction=True)


async def test_apply_accept_and_the_system_conversation(cast):
    alice, carol = await online("alice"), await online("carol")
    group = (
        await alice.ok(
            "createGroup",
            {"name": "茶馆", "type": "Public", "groupID": "tea", "joinOption": "NeedPermission"},
        )
    )["group"]
    await alice.push("GROUP_JOINED")
    await created_notice(alice, "tea")
    await alice.ok("setMessageRead", {"conversationID": "@TIM#SYSTEM"})
    assert group["joinOption"] == "NeedPermission"

    joined = await carol.ok("joinGroup", {"groupID": "tea", "applyMessage": "请让我加入"})
    assert joined == {"status": "WaitAdminApproval"}
    notice = (await alice.push("MESSAGE_RECEIVED"))["data"][0]
    assert (notice["conversationID"], notice["type"], notice["flow"]) == (
        "@TIM#SYSTEM",
        "TIMGroupSystemNoticeElem",
        "in",
    )
    applications = (await alice.ok("getGroupApplicationList"))["applicationList"]
    assert [(a["applicant"], a["groupID"], a["note"]) for a in applications] == [
        ("carol", "tea", "请让我加入")
    ]
    listed = {
        c["conversationID"]: c for c in (await alice.ok("getConversationList"))["conversationList"]
    }
    assert listed["@TIM#SYSTEM"]["unreadCount"] == 1
    assert listed["@TIM#SYSTEM"]["type"] == "@TIM#SYSTEM"
    history = await alice.ok("getMessageList", {"conversationID": "@TIM#SYSTEM"})
    assert [m["payload"]["operationType"] for m in history["messageList"]] == [6, 1]
    await alice.ok("setMessageRead", {"conversationID": "@TIM#SYSTEM"})

    answer = await alice.ok(
        "handleGroupApplication", {"groupID": "tea", "applicant": "carol", "handleAction": "Agree"}
    )
    assert answer["group"]["memberCount"] == 2
    assert (await carol.push("GROUP_JOINED"))["data"]["groupID"] == "tea"
    accepted = (await carol.push("MESSAGE_RECEIVED"))["data"]
    kinds = {m["type"] for m in accepted}
    while "TIMGroupSystemNoticeElem" not in kinds:
        accepted = (await carol.push("MESSAGE_RECEIVED"))["data"]
        kinds |= {m["type"] for m in accepted}
    again = await alice.request(
        "handleGroupApplication", {"groupID": "tea", "applicant": "carol", "handleAction": "Agree"}
    )
    assert again["code"] == 10024
    for client in (alice, carol):
        await client.close()


async def test_members_roles_and_answers(cast):
    alice, bob = await online("alice"), await online("bob")
    await alice.ok(
        "createGroup",
        {"name": "工作", "type": "Private", "groupID": "work", "memberList": [{"userID": "bob"}]},
    )
    added = await bob.ok("addGroupMember", {"groupID": "work", "userIDList": ["carol", "zed"]})
    assert (added["successUserIDList"], added["failureUserIDList"]) == (["carol"], ["zed"])
    assert added["existedUserIDList"] == [] and added["overLimitUserIDList"] == []
    assert added["group"]["memberCount"] == 3
    page = await bob.ok("getGroupMemberList", {"groupID": "work", "count": 100})
    assert [(m["userID"], m["role"]) for m in page["memberList"]] == [
        ("alice", "Owner"),
        ("bob", "Member"),
        ("carol", "Member"),
    ]
    assert set(page["memberList"][0]) == {
        "userID", "nick", "avatar", "role", "joinTime", "nameCard", "muteUntil",
        "memberCustomField",
    }  # fmt: skip
    assert page["offset"] == 0
    card = await bob.ok("setGroupMemberNameCard", {"groupID": "work", "nameCard": "老板"})
    assert card["member"]["nameCard"] == "老板"
    refused = await bob.request(
        "setGroupMemberRole", {"groupID": "work", "userID": "carol", "role": "Admin"}
    )
    assert refused["code"] == 10007
    bad = await alice.request("updateGroupProfile", {"groupID": "work", "muteAllMembers": "yes"})
    assert bad["code"] == 6017
    renamed = await bob.ok("updateGroupProfile", {"groupID": "work", "name": "新工作"})
    assert renamed["group"]["name"] == "新工作"
    assert (await bob.ok("quitGroup", {"groupID": "work"})) == {"groupID": "work"}
    assert (await bob.push("GROUP_LEFT"))["data"] == {"groupID": "work", "reason": "quit"}
    searched = await alice.request("searchGroupByID", {"groupID": "work"})
    assert searched["code"] == 10010
    for client in (alice, bob):
        await client.close()


async def test_an_avchatroom_is_joined_by_everyone_and_keeps_no_history(cast):
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    room = (await alice.ok("createGroup", {"name": "直播", "type": "AVChatRoom"}))["group"]
    room_id = room["groupID"]
    assert (room["memberCount"], room["selfInfo"]) == (0, {})
    await created_notice(alice, room_id)
    await alice.assert_silent()  # no GROUP_JOINED: not in it yet
    refused = await alice.request(
        "sendMessage", text_message("hi", to=room_id, conversationType="GROUP")
    )
    assert refused["code"] == 10007
    joined = await alice.ok("joinGroup", {"groupID": room_id})
    assert (joined["status"], joined["group"]["selfInfo"]["role"]) == ("JoinedSuccess", "Owner")
    await alice.push("GROUP_JOINED")
    assert (await bob.ok("joinGroup", {"groupID": room_id}))["status"] == "JoinedSuccess"
    await bob.push("GROUP_JOINED")
    alice.pushes.clear()
    bob.pushes.clear()
    await alice.ok("sendMessage", text_message("大家好", to=room_id, conversationType="GROUP"))
    live = (await bob.push("MESSAGE_RECEIVED"))["data"][0]
    while live["type"] != "TIMTextElem":
        live = (await bob.push("MESSAGE_RECEIVED"))["data"][0]
    assert (live["payload"], live["changeSequence"]) == ({"text": "大家好"}, 0)
    history = await bob.ok("getMessageList", {"conversationID": f"GROUP{room_id}"})
    assert history["messageList"] == []
    listed = (await bob.ok("getConversationList"))["conversationList"]
    assert f"GROUP{room_id}" not in {c["conversationID"] for c in listed}
    await carol.assert_silent()  # not in the room: hears nothing
    for client in (alice, bob, carol):
        await client.close()


async def test_discard_stops_the_groups_pushes_to_every_session_until_undone(cast):
    alice, bob_tab, bob_phone = await online("alice"), await online("bob"), await online("bob")
    await alice.ok(
        "createGroup",
        {"name": "吵", "type": "Public", "groupID": "loud", "memberList": [{"userID": "bob"}]},
    )
    for client in (alice, bob_tab, bob_phone):
        await client.push("GROUP_JOINED")
    answer = await bob_tab.ok(
        "setMessageRemindType", {"groupID": "loud", "messageRemindType": "Discard"}
    )
    assert answer["group"]["selfInfo"]["messageRemindType"] == "Discard"
    for bob in (bob_tab, bob_phone):
        pushed = (await bob.push("MESSAGE_REMIND_TYPE_UPDATED"))["data"]
        assert pushed == {"groupID": "loud", "messageRemindType": "Discard"}
    await alice.ok("sendMessage", text_message("一", to="loud", conversationType="GROUP"))
    await assert_all_silent(bob_tab, bob_phone)
    # A new session of bob's does not hear the group either.
    bob_new = await online("bob")
    await alice.ok("sendMessage", text_message("二", to="loud", conversationType="GROUP", random=2))
    await bob_new.assert_silent()
    # Stored all the same, and unread counts as usual.
    history = await bob_new.ok("getMessageList", {"conversationID": "GROUPloud"})
    assert [m["payload"]["text"] for m in history["messageList"]] == ["一", "二"]
    listed = {
        c["conversationID"]: c
        for c in (await bob_new.ok("getConversationList"))["conversationList"]
    }
    assert listed["GROUPloud"]["messageRemindType"] == "Discard"

    await bob_phone.ok(
        "setMessageRemindType", {"groupID": "loud", "messageRemindType": "AcceptNotNotify"}
    )
    for bob in (bob_tab, bob_phone, bob_new):
        await bob.push("MESSAGE_REMIND_TYPE_UPDATED")
    await alice.ok("sendMessage", text_message("三", to="loud", conversationType="GROUP", random=3))
    for bob in (bob_tab, bob_phone, bob_new):
        assert (await bob.push("MESSAGE_RECEIVED"))["data"][0]["payload"] == {"text": "三"}
    bad = await bob_tab.request(
        "setMessageRemindType", {"groupID": "loud", "messageRemindType": "Never"}
    )
    assert bad["code"] == 10004
    outsider = await (await online("carol")).request(
        "setMessageRemindType", {"groupID": "loud", "messageRemindType": "Discard"}
    )
    assert outsider["code"] == 10007
    for client in (alice, bob_tab, bob_phone, bob_new):
        await client.close()


async def test_custom_fields_of_groups_and_members(cast):
    alice, bob = await online("alice"), await online("bob")
    created = await alice.ok(
        "createGroup",
        {
            "name": "茶馆",
            "type": "Public",
            "groupID": "tea",
            "groupCustomField": [{"key": "group_level", "value": "high"}],
            "memberList": [
                {"userID": "bob", "memberCustomField": [{"key": "seat", "value": "A1"}]}
            ],
        },
    )
    assert created["group"]["groupCustomField"] == [{"key": "group_level", "value": "high"}]
    await bob.push("GROUP_JOINED")
    profile = (await bob.ok("getGroupProfile", {"groupID": "tea"}))["group"]
    assert profile["selfInfo"]["memberCustomField"] == [{"key": "seat", "value": "A1"}]

    await alice.ok(
        "updateGroupProfile",
        {"groupID": "tea", "groupCustomField": [{"key": "theme", "value": "绿茶"}]},
    )
    tip = (await bob.push("MESSAGE_RECEIVED"))["data"][0]
    assert tip["payload"]["operationType"] == 6
    assert tip["payload"]["newGroupProfile"] == {
        "groupCustomField": [{"key": "theme", "value": "绿茶"}]
    }
    profile = (await bob.ok("getGroupProfile", {"groupID": "tea"}))["group"]
    assert profile["groupCustomField"] == [
        {"key": "group_level", "value": "high"},
        {"key": "theme", "value": "绿茶"},
    ]

    mine = await bob.ok(
        "setGroupMemberCustomField",
        {"groupID": "tea", "memberCustomField": [{"key": "seat", "value": ""}]},
    )
    assert mine["member"]["memberCustomField"] == []  # an empty value removes the key
    others = await bob.request(
        "setGroupMemberCustomField",
        {"groupID": "tea", "userID": "alice", "memberCustomField": [{"key": "k", "value": "v"}]},
    )
    assert others["code"] == 10007
    for bad in (
        [{"key": "has space", "value": "x"}],
        [{"key": "seat", "value": "x" * 65}],
        [{"key": f"k{i}", "value": "x"} for i in range(6)],
        "not a list",
    ):
        reply = await bob.request(
            "setGroupMemberCustomField", {"groupID": "tea", "memberCustomField": bad}
        )
        assert reply["code"] == 10004, bad
    too_many = [{"key": f"k{i}", "value": "x"} for i in range(11)]
    reply = await alice.request(
        "updateGroupProfile", {"groupID": "tea", "groupCustomField": too_many}
    )
    assert reply["code"] == 10004
    for client in (alice, bob):
        await client.close()


async def test_custom_field_filters(cast):
    alice = await online("alice")
    await alice.ok(
        "createGroup",
        {
            "name": "茶馆",
            "type": "Public",
            "groupID": "tea",
            "groupCustomField": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}],
        },
    )
    await alice.ok("setGroupMemberCustomField", {"groupID": "tea", "memberCustomField": [
        {"key": "x", "value": "9"}, {"key": "y", "value": "8"}]})  # fmt: skip
    group = (
        await alice.ok(
            "getGroupProfile",
            {"groupID": "tea", "groupCustomFieldFilter": ["b"], "memberCustomFieldFilter": ["y"]},
        )
    )["group"]
    assert group["groupCustomField"] == [{"key": "b", "value": "2"}]
    assert group["selfInfo"]["memberCustomField"] == [{"key": "y", "value": "8"}]
    everything = (await alice.ok("getGroupProfile", {"groupID": "tea"}))["group"]
    assert [f["key"] for f in everything["groupCustomField"]] == ["a", "b"]
    profiles = await alice.ok(
        "getGroupMemberProfile",
        {"groupID": "tea", "userIDList": ["alice"], "memberCustomFieldFilter": []},
    )
    assert profiles["memberList"][0]["memberCustomField"] == []
    bad = await alice.request("getGroupProfile", {"groupID": "tea", "groupCustomFieldFilter": "a"})
    assert bad["code"] == 6017
    await alice.close()


async def test_roles_mute_kick_transfer_and_dismiss_over_the_socket(cast):
    alice, bob, carol = await online("alice"), await online("bob"), await online("carol")
    await alice.ok(
        "createGroup",
        {"name": "茶馆", "type": "Public", "groupID": "tea",
         "memberList": [{"userID": "bob"}, {"userID": "carol"}]},
    )  # fmt: skip
    for client in (alice, bob, carol):
        await client.push("GROUP_JOINED")
    made = await alice.ok(
        "setGroupMemberRole", {"groupID": "tea", "userID": "bob", "role": "Admin"}
    )
    assert made["member"]["role"] == "Admin"
    muted = await bob.ok("setGroupMemberMuteTime", {"groupID": "tea", "userID": "carol",
                                                    "muteTime": 600})  # fmt: skip
    assert muted["member"]["muteUntil"] > 0
    refused = await carol.request(
        "sendMessage", text_message("?", to="tea", conversationType="GROUP")
    )
    assert refused["code"] == 10017
    removed = await bob.ok("deleteGroupMember", {"groupID": "tea", "userIDList": ["carol"]})
    assert (removed["userIDList"], removed["group"]["memberCount"]) == (["carol"], 2)
    assert (await carol.push("GROUP_LEFT"))["data"]["reason"] == "kicked"
    handed = await alice.ok("changeGroupOwner", {"groupID": "tea", "newOwnerID": "bob"})
    assert (handed["group"]["ownerID"], handed["group"]["selfInfo"]["role"]) == ("bob", "Member")
    assert (await alice.request("dismissGroup", {"groupID": "tea"}))["code"] == 10007
    assert await bob.ok("dismissGroup", {"groupID": "tea"}) == {"groupID": "tea"}
    for client in (alice, bob):
        assert (await client.push("GROUP_LEFT"))["data"] == {
            "groupID": "tea",
            "reason": "dismissed",
        }
    assert (await alice.request("getGroupProfile", {"groupID": "tea"}))["code"] == 10010
    for client in (alice, bob, carol):
        await client.close()
