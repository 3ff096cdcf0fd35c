"""Joining, applications, adding, removing, quitting, roles, mute and name cards: what
each does and exactly whom it tells (tips to the members, notices to the people named,
GROUP_JOINED / GROUP_LEFT to the accounts whose groups changed)."""

from __future__ import annotations

import json

import pytest

from im import events
from im.errors import IMError
from im.models import Account, Group, GroupApplication, GroupMember, Message
from im.serializers import PROTOCOL
from im.services import accounts, conversations, groups, members, messages, notices
from tests.events import capture
from tests.test_group_rules import enrol

pytestmark = pytest.mark.django_db


def tea_house(cast: dict[str, Account], group_type: str = "Public", **extra) -> Group:
    """alice's group "tea" with bob as Admin and carol as a Member."""
    view = groups.check_create_group(
        owner=cast["alice"], name="茶馆", group_type=group_type, group_id="tea", **extra
    )
    enrol(view.group, cast["bob"], GroupMember.Role.ADMIN)
    enrol(view.group, cast["carol"])
    return view.group


def summary(told) -> list[tuple[str, str, frozenset[str]]]:
    """(event, element type or "", accounts told) for each captured event."""
    rows = []
    for t in told:
        kind = t.payload.type if isinstance(t.payload, Message) else ""
        rows.append((t.name, kind, t.user_ids))
    return rows


def payload_of(told, index: int) -> dict:
    return told[index].payload.payload


def refused(code: int, call, **kwargs) -> None:
    with pytest.raises(IMError) as error:
        call(**kwargs)
    assert error.value.code == code, error.value


def _say(account: Account, text: str, random: int) -> Message:
    return messages.check_send_message(
        sender=account,
        to="tea",
        conversation_type="GROUP",
        draft=messages.check_draft(
            msg_type="TIMTextElem", payload={"text": text}, random=random, client_time=1
        ),
    )


TIP, NOTICE = "TIMGroupTipElem", "TIMGroupSystemNoticeElem"
ALL = frozenset({"alice", "bob", "carol"})


def test_join_a_free_group_tells_the_joiner_and_the_members(cast):
    view = groups.check_create_group(owner=cast["alice"], name="茶馆", group_type="Public")
    with capture() as told:
        result = members.check_join_group(account=cast["carol"], group_id=view.group.group_id)
    assert result.status == "JoinedSuccess"
    assert result.group.member.role == "Member"
    assert summary(told) == [
        ("GROUP_JOINED", "", {"carol"}),
        ("MESSAGE_RECEIVED", TIP, {"alice", "carol"}),
    ]
    assert told[0].event.joins_group == view.group.pk
    pushed = json.loads(events.encode(told[0].event, cast["carol"].pk)[PROTOCOL])["data"]
    assert (pushed["selfInfo"]["userID"], pushed["selfInfo"]["role"]) == ("carol", "Member")
    assert pushed["memberCount"] == 2
    assert payload_of(told, 1)["operationType"] == 1
    assert payload_of(told, 1)["userIDList"] == ["carol"]
    # The joiner catches up from before its join tip.
    assert told[0].payload.change_seq == told[1].payload.change_seq - 1


def test_an_application_goes_to_the_owner_and_admins_and_is_handled_once(cast):
    group = tea_house(cast, join_option="NeedPermission")
    GroupMember.objects.filter(account=cast["carol"]).delete()
    with capture() as told:
        result = members.check_join_group(
            account=cast["carol"], group_id="tea", apply_message="让我进去"
        )
    assert result.status == "WaitAdminApproval"
    assert summary(told) == [
        ("MESSAGE_RECEIVED", NOTICE, {"alice"}),
        ("MESSAGE_RECEIVED", NOTICE, {"bob"}),
    ]
    notice = json.loads(events.encode(told[0].event, cast["alice"].pk)[PROTOCOL])["data"][0]
    assert notice["conversationID"] == "@TIM#SYSTEM"
    assert notice["from"] == "@TIM#SYSTEM"
    assert notice["payload"] == {
        "operationType": 1,
        "operatorID": "carol",
        "groupProfile": {"groupID": "tea", "name": "茶馆"},
        "handleMessage": "让我进去",
    }
    # Applying again while pending tells nobody again.
    with capture() as told:
        members.check_join_group(account=cast["carol"], group_id="tea")
    assert told == []
    assert [a.applicant.user_id for a in members.get_application_list(account=cast["bob"])] == [
        "carol"
    ]
    assert members.get_application_list(account=cast["carol"]) == []

    with capture() as told:
        members.check_handle_application(
            account=cast["bob"], group_id="tea", applicant_id="carol", action="Agree"
        )
    assert summary(told) == [
        ("GROUP_JOINED", "", {"carol"}),
        ("MESSAGE_RECEIVED", TIP, ALL),
        ("MESSAGE_RECEIVED", NOTICE, {"carol"}),
    ]
    assert payload_of(told, 2)["operationType"] == 2
    assert GroupMember.objects.filter(group=group, account=cast["carol"]).exists()
    refused(
        10024,
        members.check_handle_application,
        account=cast["alice"],
        group_id="tea",
        applicant_id="carol",
        action="Agree",
    )


def test_a_rejected_application_tells_only_the_applicant(cast):
    tea_house(cast, join_option="NeedPermission")
    GroupMember.objects.filter(account=cast["carol"]).delete()
    members.check_join_group(account=cast["carol"], group_id="tea")
    refused(
        10007,
        members.check_handle_application,
        account=cast["carol"],
        group_id="tea",
        applicant_id="carol",
        action="Agree",
    )
    with capture() as told:
        members.check_handle_application(
            account=cast["alice"],
            group_id="tea",
            applicant_id="carol",
            action="Reject",
            handle_message="满了",
        )
    assert summary(told) == [("MESSAGE_RECEIVED", NOTICE, {"carol"})]
    assert payload_of(told, 0)["operationType"] == 3
    assert payload_of(told, 0)["handleMessage"] == "满了"
    assert not GroupApplication.objects.exists()


def test_join_refusals(cast):
    groups.check_create_group(
        owner=cast["alice"],
        name="闭门",
        group_type="Public",
        group_id="closed",
        join_option="DisableApply",
    )
    refused(10007, members.check_join_group, account=cast["bob"], group_id="closed")
    groups.check_create_group(
        owner=cast["alice"], name="小", group_type="Public", group_id="tiny", max_member_num=1
    )
    refused(10014, members.check_join_group, account=cast["bob"], group_id="tiny")
    refused(10010, members.check_join_group, account=cast["bob"], group_id="nowhere")
    refused(
        10004,
        members.check_join_group,
        account=cast["bob"],
        group_id="tiny",
        apply_message="长" * 101,
    )


def test_add_members_to_a_private_group(cast):
    view = groups.check_create_group(
        owner=cast["alice"],
        name="工作",
        group_type="Private",
        group_id="work",
        members=[("bob", "Member")],
    )
    with capture() as told:
        result = members.check_add_members(
            account=cast["bob"], group_id="work", user_ids=["carol", "alice", "nobody"]
        )
    assert (result.added, result.existed, result.failed, result.over_limit) == (
        ["carol"],
        ["alice"],
        ["nobody"],
        [],
    )
    assert summary(told) == [
        ("GROUP_JOINED", "", {"carol"}),
        ("MESSAGE_RECEIVED", TIP, ALL),
        ("MESSAGE_RECEIVED", NOTICE, {"carol"}),
    ]
    assert payload_of(told, 1)["operatorID"] == "bob"
    assert payload_of(told, 1)["userIDList"] == ["carol"]
    assert payload_of(told, 2)["operationType"] == 7
    # A new member has nothing unread from before it came: only the tip of its arrival.
    assert (
        conversations.get_conversation_profile(
            account=cast["carol"], conversation_id="GROUPwork"
        ).participant.unread
        == 1
    )
    assert view.group.pk == told[0].event.joins_group


def test_add_stops_at_the_member_limit(cast):
    groups.check_create_group(
        owner=cast["alice"], name="工作", group_type="Private", group_id="work", max_member_num=2
    )
    result = members.check_add_members(
        account=cast["alice"], group_id="work", user_ids=["bob", "carol"]
    )
    assert (result.added, result.over_limit) == (["bob"], ["carol"])


def test_removing_a_member_tells_the_rest_by_tip_and_the_removed_by_notice(cast):
    group = tea_house(cast)
    with capture() as told:
        members.check_delete_members(
            account=cast["bob"], group_id="tea", user_ids=["carol"], reason="吵"
        )
    assert summary(told) == [
        ("GROUP_LEFT", "", {"carol"}),
        ("MESSAGE_RECEIVED", TIP, {"alice", "bob"}),
        ("MESSAGE_RECEIVED", NOTICE, {"carol"}),
    ]
    assert told[0].event.leaves_group == group.pk
    assert payload_of(told, 1)["operationType"] == 3
    assert payload_of(told, 2) | {"handleMessage": "吵"} == payload_of(told, 2)
    # Gone: no history, no sending.
    refused(
        10007,
        conversations.check_get_message_list,
        account=cast["carol"],
        conversation_id="GROUPtea",
    )


ROLE_ON_ROLE = [
    # An admin acts on plain members only.
    ("bob", members.check_delete_members, {"user_ids": ["dan-admin"]}, 10007),
    ("bob", members.check_delete_members, {"user_ids": ["alice"]}, 10007),
    ("bob", members.check_set_mute_time, {"user_id": "dan-admin", "mute_time": 60}, 10007),
    ("bob", members.check_set_name_card, {"user_id": "dan-admin", "name_card": "x"}, 10007),
    # Nobody removes, mutes, re-roles or hands the group to itself.
    ("alice", members.check_delete_members, {"user_ids": ["alice"]}, 10004),
    ("alice", members.check_set_mute_time, {"user_id": "alice", "mute_time": 60}, 10004),
    ("alice", members.check_set_role, {"user_id": "alice", "role": "Member"}, 10004),
    ("alice", groups.check_change_owner, {"new_owner_id": "alice"}, 10004),
    # Only members are acted on.
    ("alice", members.check_set_role, {"user_id": "nobody", "role": "Admin"}, 10004),
]


@pytest.mark.parametrize(("actor", "call", "kwargs", "code"), ROLE_ON_ROLE)
def test_role_on_role_rules(cast, actor, call, kwargs, code):
    group = tea_house(cast)
    enrol(group, Account.objects.create(app=cast["alice"].app, user_id="dan-admin"), "Admin")
    refused(code, call, account=cast[actor], group_id="tea", **kwargs)


def test_a_member_sets_its_own_name_card(cast):
    tea_house(cast)
    change = members.check_set_name_card(
        account=cast["carol"], group_id="tea", user_id="", name_card="小卡"
    )
    assert (change.member.account.user_id, change.member.name_card) == ("carol", "小卡")


def test_quit_tells_the_rest_and_leaves_a_private_group_ownerless(cast):
    group = tea_house(cast, group_type="Private")
    with capture() as told:
        members.check_quit_group(account=cast["alice"], group_id="tea")
    assert summary(told) == [
        ("GROUP_LEFT", "", {"alice"}),
        ("MESSAGE_RECEIVED", TIP, {"bob", "carol"}),
        ("MESSAGE_RECEIVED", NOTICE, {"alice"}),
    ]
    group.refresh_from_db()
    assert group.owner is None


def test_dismiss_tells_every_member_and_deletes_the_group(cast):
    tea_house(cast)
    _say(cast["carol"], "再见", 1)
    with capture() as told:
        groups.check_dismiss_group(account=cast["alice"], group_id="tea")
    assert sorted(summary(told), key=str) == sorted(
        [
            ("MESSAGE_RECEIVED", NOTICE, {"alice"}),
            ("MESSAGE_RECEIVED", NOTICE, {"bob"}),
            ("MESSAGE_RECEIVED", NOTICE, {"carol"}),
            ("GROUP_LEFT", "", ALL),
        ],
        key=str,
    )
    assert not Group.objects.filter(group_id="tea").exists()
    assert not Message.objects.filter(type="TIMTextElem").exists()
    # The notices stay, in each member's system conversation.
    page = conversations.check_get_message_list(account=cast["bob"], conversation_id="@TIM#SYSTEM")
    assert [m.payload["operationType"] for m in page.messages] == [5]


def test_role_mute_name_card_and_profile_tips(cast):
    tea_house(cast)
    with capture() as told:
        members.check_set_role(account=cast["alice"], group_id="tea", user_id="carol", role="Admin")
    assert summary(told) == [
        ("MESSAGE_RECEIVED", TIP, ALL),
        ("MESSAGE_RECEIVED", NOTICE, {"carol"}),
    ]
    assert (payload_of(told, 0)["operationType"], payload_of(told, 1)["operationType"]) == (4, 9)
    with capture() as told:
        members.check_set_role(
            account=cast["alice"], group_id="tea", user_id="carol", role="Member"
        )
    assert (payload_of(told, 0)["operationType"], payload_of(told, 1)["operationType"]) == (5, 10)

    with capture() as told:
        members.check_set_mute_time(
            account=cast["bob"], group_id="tea", user_id="carol", mute_time=600
        )
    assert summary(told) == [("MESSAGE_RECEIVED", TIP, ALL)]
    assert payload_of(told, 0)["memberList"] == [{"userID": "carol", "muteTime": 600}]
    refused(10017, _say, account=cast["carol"], text="?", random=2)
    members.check_set_mute_time(account=cast["bob"], group_id="tea", user_id="carol", mute_time=0)
    _say(cast["carol"], "!", 3)

    with capture() as told:
        groups.check_update_group_profile(
            account=cast["bob"],
            group_id="tea",
            changes={"name": "新茶馆", "mute_all_members": True},
        )
    assert summary(told) == [("MESSAGE_RECEIVED", TIP, ALL)]
    assert payload_of(told, 0)["operationType"] == 6
    assert payload_of(told, 0)["newGroupProfile"] == {"name": "新茶馆", "muteAllMembers": True}
    # Unchanged values tell nobody; nothing to change is refused.
    with capture() as told:
        groups.check_update_group_profile(
            account=cast["bob"], group_id="tea", changes={"name": "新茶馆"}
        )
    assert told == []
    refused(
        10004, groups.check_update_group_profile, account=cast["bob"], group_id="tea", changes={}
    )

    with capture() as told:
        view = groups.check_change_owner(
            account=cast["alice"], group_id="tea", new_owner_id="carol"
        )
    assert summary(told) == [("MESSAGE_RECEIVED", TIP, ALL)]
    assert payload_of(told, 0)["newGroupProfile"] == {"ownerID": "carol"}
    assert (view.group.owner.user_id, view.member.role) == ("carol", "Member")


def test_member_list_pages_owner_first(cast):
    tea_house(cast)
    page, offset = members.check_member_list(account=cast["carol"], group_id="tea", count=2)
    assert [(m.account.user_id, m.role) for m in page] == [("alice", "Owner"), ("bob", "Admin")]
    assert offset == 2
    page, offset = members.check_member_list(
        account=cast["carol"], group_id="tea", count=2, offset=2
    )
    assert ([m.account.user_id for m in page], offset) == (["carol"], 0)
    found = members.check_member_profiles(
        account=cast["bob"], group_id="tea", user_ids=["carol", "nobody", "alice"]
    )
    assert [m.account.user_id for m in found] == ["carol", "alice"]
    refused(10004, members.check_member_list, account=cast["bob"], group_id="tea", count=101)


@pytest.mark.parametrize(
    ("group_type", "sees_before"),
    [("Private", False), ("Public", False), ("ChatRoom", True)],
)
def test_newcomers_see_history_from_before_they_joined_only_in_chatrooms(
    cast, group_type, sees_before
):
    groups.check_create_group(
        owner=cast["alice"],
        name="茶馆",
        group_type=group_type,
        group_id="tea",
        members=[("bob", "Member")],
    )
    _say(cast["alice"], "before carol", 1)
    if group_type == "Private":
        members.check_add_members(account=cast["alice"], group_id="tea", user_ids=["carol"])
    else:
        members.check_join_group(account=cast["carol"], group_id="tea")
    _say(cast["bob"], "after carol", 2)
    page = conversations.check_get_message_list(account=cast["carol"], conversation_id="GROUPtea")
    shown = [m.payload.get("text", m.type) for m in page.messages]
    expected = ["TIMGroupTipElem", "after carol"]
    assert shown == (["before carol", *expected] if sees_before else expected)
    synced = conversations.check_sync_messages(
        account=cast["carol"], conversation_id="GROUPtea", after_change_seq=0
    )
    assert [m.payload.get("text", m.type) for m in synced.messages] == shown
    # The members who were there see everything.
    bobs = conversations.check_get_message_list(account=cast["bob"], conversation_id="GROUPtea")
    assert len(bobs.messages) == 3


def test_an_applicant_added_meanwhile_leaves_nothing_to_handle(cast):
    tea_house(cast, join_option="NeedPermission")
    GroupMember.objects.filter(account=cast["carol"]).delete()
    members.check_join_group(account=cast["carol"], group_id="tea")
    Account.objects.filter(pk=cast["bob"].pk).update(is_admin=True)
    admin = Account.objects.get(pk=cast["bob"].pk)
    assert members.check_add_members(account=admin, group_id="tea", user_ids=["carol"]).added == [
        "carol"
    ]
    refused(
        10024,
        members.check_handle_application,
        account=cast["alice"],
        group_id="tea",
        applicant_id="carol",
        action="Agree",
    )


def test_a_deleted_notice_conversation_comes_back_with_the_next_notice(cast):
    tea_house(cast)
    members.check_set_role(account=cast["alice"], group_id="tea", user_id="carol", role="Admin")
    conversations.check_delete_conversation(account=cast["carol"], conversation_id="@TIM#SYSTEM")
    listed = [
        p.conversation.kind for p in conversations.get_conversation_list(account=cast["carol"])
    ]
    assert "@TIM#SYSTEM" not in listed
    members.check_set_role(account=cast["alice"], group_id="tea", user_id="carol", role="Member")
    shown = conversations.get_conversation_list(account=cast["carol"])
    system = [p for p in shown if p.conversation.kind == "@TIM#SYSTEM"]
    assert [(p.unread, p.conversation.last_seq) for p in system] == [(1, 2)]


def test_a_private_group_is_created_without_admins(cast):
    refused(
        10004,
        groups.check_create_group,
        owner=cast["alice"],
        name="工作",
        group_type="Private",
        members=[("bob", "Admin")],
    )
    assert not Group.objects.exists()


def test_a_custom_notice_comes_from_the_app_administrator_to_every_member(cast):
    group = tea_house(cast)
    operator = accounts.do_ensure_console_operator(cast["alice"].app)
    for owner_or_admin in (cast["alice"], cast["bob"]):
        refused(
            10007,
            notices.check_send_custom_notice,
            account=owner_or_admin,
            group_id="tea",
            text="hi",
        )
    refused(10004, notices.check_send_custom_notice, account=operator, group_id="tea", text=" ")
    refused(
        10004,
        notices.check_send_custom_notice,
        account=operator,
        group_id="tea",
        text="长" * 342,  # 1,026 bytes
    )
    refused(10010, notices.check_send_custom_notice, account=operator, group_id="no", text="hi")

    with capture() as told:
        sent = notices.check_send_custom_notice(account=operator, group_id="tea", text="维护")

    # One notice each, to the members alone: the operator is not one.
    assert summary(told) == [
        ("MESSAGE_RECEIVED", "TIMGroupSystemNoticeElem", frozenset({user}))
        for user in ("alice", "bob", "carol")
    ]
    assert {n.conversation.account_low.user_id for n in sent} == {"alice", "bob", "carol"}
    assert payload_of(told, 0) == {
        "operationType": 255,
        "operatorID": "administrator",
        "groupProfile": {"groupID": "tea", "name": "茶馆"},
        "handleMessage": "",
        "userDefinedField": "维护",
    }
    assert group.members.count() == 3
