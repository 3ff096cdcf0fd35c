"""Groups over TIM's wire protocol at the frame level (im/timwire/commands/groups.py,
group_pushes.py): the replies' and pushes' TIM keys, who hears each push (exactly),
the refusals, and that /ws/im/ and TIM sockets share one group."""

from __future__ import annotations

from typing import Any

import pytest

from im.models import GroupMember, Message, Participant
from tests.test_timwire_frames import TIMSocket
from tests.test_timwire_frames import online as tim_online
from tests.wsclient import IMClient, assert_all_silent
from tests.wsclient import online as hutong_online

pytestmark = pytest.mark.django_db(transaction=True)

GROUP = "group_open_http_svc"
NOTICE_KICKED, NOTICE_JOIN_REQUEST = 4, 1


def events(push: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The ``key`` items of a msg_push's EventArray (one event per push here)."""
    assert push["head"]["servcmd"] == "im_open_push.msg_push", push
    (event,) = push["body"]["EventArray"]
    return event[key]


def group_text(group_id: str, text: str, random: int, **extra: Any) -> dict[str, Any]:
    return {
        "From_Account": "",
        "GroupId": group_id,
        "Random": random,
        "ClientSeq": 7,
        "MsgPriority": "Normal",
        "MsgClientTime": 1764000000,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}],
        **extra,
    }


async def ok(sock: TIMSocket, command: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = await sock.call(f"{GROUP}.{command}", body)
    assert answer["ErrorCode"] == 0, answer
    return answer


async def code(sock: TIMSocket, command: str, body: dict[str, Any]) -> int:
    return (await sock.call(f"{GROUP}.{command}", body))["ErrorCode"]


async def public_group(owner: TIMSocket, *joiners: TIMSocket, group_id: str = "g1") -> str:
    """A Public group of ``owner``'s that ``joiners`` joined; every push so far read."""
    await ok(owner, "create_group", {"Type": "Public", "Name": "G", "GroupId": group_id})
    for sock in joiners:
        assert (await ok(sock, "apply_join_group", {"GroupId": group_id}))["JoinedStatus"] == (
            "JoinedSuccess"
        )
    for sock in (owner, *joiners):
        await drain(sock)
    return group_id


async def drain(sock: TIMSocket) -> None:
    sock.pushes.clear()
    while not await sock.comm.receive_nothing(timeout=0.2):
        await sock.frame()


async def test_group_message_reaches_members_but_the_sending_socket(cast):
    alice, bob, bob_two, carol = (
        await tim_online("alice"),
        await tim_online("bob"),
        await tim_online("bob"),
        await tim_online("carol"),
    )
    group_id = await public_group(alice, bob)
    await drain(bob_two)
    sent = await ok(bob, "send_group_msg", group_text(group_id, "hi all", 31))
    message = await Message.objects.select_related("sender").aget(random=31)
    assert (sent["MsgSeq"], sent["MsgTime"]) == (message.seq, int(message.created_at.timestamp()))
    (item,) = events(await alice.push(), "GroupMsgArray")
    assert item["From_Account"] == "bob" and item["ToGroupId"] == group_id
    assert item["GroupInfo"]["GroupId"] == group_id
    assert (item["MsgSeq"], item["MsgRandom"], item["MsgClientTime"]) == (
        message.seq,
        31,
        1764000000,
    )
    assert item["TinyId"] == bob.tiny and item["ClientSeq"] == 7
    assert item["MsgBody"] == [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi all"}}]
    assert item["From_AccountNick"] == "Bob" and item["OnlineOnlyFlag"] == 0
    # bob's other socket hears its own message too (the SDK takes it as sent by it).
    (mine,) = events(await bob_two.push(), "GroupMsgArray")
    assert mine == item
    await assert_all_silent(bob, carol)
    # onlineUserOnly (a typing indicator): pushed, flagged, never stored.
    await ok(bob, "send_group_msg", group_text(group_id, "typing", 32, OnlineOnlyFlag=1))
    (live,) = events(await alice.push(), "GroupMsgArray")
    assert (live["OnlineOnlyFlag"], live["MsgRandom"]) == (1, 32)
    assert not await Message.objects.filter(random=32).aexists()
    for sock in (alice, bob, bob_two, carol):
        await sock.close()


async def test_hutong_protocol_and_timwire_share_a_group(cast):
    """A group message and a tip from /ws/im/ reach a TIM socket with the same IDs, and
    a TIM message reaches /ws/im/; unread counts agree."""
    alice: IMClient = await hutong_online("alice")
    bob = await tim_online("bob")
    await alice.ok("createGroup", {"name": "Mixed", "type": "Public", "groupID": "mixed"})
    await alice.push("GROUP_JOINED")  # her connection hears the group from now on
    assert (await ok(bob, "apply_join_group", {"GroupId": "mixed"}))["JoinedStatus"] == (
        "JoinedSuccess"
    )
    created = await alice.push("MESSAGE_RECEIVED")  # alice's "created" notice
    assert created["data"][0]["conversationID"] == "@TIM#SYSTEM"
    joined = await alice.push("MESSAGE_RECEIVED")  # bob's join tip, on /ws/im/
    assert joined["data"][0]["payload"]["operationType"] == 1
    await drain(bob)

    await alice.ok(
        "sendMessage",
        {
            "to": "mixed",
            "conversationType": "GROUP",
            "type": "TIMTextElem",
            "payload": {"text": "from hutong"},
            "random": 8,
            "clientTime": 1764000002,
        },
    )
    (item,) = events(await bob.push(), "GroupMsgArray")
    stored = await Message.objects.aget(random=8)
    assert f"{item['TinyId']}-{item['MsgClientTime']}-{item['MsgRandom']}" == (
        f"{stored.sender_id}-{stored.client_time}-{stored.random}"
    )
    # A tip made on /ws/im/: bob muted for a minute.
    await alice.ok("setGroupMemberMuteTime", {"groupID": "mixed", "userID": "bob", "muteTime": 60})
    (tip,) = events(await bob.push(), "GroupTips")
    assert tip["Event"] == 4 and tip["From_Account"] == "alice" and tip["ToGroupId"] == "mixed"
    assert tip["GroupInfo"] == {"GroupId": "mixed", "GroupName": "Mixed"}
    assert tip["MsgBody"] == {
        "OpType": 7,
        "Operator_Account": "alice",
        "List_Account": ["bob"],
        "MsgMemberExtraInfo": [{"User_Account": "bob", "ShutupTime": 60}],
    }
    assert await code(bob, "send_group_msg", group_text("mixed", "muted?", 9)) == 10017
    await alice.ok("setGroupMemberMuteTime", {"groupID": "mixed", "userID": "bob", "muteTime": 0})
    await drain(bob)
    for _ in range(2):  # alice's own tips reach her own connection too
        own = await alice.push("MESSAGE_RECEIVED")
        assert own["data"][0]["payload"]["operationType"] == 7

    await ok(bob, "send_group_msg", group_text("mixed", "from tim", 10))
    received = await alice.push("MESSAGE_RECEIVED")
    assert received["data"][0]["payload"] == {"text": "from tim"}
    assert received["data"][0]["ID"] == f"{bob.tiny}-1764000000-10"
    listed = await alice.ok("getConversationList", {})
    unread = {c["conversationID"]: c["unreadCount"] for c in listed["conversationList"]}
    assert unread["GROUPmixed"] == 2  # bob's join tip and message
    page = await bob.call("recentcontact.page_get")
    (session,) = page["SessionItem"]
    # alice's message and her two mute tips; bob's own message is not unread.
    assert (session["ToAccount"], session["UnreadMsgCount"]) == ("mixed", 3)
    await alice.close()
    await bob.close()


async def test_group_history_pages_down_by_sequence(cast):
    alice, bob = await tim_online("alice"), await tim_online("bob")
    group_id = await public_group(alice, bob)  # 1: bob's join tip
    for n in range(20):
        await ok(alice, "send_group_msg", group_text(group_id, f"m{n}", 100 + n))
    first = await ok(
        bob, "group_msg_get", {"GroupId": group_id, "ReqMsgSeq": 21, "ReqMsgNumber": 21}
    )
    # Newest first, at most 15, down from the sequence asked (included).
    assert [m["MsgSeq"] for m in first["RspMsgList"]] == list(range(21, 6, -1))
    assert first["IsFinished"] == 0
    rest = await ok(bob, "group_msg_get", {"GroupId": group_id, "ReqMsgSeq": 6, "ReqMsgNumber": 21})
    assert [m["MsgSeq"] for m in rest["RspMsgList"]] == [6, 5, 4, 3, 2, 1]
    assert rest["IsFinished"] == 2
    tip = rest["RspMsgList"][-1]
    assert tip["Event"] == 4 and tip["MsgBody"]["OpType"] == 1 and tip["From_Account"] == "bob"
    assert rest["RspMsgList"][0]["MsgBody"] == [
        {"MsgType": "TIMTextElem", "MsgContent": {"Text": "m4"}}
    ]
    # ReqMsgSeq 0: from the newest.
    newest = await ok(bob, "group_msg_get", {"GroupId": group_id, "ReqMsgNumber": 2})
    assert [m["MsgSeq"] for m in newest["RspMsgList"]] == [21, 20]
    # Not a member: no history.
    carol = await tim_online("carol")
    assert await code(carol, "group_msg_get", {"GroupId": group_id, "ReqMsgSeq": 21}) == 10007
    for sock in (alice, bob, carol):
        await sock.close()


async def test_read_report_and_recall_reach_the_right_sockets(cast):
    alice, bob, bob_two = (
        await tim_online("alice"),
        await tim_online("bob"),
        await tim_online("bob"),
    )
    group_id = await public_group(alice, bob)
    await drain(bob_two)
    await ok(alice, "send_group_msg", group_text(group_id, "read me", 50))
    await drain(bob)
    await drain(bob_two)
    await ok(bob, "msg_read_report", {"GroupId": group_id, "MsgReadedSeq": 2})
    (read,) = events(await bob_two.push(), "GroupTips")
    assert read["MsgBody"] == {"GroupReadInfoArray": [{"GroupId": group_id, "LastReadMsgSeq": 2}]}
    participant = await Participant.objects.aget(
        conversation__group__group_id=group_id, account__user_id="bob"
    )
    assert participant.read_seq == 2
    await assert_all_silent(alice, bob)

    # bob may not recall alice's message; alice, its owner, may.
    recall = {"GroupId": group_id, "MsgSeqList": [{"MsgSeq": 2}, {"MsgSeq": 99}]}
    refused = await ok(bob, "group_msg_recall", recall)
    assert refused["RecallRetList"] == [
        {"MsgSeq": 2, "RetCode": 10007},
        {"MsgSeq": 99, "RetCode": 10030},
    ]
    done = await ok(alice, "group_msg_recall", {"GroupId": group_id, "MsgSeqList": [{"MsgSeq": 2}]})
    assert done["RecallRetList"] == [{"MsgSeq": 2, "RetCode": 0}]
    for sock in (bob, bob_two):
        (item,) = events(await sock.push(), "GroupTips")
        assert item["MsgBody"] == {
            "GroupWithdrawInfoArray": [
                {
                    "GroupId": group_id,
                    "MsgSeq": 2,
                    "MsgRandom": 50,
                    "RevokerInfo": {"Revoker_Account": "alice"},
                }
            ]
        }
    await alice.assert_silent()
    for sock in (alice, bob, bob_two):
        await sock.close()


async def test_kick_notice_goes_to_the_kicked_alone(cast):
    alice, bob, carol = (
        await tim_online("alice"),
        await tim_online("bob"),
        await tim_online("carol"),
    )
    group_id = await public_group(alice, bob, carol)
    await ok(
        alice,
        "delete_group_member",
        {"GroupId": group_id, "MemberToDel_Account": ["bob"], "Reason": "bye"},
    )
    (notice,) = events(await bob.push(), "GroupTips")
    assert notice["From_Account"] == "@TIM#SYSTEM"
    assert notice["GroupInfo"]["GroupId"] == group_id
    assert notice["GroupInfo"]["To_Account"] == "bob"
    assert notice["MsgBody"] == {
        "OpType": NOTICE_KICKED,
        "Operator_Account": "alice",
        "RemarkInfo": "bye",
    }
    await bob.assert_silent()  # no tip: bob stopped hearing the group first
    for sock in (alice, carol):
        (tip,) = events(await sock.push(), "GroupTips")
        assert tip["Event"] == 4
        assert tip["MsgBody"] == {
            "OpType": 3,
            "Operator_Account": "alice",
            "List_Account": ["bob"],
            "MemberNum": 2,
        }
    await assert_all_silent(alice, carol)
    for sock in (alice, bob, carol):
        await sock.close()


async def test_profiles_joined_list_and_members(cast):
    alice, bob, carol = (
        await tim_online("alice"),
        await tim_online("bob"),
        await tim_online("carol"),
    )
    group_id = await public_group(alice, bob)
    await ok(alice, "create_group", {"Type": "Private", "Name": "Work", "GroupId": "work"})
    await ok(alice, "send_group_msg", group_text(group_id, "one", 1))

    profiles = await ok(
        bob,
        "get_group_self_member_info",
        {"GroupIdList": [group_id, "work", "nowhere"], "ResponseFilter": {}},
    )
    mine, private, missing = profiles["GroupInfo"]
    assert mine["ErrorCode"] == 0 and mine["Type"] == "Public" and mine["Owner_Account"] == "alice"
    assert (mine["MemberNum"], mine["NextMsgSeq"], mine["ShutUpAllMember"]) == (2, 3, "Off")
    assert mine["SelfInfo"]["Role"] == "Member"
    assert private == {"GroupId": "work", "ErrorCode": 10007, "ErrorInfo": private["ErrorInfo"]}
    assert missing["ErrorCode"] == 10010

    await ok(bob, "msg_read_report", {"GroupId": group_id, "MsgReadedSeq": 2})
    joined = await ok(
        bob, "get_joined_group_list", {"Member_Account": "bob", "Limit": 50, "Offset": 0}
    )
    assert joined["TotalCount"] == 1
    (listed,) = joined["GroupIdList"]
    # The SDK's readedSequence: bob's read mark.
    assert (listed["GroupId"], listed["SelfInfo"]["MsgSeq"], listed["NextMsgSeq"]) == (
        group_id,
        2,
        3,
    )

    members = await ok(
        bob, "get_group_member_info", {"GroupId": group_id, "Limit": 10, "Offset": 0}
    )
    assert members["MemberNum"] == 2
    assert [(m["Member_Account"], m["Role"]) for m in members["MemberList"]] == [
        ("alice", "Owner"),
        ("bob", "Member"),
    ]
    # Not a member: no member list, no joined list of anyone else's.
    assert await code(carol, "get_group_member_info", {"GroupId": group_id, "Limit": 10}) == 10007
    other = await ok(carol, "get_joined_group_list", {"Member_Account": "bob", "Limit": 50})
    assert other["TotalCount"] == 0  # only ever the asker's own
    for sock in (alice, bob, carol):
        await sock.close()


async def test_refusals_keep_tims_codes(cast):
    alice, bob, carol = (
        await tim_online("alice"),
        await tim_online("bob"),
        await tim_online("carol"),
    )
    group_id = await public_group(alice, bob)
    # Joining twice is TIM's 10013; a missing group 10010; a non-member's send 10007.
    assert await code(bob, "apply_join_group", {"GroupId": group_id}) == 10013
    assert await code(bob, "apply_join_group", {"GroupId": "nowhere"}) == 10010
    assert await code(carol, "send_group_msg", group_text(group_id, "let me in", 3)) == 10007
    # A plain member manages nothing.
    assert await code(bob, "destroy_group", {"GroupId": group_id}) == 10007
    kick = {"GroupId": group_id, "MemberToDel_Account": ["alice"]}
    assert await code(bob, "delete_group_member", kick) == 10007
    role = {"GroupId": group_id, "Member_Account": "alice", "Role": "Member"}
    assert await code(bob, "modify_group_member_info", role) == 10007
    # Nobody sets another member's remind type, not even the owner.
    flag = {"GroupId": group_id, "Member_Account": "bob", "MsgFlag": "AcceptNotNotify"}
    assert await code(alice, "modify_group_member_info", flag) == 10004
    member = await GroupMember.objects.aget(group__group_id=group_id, account__user_id="bob")
    assert member.message_remind_type == "AcceptAndNotify"
    # bob's own, by setMessageRemindType: taken.
    await ok(bob, "modify_group_member_info", {**flag, "MsgFlag": "AcceptNotNotify"})
    member = await GroupMember.objects.aget(group__group_id=group_id, account__user_id="bob")
    assert member.message_remind_type == "AcceptNotNotify"
    # Several changes in one request: all or nothing.
    both = {"GroupId": group_id, "Member_Account": "bob", "NameCard": "B", "Role": "Owner"}
    assert await code(alice, "modify_group_member_info", both) == 10004
    member = await GroupMember.objects.aget(group__group_id=group_id, account__user_id="bob")
    assert member.name_card == ""
    # Malformed bodies.
    assert await code(alice, "group_msg_recall", {"GroupId": group_id, "MsgSeqList": [2]}) == 10004
    many = {"GroupId": group_id, "MsgSeqList": [{"MsgSeq": n} for n in range(1, 22)]}
    assert await code(alice, "group_msg_recall", many) == 10004
    at = group_text(group_id, "@", 4, GroupAtInfo=[{"GroupAtAllFlag": 0}])
    assert await code(alice, "send_group_msg", at) == 6017
    assert await code(
        alice, "create_group", {"Type": "Public", "Name": "X", "MemberList": "bob"}
    ) == (10004)
    assert await code(
        alice, "modify_group_base_info", {"GroupId": group_id, "InviteJoinOption": "x"}
    ) == (10004)
    # After a reconnect the SDK asks each group's recalls: none, and the paging ends.
    notify = await ok(bob, "get_group_notify", {"GroupId": group_id, "NotifyType": 1})
    assert (notify["NextMsgTime"], notify["NotifyMsgList"]) == (0, [])
    for sock in (alice, bob, carol):
        await sock.close()


async def test_applications_by_notice_and_pendency(cast):
    alice, bob = await tim_online("alice"), await tim_online("bob")
    await ok(
        alice,
        "create_group",
        {"Type": "Public", "Name": "Ask", "GroupId": "ask", "ApplyJoinOption": "NeedPermission"},
    )
    await drain(alice)
    applied = await ok(bob, "apply_join_group", {"GroupId": "ask", "ApplyMsg": "please"})
    assert applied["JoinedStatus"] == "WaitAdminApproval"
    (notice,) = events(await alice.push(), "GroupTips")
    assert notice["MsgBody"] == {
        "OpType": NOTICE_JOIN_REQUEST,
        "Operator_Account": "bob",
        "RemarkInfo": "please",
    }
    pending = await ok(
        alice, "get_pendency", {"StartTime": 0, "Limit": 20, "Handle_Account": "alice"}
    )
    (item,) = pending["PendencyList"]
    assert (item["GroupId"], item["From_Account"], item["Handled"]) == ("ask", "bob", 0)
    assert pending["NextStartTime"] == 0
    assert (await ok(bob, "get_pendency", {"StartTime": 0}))["PendencyList"] == []
    await ok(
        alice,
        "handle_apply_join_group",
        {"GroupId": "ask", "Applicant_Account": "bob", "HandleMsg": "Agree", "ApprovalMsg": "ok"},
    )
    assert await GroupMember.objects.filter(group__group_id="ask", account__user_id="bob").aexists()
    for sock in (alice, bob):
        await sock.close()
