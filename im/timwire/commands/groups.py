"""TIM's ``group_open_http_svc``: groups for a member, as Tencent's SDK asks (creating,
the profile and the joined list, messages and history, read reports, members, joining
and leaving, managing). Each command reads TIM's keys, calls the service the
``/ws/im/`` op of the same name calls, and answers in TIM's keys (``group_serializers``);
a refusal is the service's IMError with TIM's code. docs/tim-sdk.md, "Groups".
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from im import hooks, params
from im.errors import GROUP_INVALID_PARAMS, IMError
from im.groupcommit import Key, conversation_key
from im.models import Account, Conversation, Group, Message
from im.permissions import GROUP_PREFIX
from im.rest.commands.groups import (
    ADD_ALREADY,
    ADD_DONE,
    ADD_FAILED,
    base_info_changes,
    change_member,
    create_from_body,
    member_info,
    user_id_list,
)
from im.results import GroupView
from im.selectors import group_progress, joined_groups
from im.serializers import message_id, unix
from im.services import conversations, groups, members, messages
from im.services.mentions import AT_ALL
from im.timwire import group_pushes  # noqa: F401 (registers the group pushes beside)
from im.timwire.commands import Call, command
from im.timwire.commands.c2c import _element
from im.timwire.commands.uploads import finishing
from im.timwire.group_serializers import group_message_item, group_profile

SERVICE = "group_open_http_svc"
# TIM answers joining a group one is in with 10013 (the SDK asks only when it holds no
# copy of the group, so this is its stale list, not a normal join).
ALREADY_MEMBER = 10013
# add_group_member's per-member Result for a member the group had no room for.
ADD_OVER_LIMIT = 4
# group_msg_get's IsFinished: the page reaches the group's first message.
HISTORY_FINISHED = 2
# Messages one group_msg_recall names at the most (the REST API's bound too).
MAX_RECALLS = 20


def _group_id(body: dict[str, Any]) -> str:
    return params.get_str(body, "GroupId")


@command(f"{SERVICE}.create_group", asking=(hooks.GROUP_BEFORE_CREATE,))
def create_group(call: Call) -> dict[str, Any]:
    """createGroup; its ``Owner_Account`` is the SDK's own userID: the asker owns it."""
    return {"GroupId": create_from_body(call.body, owner=call.account).group.group_id}


def _group_id_list(body: dict[str, Any]) -> list[str]:
    ids = params.get_str_list(body, "GroupIdList")
    if not 1 <= len(ids) <= 50:
        raise IMError(GROUP_INVALID_PARAMS, "GroupIdList must name 1-50 groups")
    return ids


def _each_group(call: Call, find: Callable[..., GroupView]) -> dict[str, Any]:
    """``GroupInfo``: each group of ``GroupIdList`` as ``find`` lets the asker see it, or
    that group's own ErrorCode (TIM answers per group)."""
    infos = []
    progress = group_progress(call.account)  # of the asker's groups, for its SelfInfo
    for group_id in _group_id_list(call.body):
        try:
            view = find(account=call.account, group_id=group_id)
        except IMError as error:
            infos.append({"GroupId": group_id, "ErrorCode": error.code, "ErrorInfo": error.message})
            continue
        infos.append(group_profile(view, progress.get(view.group.pk) if view.member else None))
    return {"GroupInfo": infos}


@command(f"{SERVICE}.get_group_self_member_info")
def get_group_profile(call: Call) -> dict[str, Any]:
    """Profiles (getGroupProfile; also the SDK's probe of a group it hears of first
    through a push): a Private group one is not in is 10007, a missing one 10010."""
    return _each_group(call, groups.check_group_profile)


@command(f"{SERVICE}.get_group_public_info")
def search_group(call: Call) -> dict[str, Any]:
    """searchGroupByID: any group but a Private one (10010), member or not."""
    return _each_group(call, groups.check_search_group)


@command(f"{SERVICE}.get_joined_group_list")
def get_joined_group_list(call: Call) -> dict[str, Any]:
    """The account's groups (only its own: ``Member_Account`` is the SDK's own userID),
    a page at a time; each with the account's read mark (``SelfInfo.MsgSeq``)."""
    body = call.body
    limit = params.get_int(body, "Limit", default=50)
    offset = params.get_int(body, "Offset", default=0)
    if limit < 1 or offset < 0:
        raise IMError(GROUP_INVALID_PARAMS, "Limit must be positive and Offset not negative")
    memberships = joined_groups(call.account)
    progress = group_progress(call.account)
    return {
        "TotalCount": len(memberships),
        "GroupIdList": [
            group_profile(GroupView(m.group, m, m.member_count), progress.get(m.group_id))
            for m in memberships[offset : offset + limit]
        ],
    }


# --- messages ---


def _at_user_list(body: dict[str, Any]) -> list[str] | None:
    """``GroupAtInfo`` as Hutong's ``atUserList`` (everyone: TIM's MSG_AT_ALL)."""
    entries = body.get("GroupAtInfo")
    if not entries:
        return None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise IMError(GROUP_INVALID_PARAMS, "GroupAtInfo is an array of objects")
    return [
        AT_ALL if e.get("GroupAtAllFlag") == 1 else params.get_str(e, "GroupAt_Account")
        for e in entries
    ]


def _send_key(call: Call) -> Key:
    return conversation_key(call.account, Conversation.Kind.GROUP, call.body.get("GroupId"))


@command(
    f"{SERVICE}.send_group_msg",
    asking=(hooks.GROUP_BEFORE_SEND,),
    first=finishing,
    batched=_send_key,
)
def send_group_message(call: Call) -> dict[str, Any]:
    body = call.body
    msg_type, payload = _element(body)
    draft = messages.check_draft(
        msg_type=msg_type,
        payload=payload,
        at_user_list=_at_user_list(body),
        random=params.get_int(body, "Random"),
        client_time=params.get_int(body, "MsgClientTime", default=0),
        client_seq=params.get_int(body, "ClientSeq", default=0),
        # The SDK sends "" for a message made without a priority.
        priority=params.get_str(body, "MsgPriority", default="") or Message.Priority.NORMAL,
        cloud_custom_data=params.get_str(body, "CloudCustomData", default=""),
    )
    message = messages.check_send_message(
        sender=call.account,
        to=_group_id(body),
        conversation_type=Conversation.Kind.GROUP,
        draft=draft,
        origin_channel=call.channel,
        online_only=body.get("OnlineOnlyFlag") == 1,
    )
    return {"MsgSeq": message.seq, "MsgTime": unix(message.created_at)}


@command(f"{SERVICE}.group_msg_get")
def get_group_history(call: Call) -> dict[str, Any]:
    """A page of history down from ``ReqMsgSeq`` (included; 0 the newest), newest first
    as TIM sends it; at most 15 (the SDK asks 21 and pages on from the oldest given)."""
    body = call.body
    count = params.get_int(body, "ReqMsgNumber", default=conversations.MAX_PAGE)
    page = conversations.check_get_message_list(
        account=call.account,
        conversation_id=GROUP_PREFIX + _group_id(body),
        up_to_seq=params.get_int(body, "ReqMsgSeq", default=0),
        count=max(1, min(count, conversations.MAX_PAGE)),
    )
    return {
        "GroupId": _group_id(body),
        "IsFinished": HISTORY_FINISHED if page.is_completed else 0,
        "RspMsgList": [group_message_item(m) for m in reversed(page.messages)],
    }


@command(f"{SERVICE}.msg_read_report")
def set_group_read(call: Call) -> dict[str, Any]:
    """setMessageRead: the group is read to its newest message (``MsgReadedSeq`` is the
    newest the SDK holds); the account's other connections follow."""
    conversations.check_set_message_read(
        account=call.account,
        conversation_id=GROUP_PREFIX + _group_id(call.body),
        origin_channel=call.channel,
    )
    return {}


@command(f"{SERVICE}.group_msg_recall")
def revoke_group_message(call: Call) -> dict[str, Any]:
    """Recall messages named by sequence, each answered on its own (``RecallRetList``)."""
    body = call.body
    group_id = _group_id(body)
    entries = body.get("MsgSeqList")
    if (
        not isinstance(entries, list)
        or not entries
        or not all(isinstance(e, dict) for e in entries)
    ):
        raise IMError(GROUP_INVALID_PARAMS, 'MsgSeqList is an array of {"MsgSeq": N}')
    if len(entries) > MAX_RECALLS:
        raise IMError(GROUP_INVALID_PARAMS, f"at most {MAX_RECALLS} messages in one recall")
    results = []
    for entry in entries:
        seq = params.get_int(entry, "MsgSeq")
        try:
            message = conversations.find_group_message(
                account=call.account, group_id=group_id, seq=seq
            )
            messages.check_revoke_message(
                account=call.account,
                conversation_id=GROUP_PREFIX + group_id,
                message_id=message_id(message),
                origin_channel=call.channel,
            )
            results.append({"MsgSeq": seq, "RetCode": 0})
        except IMError as error:
            results.append({"MsgSeq": seq, "RetCode": error.code})
    return {"RecallRetList": results}


@command(f"{SERVICE}.get_group_notify")
def get_group_recalls(call: Call) -> dict[str, Any]:
    """The recalls of a period, which the SDK asks for each group after a reconnect:
    Hutong keeps no recall times, so none (its catch-up is the history); NextMsgTime 0
    ends the SDK's paging (without it the SDK asks again at once, forever)."""
    groups.check_group_profile(account=call.account, group_id=_group_id(call.body))
    return {"NextMsgTime": 0, "NotifyMsgList": []}


# --- members ---


@command(f"{SERVICE}.get_group_member_info")
def get_group_member_list(call: Call) -> dict[str, Any]:
    body = call.body
    group_id = _group_id(body)
    page, _ = members.check_member_list(
        account=call.account,
        group_id=group_id,
        count=params.get_int(body, "Limit", default=15) or 15,
        offset=params.get_int(body, "Offset", default=0),
    )
    view = groups.check_group_profile(account=call.account, group_id=group_id)
    return {"MemberNum": view.member_count, "MemberList": [member_info(m) for m in page]}


@command(f"{SERVICE}.get_specified_group_member_info")
def get_group_member_profile(call: Call) -> dict[str, Any]:
    found = members.check_member_profiles(
        account=call.account,
        group_id=_group_id(call.body),
        user_ids=params.get_str_list(call.body, "Member_List_Account"),
    )
    return {"MemberList": [member_info(m) for m in found]}


@command(f"{SERVICE}.apply_join_group", asking=(hooks.GROUP_BEFORE_APPLY,))
def join_group(call: Call) -> dict[str, Any]:
    result = members.check_join_group(
        account=call.account,
        group_id=_group_id(call.body),
        apply_message=params.get_str(call.body, "ApplyMsg", default=""),
    )
    if result.status == members.ALREADY_IN:
        raise IMError(ALREADY_MEMBER, "you are already a member of this group")
    answer: dict[str, Any] = {"JoinedStatus": result.status}
    if result.group is not None and result.group.group.type == Group.Type.AVCHATROOM:
        # The SDK keeps a joined AVChatRoom apart (its messages, no history) only when
        # told so; without a LongPollingKey it polls nothing and takes the pushes.
        answer["HugeGroupFlag"] = 1
    return answer


@command(f"{SERVICE}.quit_group")
def quit_group(call: Call) -> dict[str, Any]:
    members.check_quit_group(account=call.account, group_id=_group_id(call.body))
    return {}


@command(f"{SERVICE}.add_group_member", asking=(hooks.GROUP_BEFORE_INVITE,))
def add_group_member(call: Call) -> dict[str, Any]:
    user_ids = user_id_list(call.body, "MemberList", "Member_Account")
    result = members.check_add_members(
        account=call.account, group_id=_group_id(call.body), user_ids=user_ids
    )
    outcome = (
        {u: ADD_DONE for u in result.added}
        | {u: ADD_ALREADY for u in result.existed}
        | {u: ADD_OVER_LIMIT for u in result.over_limit}
    )
    return {
        "MemberList": [
            {"Member_Account": u, "Result": outcome.get(u, ADD_FAILED)}
            for u in dict.fromkeys(user_ids)
        ]
    }


@command(f"{SERVICE}.delete_group_member")
def delete_group_member(call: Call) -> dict[str, Any]:
    members.check_delete_members(
        account=call.account,
        group_id=_group_id(call.body),
        user_ids=user_id_list(call.body, "MemberToDel_Account"),
        reason=params.get_str(call.body, "Reason", default=""),
    )
    return {}


@command(f"{SERVICE}.destroy_group")
def dismiss_group(call: Call) -> dict[str, Any]:
    groups.check_dismiss_group(account=call.account, group_id=_group_id(call.body))
    return {}


@command(f"{SERVICE}.change_group_owner")
def change_group_owner(call: Call) -> dict[str, Any]:
    groups.check_change_owner(
        account=call.account,
        group_id=_group_id(call.body),
        new_owner_id=params.get_str(call.body, "NewOwner_Account"),
    )
    return {}


@command(f"{SERVICE}.modify_group_base_info")
def update_group_profile(call: Call) -> dict[str, Any]:
    body = call.body
    if "InviteJoinOption" in body:
        raise IMError(GROUP_INVALID_PARAMS, "Hutong does not change a group's inviteOption")
    groups.check_update_group_profile(
        account=call.account, group_id=_group_id(body), changes=base_info_changes(body)
    )
    return {}


@command(f"{SERVICE}.modify_group_member_info")
def modify_group_member(call: Call) -> dict[str, Any]:
    """setGroupMemberRole, setGroupMemberMuteTime (``ShutUpTime``, seconds),
    setGroupMemberNameCard, setGroupMemberCustomField, and the account's own
    setMessageRemindType (``MsgFlag``), each by the rules of its service; several in
    one request change all or nothing."""
    change_member(call.body, account=call.account, remind_account=partial(_only_self, call))
    return {}


def _only_self(call: Call, user_id: str) -> Account:
    if user_id != call.account.user_id:
        raise IMError(GROUP_INVALID_PARAMS, "MsgFlag is a member's own setting")
    return call.account


# --- applications ---


@command(f"{SERVICE}.get_pendency")
def get_group_applications(call: Call) -> dict[str, Any]:
    """The applications waiting for the account (owner or admin) to handle."""
    pending = members.get_application_list(account=call.account)
    return {
        "PendencyList": [
            {
                "GroupId": a.group.group_id,
                "GroupName": a.group.name,
                "From_Account": a.applicant.user_id,
                "FromUserNickName": a.applicant.nick,
                "To_Account": a.applicant.user_id,
                "Authentication": "",
                "ApplyMsg": a.message,
                "AddTime": unix(a.created_at),
                "Handled": 0,
                "PendencyType": 0,
            }
            for a in pending
        ],
        "NextStartTime": 0,
    }


@command(f"{SERVICE}.handle_apply_join_group")
def handle_group_application(call: Call) -> dict[str, Any]:
    body = call.body
    members.check_handle_application(
        account=call.account,
        group_id=_group_id(body),
        applicant_id=params.get_str(body, "Applicant_Account"),
        action=params.get_str(body, "HandleMsg"),
        handle_message=params.get_str(body, "ApprovalMsg", default=""),
    )
    return {}
