"""``group_open_http_svc``: groups run by the app's back end, which acts as TIM's app
administrator (``im.permissions.access_manager``: an owner's rights in every group)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from im import params
from im.errors import MESSAGE_NOT_FOUND, IMError
from im.models import Account, Conversation, Group, GroupMember, Message
from im.rest.api import Caller, command, items
from im.rest.codes import GROUP_INVALID
from im.rest.elements import message_body, payload_to_content
from im.results import GroupView
from im.selectors import (
    app_groups,
    find_account,
    group_conversation,
    joined_groups,
    message_at_seq,
    messages_before,
    muted_members,
)
from im.serializers import unix
from im.services import groups, imports, members, notices
from im.services.messages import check_draft, check_revoke_as_operator, check_send_message

SERVICE = "group_open_http_svc"
MAX_INFO_GROUPS = 50
MAX_MEMBERS_PER_CALL = 500
MAX_LIST_PAGE = 10000
MAX_HISTORY_PAGE = 20
# TIM's other names for two of its types.
TYPE_ALIASES = {"Work": Group.Type.PRIVATE, "Meeting": Group.Type.CHATROOM}
# add_group_member's per-member Result.
ADD_FAILED, ADD_DONE, ADD_ALREADY = 0, 1, 2


def _group_id(body: dict[str, Any]) -> str:
    return params.get_str(body, "GroupId")


def key_value_fields(body: dict[str, Any], name: str) -> list[dict[str, str]]:
    """TIM's ``[{"Key", "Value"}]`` custom data as Hutong's ``[{key, value}]``."""
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise IMError(GROUP_INVALID, f'{name} is an array of {{"Key", "Value"}}')
    return [{"key": item.get("Key"), "value": item.get("Value", "")} for item in value]


def user_id_list(body: dict[str, Any], name: str, key: str | None = None) -> list[str]:
    """An array of userIDs, or of ``{key: userID}`` objects."""
    entries = items(body, name, most=MAX_MEMBERS_PER_CALL, code=GROUP_INVALID)
    if key is not None:
        entries = [e.get(key) if isinstance(e, dict) else None for e in entries]
    if not all(isinstance(e, str) for e in entries):
        raise IMError(GROUP_INVALID, f"{name} lists userIDs")
    return entries


def _account(caller: Caller, user_id: str) -> Account:
    account = find_account(caller.app, user_id)
    if account is None or account.deleted_at is not None:
        raise IMError(GROUP_INVALID, f"{user_id!r} is not an account of this app")
    return account


def group_info(view: GroupView) -> dict[str, Any]:
    group = view.group
    return {
        "GroupId": group.group_id,
        "ErrorCode": 0,
        "ErrorInfo": "",
        "Type": group.type,
        "Name": group.name,
        "Introduction": group.introduction,
        "Notification": group.notification,
        "FaceUrl": group.avatar,
        "Owner_Account": group.owner.user_id if group.owner else "",
        "CreateTime": unix(group.created_at),
        "MemberNum": view.member_count,
        "MaxMemberNum": group.max_member_num,
        "ApplyJoinOption": group.join_option,
        "ShutUpAllMember": "On" if group.mute_all_members else "Off",
        "AppDefinedData": [{"Key": k, "Value": v} for k, v in sorted(group.custom_fields.items())],
    }


def member_info(member: GroupMember) -> dict[str, Any]:
    mute_until = member.mute_until
    muted = mute_until is not None and mute_until > timezone.now()
    return {
        "Member_Account": member.account.user_id,
        "Role": member.role,
        "JoinTime": unix(member.joined_at),
        "MsgFlag": member.message_remind_type,
        "NameCard": member.name_card,
        "ShutUpUntil": unix(mute_until) if muted else 0,
        "AppMemberDefinedData": [
            {"Key": k, "Value": v} for k, v in sorted(member.custom_fields.items())
        ],
    }


@command(SERVICE, "create_group", invalid_code=GROUP_INVALID)
def create_group(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    owner_id = params.get_str(body, "Owner_Account", default="")
    # TIM makes a group with no owner then; a Hutong group has one: the administrator.
    owner = _account(caller, owner_id) if owner_id else caller.admin
    return {"GroupId": create_from_body(body, owner=owner).group.group_id}


def create_from_body(body: dict[str, Any], *, owner: Account) -> GroupView:
    """create_group's fields (TIM's keys, shared by the socket's command) through
    ``groups.check_create_group``, ``owner`` owning the group."""
    group_type = params.get_str(body, "Type")
    member_list = body.get("MemberList", [])
    if not isinstance(member_list, list) or not all(isinstance(m, dict) for m in member_list):
        raise IMError(GROUP_INVALID, "MemberList is an array of {Member_Account, Role}")
    listed = [
        (
            params.get_str(m, "Member_Account"),
            params.get_str(m, "Role", default=GroupMember.Role.MEMBER),
            key_value_fields(m, "AppMemberDefinedData"),
        )
        for m in member_list
    ]
    return groups.check_create_group(
        owner=owner,
        name=params.get_str(body, "Name"),
        group_type=TYPE_ALIASES.get(group_type, group_type),
        group_id=params.get_str(body, "GroupId", default=""),
        members=listed,
        introduction=params.get_str(body, "Introduction", default=""),
        notification=params.get_str(body, "Notification", default=""),
        avatar=params.get_str(body, "FaceUrl", default=""),
        join_option=params.get_str(body, "ApplyJoinOption", default="FreeAccess"),
        max_member_num=params.get_int(body, "MaxMemberCount", default=0),
        custom_fields=key_value_fields(body, "AppDefinedData"),
    )


@command(SERVICE, "destroy_group", invalid_code=GROUP_INVALID)
def destroy_group(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    groups.check_dismiss_group(account=caller.admin, group_id=_group_id(body))
    return {}


@command(SERVICE, "get_group_info", invalid_code=GROUP_INVALID)
def get_group_info(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    group_ids = items(body, "GroupIdList", most=MAX_INFO_GROUPS, code=GROUP_INVALID)
    infos = []
    for group_id in group_ids:
        if not isinstance(group_id, str):
            raise IMError(GROUP_INVALID, "GroupIdList lists groupIDs")
        try:
            infos.append(
                group_info(groups.check_group_profile(account=caller.admin, group_id=group_id))
            )
        except IMError as error:  # TIM answers per group
            infos.append({"GroupId": group_id, "ErrorCode": error.code, "ErrorInfo": error.message})
    return {"GroupInfo": infos}


# modify_group_base_info's fields and the group's (check_update_group_profile's).
BASE_INFO = {
    "Name": "name",
    "Introduction": "introduction",
    "Notification": "notification",
    "FaceUrl": "avatar",
    "ApplyJoinOption": "join_option",
}


def base_info_changes(body: dict[str, Any]) -> dict[str, object]:
    """modify_group_base_info's fields (TIM's keys, shared by the socket's command) as
    ``groups.check_update_group_profile``'s changes."""
    changes: dict[str, object] = {
        ours: params.get_str(body, theirs) for theirs, ours in BASE_INFO.items() if theirs in body
    }
    if "ShutUpAllMember" in body:
        mute_all = params.get_str(body, "ShutUpAllMember")
        if mute_all not in ("On", "Off"):
            raise IMError(GROUP_INVALID, "ShutUpAllMember is On or Off")
        changes["mute_all_members"] = mute_all == "On"
    if "AppDefinedData" in body:
        changes["custom_fields"] = key_value_fields(body, "AppDefinedData")
    return changes


@command(SERVICE, "modify_group_base_info", invalid_code=GROUP_INVALID)
def modify_group_base_info(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    changes = base_info_changes(body)
    if "MaxMemberNum" in body:
        raise IMError(GROUP_INVALID, "MaxMemberNum is set when the group is created")
    groups.check_update_group_profile(
        account=caller.admin, group_id=_group_id(body), changes=changes
    )
    return {}


@command(SERVICE, "get_appid_group_list", invalid_code=GROUP_INVALID)
def get_appid_group_list(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    limit = params.get_int(body, "Limit", default=MAX_LIST_PAGE)
    after = params.get_int(body, "Next", default=0)
    group_type = params.get_str(body, "GroupType", default="")
    if not 1 <= limit <= MAX_LIST_PAGE or after < 0:
        raise IMError(
            GROUP_INVALID, f"Limit is 1-{MAX_LIST_PAGE}; Next is where the last page ended"
        )
    group_type = TYPE_ALIASES.get(group_type, group_type)
    if group_type and group_type not in Group.Type.values:
        raise IMError(GROUP_INVALID, f"GroupType is one of {Group.Type.values}")
    page = app_groups(caller.app, after_pk=after, limit=limit + 1, group_type=group_type)
    more = len(page) > limit
    page = page[:limit]
    return {
        "TotalCount": Group.objects.filter(app=caller.app).count(),
        "GroupIdList": [{"GroupId": g.group_id} for g in page],
        "Next": page[-1].pk if more else 0,
    }


@command(SERVICE, "add_group_member", invalid_code=GROUP_INVALID)
def add_group_member(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    user_ids = user_id_list(body, "MemberList", "Member_Account")
    result = members.check_add_members(
        account=caller.admin, group_id=_group_id(body), user_ids=user_ids
    )
    outcome = {u: ADD_DONE for u in result.added} | {u: ADD_ALREADY for u in result.existed}
    return {
        "MemberList": [
            {"Member_Account": u, "Result": outcome.get(u, ADD_FAILED)}
            for u in dict.fromkeys(user_ids)
        ]
    }


@command(SERVICE, "delete_group_member", invalid_code=GROUP_INVALID)
def delete_group_member(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    members.check_delete_members(
        account=caller.admin,
        group_id=_group_id(body),
        user_ids=user_id_list(body, "MemberToDel_Account"),
        reason=params.get_str(body, "Reason", default=""),
    )
    return {}


def change_member(
    body: dict[str, Any], *, account: Account, remind_account: Callable[[str], Account]
) -> None:
    """modify_group_member_info's fields (TIM's keys, shared by the socket's command),
    each through its service acting as ``account``, all in one transaction: a refused
    field leaves the others unchanged too. ``MsgFlag`` is the member's own setting:
    it is changed as ``remind_account(userID)``, which may refuse."""
    group_id, user_id = _group_id(body), params.get_str(body, "Member_Account")
    changes = {"Role", "MsgFlag", "NameCard", "AppMemberDefinedData", "ShutUpTime"} & set(body)
    if not changes:
        raise IMError(GROUP_INVALID, "nothing to change")
    target = {"account": account, "group_id": group_id, "user_id": user_id}
    with transaction.atomic():
        if "Role" in body:
            members.check_set_role(**target, role=params.get_str(body, "Role"))
        if "ShutUpTime" in body:
            members.check_set_mute_time(**target, mute_time=params.get_int(body, "ShutUpTime"))
        if "NameCard" in body:
            members.check_set_name_card(**target, name_card=params.get_str(body, "NameCard"))
        if "AppMemberDefinedData" in body:
            fields = key_value_fields(body, "AppMemberDefinedData")
            members.check_set_member_fields(**target, fields=fields)
        if "MsgFlag" in body:
            members.check_set_remind_type(
                account=remind_account(user_id),
                group_id=group_id,
                remind_type=params.get_str(body, "MsgFlag"),
            )


@command(SERVICE, "modify_group_member_info", invalid_code=GROUP_INVALID)
def modify_group_member_info(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    change_member(
        body, account=caller.admin, remind_account=lambda user_id: _account(caller, user_id)
    )
    return {}


@command(SERVICE, "forbid_send_msg", invalid_code=GROUP_INVALID)
def forbid_send_msg(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    group_id = _group_id(body)
    seconds = params.get_int(body, "ShutUpTime")
    with transaction.atomic():
        for user_id in dict.fromkeys(user_id_list(body, "Members_Account")):
            members.check_set_mute_time(
                account=caller.admin, group_id=group_id, user_id=user_id, mute_time=seconds
            )
    return {}


@command(SERVICE, "get_group_shutted_uin", invalid_code=GROUP_INVALID)
def get_group_shutted_uin(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    view = groups.check_group_profile(account=caller.admin, group_id=_group_id(body))
    return {
        "GroupId": view.group.group_id,
        "ShuttedUinList": [
            {"Member_Account": m.account.user_id, "ShuttedUntil": unix(m.mute_until)}
            for m in muted_members(view.group, timezone.now())
        ],
    }


@command(SERVICE, "get_group_member_info", invalid_code=GROUP_INVALID)
def get_group_member_info(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    group_id = _group_id(body)
    page, _ = members.check_member_list(
        account=caller.admin,
        group_id=group_id,
        count=params.get_int(body, "Limit", default=members.MAX_MEMBER_PAGE),
        offset=params.get_int(body, "Offset", default=0),
    )
    view = groups.check_group_profile(account=caller.admin, group_id=group_id)
    return {"MemberNum": view.member_count, "MemberList": [member_info(m) for m in page]}


@command(SERVICE, "change_group_owner", invalid_code=GROUP_INVALID)
def change_group_owner(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    groups.check_change_owner(
        account=caller.admin,
        group_id=_group_id(body),
        new_owner_id=params.get_str(body, "NewOwner_Account"),
    )
    return {}


@command(SERVICE, "get_joined_group_list", invalid_code=GROUP_INVALID)
def get_joined_group_list(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    account = _account(caller, params.get_str(body, "Member_Account"))
    limit = params.get_int(body, "Limit", default=MAX_LIST_PAGE)
    offset = params.get_int(body, "Offset", default=0)
    if not 1 <= limit <= MAX_LIST_PAGE or offset < 0:
        raise IMError(GROUP_INVALID, f"Limit is 1-{MAX_LIST_PAGE}; Offset is not negative")
    memberships = joined_groups(account)
    return {
        "TotalCount": len(memberships),
        "GroupIdList": [
            {"GroupId": m.group.group_id, "Type": m.group.type, "Name": m.group.name}
            for m in memberships[offset : offset + limit]
        ],
    }


@command(SERVICE, "send_group_msg", invalid_code=GROUP_INVALID)
def send_group_msg(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    sender_id = params.get_str(body, "From_Account", default="")
    sender = _account(caller, sender_id) if sender_id else caller.admin
    msg_type, payload = message_body(body)
    draft = check_draft(
        msg_type=msg_type,
        payload=payload,
        by_back_end=True,
        random=params.get_int(body, "Random"),
        client_time=int(timezone.now().timestamp()),
        priority=params.get_str(body, "MsgPriority", default=Message.Priority.NORMAL),
        cloud_custom_data=params.get_str(body, "CloudCustomData", default=""),
    )
    message = check_send_message(
        sender=sender,
        to=_group_id(body),
        conversation_type=Conversation.Kind.GROUP,
        draft=draft,
        limit_rate=False,
    )
    return {"MsgTime": unix(message.created_at), "MsgSeq": message.seq}


@command(SERVICE, "send_group_system_notification", invalid_code=GROUP_INVALID)
def send_group_system_notification(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    receivers = None
    if "ToMembers_Account" in body:
        receivers = user_id_list(body, "ToMembers_Account")
    notices.check_send_custom_notice(
        account=caller.admin,
        group_id=_group_id(body),
        text=params.get_str(body, "Content"),
        user_ids=receivers,
    )
    return {}


@command(SERVICE, "group_msg_recall", invalid_code=GROUP_INVALID)
def group_msg_recall(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    view = groups.check_group_profile(account=caller.admin, group_id=_group_id(body))
    seqs = [
        params.get_int(e, "MsgSeq") if isinstance(e, dict) else None
        for e in items(body, "MsgSeqList", most=MAX_HISTORY_PAGE, code=GROUP_INVALID)
    ]
    if None in seqs:
        raise IMError(GROUP_INVALID, 'MsgSeqList is an array of {"MsgSeq": N}')
    conversation = group_conversation(view.group)
    results = []
    for seq in seqs:
        message = None if conversation is None else message_at_seq(conversation, seq)
        try:
            if message is None:
                raise IMError(MESSAGE_NOT_FOUND, f"no message {seq} in this group")
            check_revoke_as_operator(message_pk=message.pk, operator=caller.admin)
            results.append({"MsgSeq": seq, "RetCode": 0})
        except IMError as error:
            results.append({"MsgSeq": seq, "RetCode": error.code})
    return {"RecallRetList": results}


@command(SERVICE, "group_msg_get_simple", invalid_code=GROUP_INVALID)
def group_msg_get_simple(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    view = groups.check_group_profile(account=caller.admin, group_id=_group_id(body))
    count = params.get_int(body, "ReqMsgNumber")
    if not 1 <= count <= MAX_HISTORY_PAGE:
        raise IMError(GROUP_INVALID, f"ReqMsgNumber is 1-{MAX_HISTORY_PAGE}")
    # From ReqMsgSeq down (included), newest first, as TIM pages group history.
    upto = params.get_int(body, "ReqMsgSeq", default=0)
    conversation = group_conversation(view.group)
    page: list[Message] = []
    if conversation is not None:
        page = messages_before(conversation, before_seq=upto + 1 if upto else None, limit=count)
    return {
        "GroupId": view.group.group_id,
        "IsFinished": int(not page or page[-1].seq <= 1),
        "RspMsgList": [
            {
                "From_Account": m.sender.user_id,
                "IsPlaceMsg": int(m.is_revoked),
                "MsgBody": []
                if m.is_revoked
                else [{"MsgType": m.type, "MsgContent": payload_to_content(m)}],
                "MsgPriority": m.priority,
                "MsgRandom": m.random,
                "MsgSeq": m.seq,
                "MsgTimeStamp": unix(m.created_at),
                "CloudCustomData": m.cloud_custom_data,
            }
            for m in page
        ],
    }


@command(SERVICE, "import_group_msg", invalid_code=GROUP_INVALID)
def import_group_msg(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    entries = []
    for entry in items(body, "MsgList", most=imports.MAX_IMPORT, code=GROUP_INVALID):
        if not isinstance(entry, dict):
            raise IMError(
                GROUP_INVALID, "MsgList is an array of {From_Account, SendTime, Random, MsgBody}"
            )
        sent_at = params.get_int(entry, "SendTime")
        if not 0 < sent_at < 2**32:
            raise IMError(GROUP_INVALID, "SendTime is a unix time in seconds")
        msg_type, payload = message_body(entry)
        draft = check_draft(
            msg_type=msg_type,
            payload=payload,
            by_back_end=True,
            random=params.get_int(entry, "Random"),
            client_time=sent_at,
            cloud_custom_data=params.get_str(entry, "CloudCustomData", default=""),
        )
        sender = _account(caller, params.get_str(entry, "From_Account"))
        entries.append((sender, datetime.fromtimestamp(sent_at, tz=UTC), draft))
    results = imports.check_import_group_messages(
        operator=caller.admin, group_id=_group_id(body), entries=entries
    )
    return {
        "ImportMsgResult": [
            {"MsgSeq": r.message.seq, "MsgTime": unix(r.message.created_at), "Result": 0}
            if r.message is not None
            else {"MsgSeq": 0, "MsgTime": 0, "Result": r.error.code, "ErrorInfo": r.error.message}
            for r in results
        ]
    }
