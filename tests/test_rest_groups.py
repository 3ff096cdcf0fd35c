"""The REST API's group commands, as TIM's app administrator, and what members online
hear of them."""

from __future__ import annotations

import time

import pytest

from im.models import Group, GroupMember, Message
from tests.rest import ADMIN, apost, fails, ok
from tests.wsclient import online

live = pytest.mark.django_db(transaction=True)
SVC = "group_open_http_svc"


def group_body(group_id: str = "tea", group_type: str = "Public", **extra) -> dict:
    return {
        "Owner_Account": "alice",
        "Type": group_type,
        "GroupId": group_id,
        "Name": "茶馆",
        "MemberList": [{"Member_Account": "bob"}],
        **extra,
    }


def create(group_id: str = "tea", group_type: str = "Public", **extra) -> str:
    return ok(f"{SVC}/create_group", group_body(group_id, group_type, **extra))["GroupId"]


def roles(group_id: str) -> dict[str, str]:
    return dict(
        GroupMember.objects.filter(group__group_id=group_id).values_list("account__user_id", "role")
    )


def test_create_read_modify_and_destroy(rest_admin):
    assert create(AppDefinedData=[{"Key": "topic", "Value": "tea"}], Introduction="hi") == "tea"
    # Work is TIM's other name for Private; no owner given: the administrator owns it.
    private = ok(f"{SVC}/create_group", {"Type": "Work", "Name": "ops"})["GroupId"]
    assert Group.objects.get(group_id=private).type == "Private"
    assert roles(private) == {ADMIN: "Owner"}
    assert roles("tea") == {"alice": "Owner", "bob": "Member"}

    info = ok(f"{SVC}/get_group_info", {"GroupIdList": ["tea", private, "nope"]})["GroupInfo"]
    assert info[0]["Owner_Account"] == "alice" and info[0]["MemberNum"] == 2
    assert info[0]["AppDefinedData"] == [{"Key": "topic", "Value": "tea"}]
    assert (info[0]["Introduction"], info[0]["ShutUpAllMember"]) == ("hi", "Off")
    assert info[1]["Type"] == "Private"  # the administrator reads a Private group too
    assert (info[2]["GroupId"], info[2]["ErrorCode"]) == ("nope", 10010)

    ok(
        f"{SVC}/modify_group_base_info",
        {"GroupId": "tea", "Name": "新茶馆", "ShutUpAllMember": "On"},
    )
    group = Group.objects.get(group_id="tea")
    assert (group.name, group.mute_all_members) == ("新茶馆", True)
    fails(f"{SVC}/modify_group_base_info", {"GroupId": "tea", "ShutUpAllMember": "Yes"}, 10004)
    fails(f"{SVC}/modify_group_base_info", {"GroupId": "tea", "Name": "x" * 31}, 10004)

    listed = ok(f"{SVC}/get_appid_group_list", {"Limit": 1})
    assert listed["TotalCount"] == 2 and listed["GroupIdList"] == [{"GroupId": "tea"}]
    rest = ok(f"{SVC}/get_appid_group_list", {"Limit": 1, "Next": listed["Next"]})
    assert rest["GroupIdList"] == [{"GroupId": private}] and rest["Next"] == 0
    assert ok(f"{SVC}/get_appid_group_list", {"GroupType": "Private"})["GroupIdList"] == [
        {"GroupId": private}
    ]

    ok(f"{SVC}/destroy_group", {"GroupId": "tea"})
    assert not Group.objects.filter(group_id="tea").exists()
    fails(f"{SVC}/destroy_group", {"GroupId": "tea"}, 10010)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"Type": "Secret"}, 10004),
        ({"Name": ""}, 10004),
        ({"Owner_Account": "ghost"}, 10004),
        ({"MemberList": "bob"}, 10004),
        ({"GroupId": "@TGS#forged"}, 10015),
    ],
)
def test_a_bad_create_makes_no_group(rest_admin, change, code):
    body = {"Owner_Account": "alice", "Type": "Public", "Name": "n", **change}
    fails(f"{SVC}/create_group", body, code)
    assert not Group.objects.exists()


@live
async def test_members_added_and_removed_by_rest_hear_it_live(rest_admin):
    carol = await online("carol")
    await apost(f"{SVC}/create_group", group_body(MemberList=[]))
    added = await apost(
        f"{SVC}/add_group_member",
        {
            "GroupId": "tea",
            "MemberList": [{"Member_Account": u} for u in ("carol", "alice", "ghost")],
        },
    )
    assert added["MemberList"] == [
        {"Member_Account": "carol", "Result": 1},
        {"Member_Account": "alice", "Result": 2},
        {"Member_Account": "ghost", "Result": 0},
    ]
    joined = (await carol.push("GROUP_JOINED"))["data"]
    assert joined["groupID"] == "tea"

    sent = await apost(
        f"{SVC}/send_group_msg",
        {
            "GroupId": "tea",
            "From_Account": "alice",
            "Random": 5,
            "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "欢迎"}}],
        },
    )
    assert sent["ActionStatus"] == "OK", sent
    messages = []
    while not any(m["type"] == "TIMTextElem" for m in messages):
        messages += (await carol.push("MESSAGE_RECEIVED"))["data"]
    text = next(m for m in messages if m["type"] == "TIMTextElem")
    assert (text["from"], text["payload"], text["sequence"]) == (
        "alice",
        {"text": "欢迎"},
        sent["MsgSeq"],
    )

    recalled = await apost(
        f"{SVC}/group_msg_recall",
        {"GroupId": "tea", "MsgSeqList": [{"MsgSeq": sent["MsgSeq"]}, {"MsgSeq": 999}]},
    )
    assert recalled["RecallRetList"] == [
        {"MsgSeq": sent["MsgSeq"], "RetCode": 0},
        {"MsgSeq": 999, "RetCode": 10030},
    ]
    [revoked] = (await carol.push("MESSAGE_REVOKED"))["data"]
    assert (revoked["sequence"], revoked["revoker"]) == (sent["MsgSeq"], ADMIN)

    removed = await apost(
        f"{SVC}/delete_group_member",
        {"GroupId": "tea", "MemberToDel_Account": ["carol"], "Reason": "bye"},
    )
    assert removed["ActionStatus"] == "OK", removed
    left = (await carol.push("GROUP_LEFT"))["data"]
    assert left == {"groupID": "tea", "reason": "kicked"}
    await carol.close()


def test_the_administrator_speaks_in_a_group_it_is_not_in(rest_admin):
    create()
    body = {
        "GroupId": "tea",
        "Random": 1,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "notice"}}],
    }
    answer = ok(f"{SVC}/send_group_msg", body)
    message = Message.objects.get(seq=answer["MsgSeq"], conversation__group__group_id="tea")
    assert message.sender.user_id == ADMIN
    assert not GroupMember.objects.filter(group__group_id="tea", account__user_id=ADMIN).exists()
    # A member who is not an administrator still must be one.
    fails(f"{SVC}/send_group_msg", {**body, "From_Account": "carol"}, 10007)
    history = ok(f"{SVC}/group_msg_get_simple", {"GroupId": "tea", "ReqMsgNumber": 20})
    texts = [
        m["MsgBody"][0]["MsgContent"]
        for m in history["RspMsgList"]
        if m["MsgBody"][0]["MsgType"] == "TIMTextElem"
    ]
    assert texts == [{"Text": "notice"}]
    assert history["IsFinished"] == 1


def test_member_info_roles_mute_and_name_cards(rest_admin):
    create(MemberList=[{"Member_Account": "bob"}, {"Member_Account": "carol"}])
    ok(
        f"{SVC}/modify_group_member_info",
        {
            "GroupId": "tea",
            "Member_Account": "bob",
            "Role": "Admin",
            "NameCard": "小鲍",
            "ShutUpTime": 600,
        },
    )
    bob = GroupMember.objects.get(group__group_id="tea", account__user_id="bob")
    assert (bob.role, bob.name_card, bob.mute_until is not None) == ("Admin", "小鲍", True)
    # One bad field: none of them is applied.
    fails(
        f"{SVC}/modify_group_member_info",
        {"GroupId": "tea", "Member_Account": "carol", "NameCard": "C", "Role": "Owner"},
        10004,
    )
    assert GroupMember.objects.get(group__group_id="tea", account__user_id="carol").name_card == ""
    ok(f"{SVC}/forbid_send_msg", {"GroupId": "tea", "Members_Account": ["carol"], "ShutUpTime": 60})
    muted = ok(f"{SVC}/get_group_shutted_uin", {"GroupId": "tea"})["ShuttedUinList"]
    assert [m["Member_Account"] for m in muted] == ["carol", "bob"]
    ok(
        f"{SVC}/forbid_send_msg",
        {"GroupId": "tea", "Members_Account": ["carol", "bob"], "ShutUpTime": 0},
    )
    assert ok(f"{SVC}/get_group_shutted_uin", {"GroupId": "tea"})["ShuttedUinList"] == []

    info = ok(f"{SVC}/get_group_member_info", {"GroupId": "tea", "Limit": 2})
    assert info["MemberNum"] == 3
    assert [(m["Member_Account"], m["Role"]) for m in info["MemberList"]] == [
        ("alice", "Owner"),
        ("bob", "Admin"),
    ]
    ok(f"{SVC}/change_group_owner", {"GroupId": "tea", "NewOwner_Account": "carol"})
    assert roles("tea")["carol"] == "Owner"
    fails(f"{SVC}/change_group_owner", {"GroupId": "tea", "NewOwner_Account": "ghost"}, 10007)

    joined = ok(f"{SVC}/get_joined_group_list", {"Member_Account": "bob"})
    assert joined["TotalCount"] == 1 and joined["GroupIdList"][0]["GroupId"] == "tea"


@live
async def test_a_system_notification_reaches_only_the_members_named(rest_admin):
    bob, carol = await online("bob"), await online("carol")
    members = [{"Member_Account": "bob"}, {"Member_Account": "carol"}]
    await apost(f"{SVC}/create_group", group_body(group_type="Private", MemberList=members))
    for client in (bob, carol):
        await client.push("GROUP_JOINED")
    answer = await apost(
        f"{SVC}/send_group_system_notification",
        {"GroupId": "tea", "Content": "维护", "ToMembers_Account": ["bob"]},
    )
    assert answer["ActionStatus"] == "OK", answer
    notices = []
    while not any(m["payload"].get("operationType") == 255 for m in notices):
        notices += (await bob.push("MESSAGE_RECEIVED"))["data"]
    notice = next(m for m in notices if m["payload"].get("operationType") == 255)
    assert notice["payload"]["userDefinedField"] == "维护"
    stored = Message.objects.filter(payload__operationType=255)
    assert [
        m.conversation.account_low.user_id
        async for m in stored.select_related("conversation__account_low")
    ] == ["bob"]
    for client in (bob, carol):
        await client.close()


def _imported(user: str, at: int, text: str, random: int) -> dict:
    return {
        "From_Account": user,
        "SendTime": at,
        "Random": random,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}],
    }


def test_imported_history_is_stored_in_time_order_and_counts_as_read(rest_admin):
    create(group_type="Private", MemberList=[{"Member_Account": "bob"}])
    start = int(time.time()) - 3600
    body = {
        "GroupId": "tea",
        "MsgList": [
            _imported("alice", start, "first", 1),
            _imported("bob", start + 60, "second", 2),
            _imported("bob", start + 30, "out of order", 3),
            _imported("bob", int(time.time()) + 3600, "from the future", 4),
        ],
    }
    results = ok(f"{SVC}/import_group_msg", body)["ImportMsgResult"]
    assert [r["Result"] for r in results] == [0, 0, 10004, 10004]
    assert results[0]["MsgTime"] == start and results[1]["MsgSeq"] == results[0]["MsgSeq"] + 1
    # The same entries again: the messages stored, no copies.
    again = ok(f"{SVC}/import_group_msg", {"GroupId": "tea", "MsgList": body["MsgList"][:2]})
    assert [r["MsgSeq"] for r in again["ImportMsgResult"]] == [r["MsgSeq"] for r in results[:2]]
    texts = list(
        Message.objects.filter(type="TIMTextElem")
        .order_by("seq")
        .values_list("payload__text", flat=True)
    )
    assert texts == ["first", "second"]
    unread = ok("openim/get_c2c_unread_msg_num", {"To_Account": "bob"})  # C2C only: 0
    assert unread["AllC2CUnreadMsgNum"] == 0
    fails(
        f"{SVC}/import_group_msg",
        {"GroupId": "tea", "MsgList": [_imported("ghost", start, "x", 9)]},
        10004,
    )
    fails(
        f"{SVC}/import_group_msg",
        {"GroupId": "tea", "MsgList": [_imported("bob", start, "x", 9)] * 21},
        10004,
    )


@live
async def test_imported_messages_are_told_to_nobody_and_not_unread(rest_admin):
    bob = await online("bob")
    await apost(f"{SVC}/create_group", group_body(group_type="Private"))
    await bob.push("GROUP_JOINED")
    await bob.ok("setMessageRead", {"conversationID": "GROUPtea"})
    bob.pushes.clear()
    answer = await apost(
        f"{SVC}/import_group_msg",
        {"GroupId": "tea", "MsgList": [_imported("alice", int(time.time()) - 10, "old", 1)]},
    )
    assert answer["ImportMsgResult"][0]["Result"] == 0
    await bob.assert_silent()
    conversation = (await bob.ok("getConversationProfile", {"conversationID": "GROUPtea"}))[
        "conversation"
    ]
    assert conversation["unreadCount"] == 0
    history = await bob.ok("getMessageList", {"conversationID": "GROUPtea"})
    assert history["messageList"][-1]["payload"] == {"text": "old"}
    await bob.close()


def test_the_administrator_keeps_its_rights_in_a_group_it_owns(rest_admin):
    owned = ok(f"{SVC}/create_group", {"Type": "Public", "Name": "news"})["GroupId"]
    assert roles(owned) == {ADMIN: "Owner"}
    added = ok(
        f"{SVC}/add_group_member", {"GroupId": owned, "MemberList": [{"Member_Account": "bob"}]}
    )
    assert added["MemberList"] == [{"Member_Account": "bob", "Result": 1}]
    info = ok(f"{SVC}/get_group_info", {"GroupIdList": [owned]})["GroupInfo"][0]
    assert (info["Owner_Account"], info["MemberNum"]) == (ADMIN, 2)
