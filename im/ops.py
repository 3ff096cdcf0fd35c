"""The ops a logged-in connection may call, each: read typed fields, call one service.

Each op runs in a worker thread (``database_sync_to_async``) and returns the
answer's ``data``. Session ops (login, logout, heartbeat) live in the consumer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from im import params
from im.errors import GROUP_INVALID_PARAMS, IMError
from im.events import Send, call_deferring_sends
from im.models import Account, GroupMember, Message
from im.selectors import group_member_count, joined_groups
from im.serializers import group_to_dict, message_to_dict
from im.services import conversations, groups, messages

Op = Callable[[Account, dict, str], dict[str, Any]]
OPS: dict[str, Op] = {}


def run_op(
    name: str, account: Account, data: dict, channel: str
) -> tuple[dict[str, Any], list[Send]]:
    """Run one op; its pushes come back, to be sent from the event loop, not this thread."""
    return call_deferring_sends(OPS[name], account, data, channel)


def op(name: str) -> Callable[[Op], Op]:
    def register(func: Op) -> Op:
        OPS[name] = func
        return func

    return register


@op("sendMessage")
def send_message(account: Account, data: dict, channel: str) -> dict[str, Any]:
    draft = messages.check_draft(
        msg_type=params.get_str(data, "type"),
        payload=params.get_dict(data, "payload"),
        random=params.get_int(data, "random"),
        client_time=params.get_int(data, "clientTime"),
        client_seq=params.get_int(data, "clientSequence", default=0),
        priority=params.get_str(data, "priority", default=Message.Priority.NORMAL),
        cloud_custom_data=params.get_str(data, "cloudCustomData", default=""),
    )
    message = messages.check_send_message(
        sender=account,
        to=params.get_str(data, "to"),
        conversation_type=params.get_str(data, "conversationType"),
        draft=draft,
        origin_channel=channel,
    )
    return {"message": message_to_dict(message, viewer=account)}


@op("revokeMessage")
def revoke_message(account: Account, data: dict, channel: str) -> dict[str, Any]:
    message = messages.check_revoke_message(
        account=account,
        conversation_id=params.get_str(data, "conversationID"),
        message_id=params.get_str(data, "ID"),
        origin_channel=channel,
    )
    return {"message": message_to_dict(message, viewer=account)}


@op("getMessageList")
def get_message_list(account: Account, data: dict, channel: str) -> dict[str, Any]:
    return conversations.check_get_message_list(
        account=account,
        conversation_id=params.get_str(data, "conversationID"),
        next_req_message_id=params.get_str(data, "nextReqMessageID", default="") or "",
        count=params.get_int(data, "count", default=conversations.MAX_PAGE),
    )


@op("syncMessages")
def sync_messages(account: Account, data: dict, channel: str) -> dict[str, Any]:
    return conversations.check_sync_messages(
        account=account,
        conversation_id=params.get_str(data, "conversationID"),
        after_change_seq=params.get_int(data, "changeSequence"),
        count=params.get_int(data, "count", default=conversations.MAX_SYNC_PAGE),
    )


@op("setMessageRead")
def set_message_read(account: Account, data: dict, channel: str) -> dict[str, Any]:
    return conversations.check_set_message_read(
        account=account,
        conversation_id=params.get_str(data, "conversationID"),
        origin_channel=channel,
    )


@op("getConversationList")
def get_conversation_list(account: Account, data: dict, channel: str) -> dict[str, Any]:
    return conversations.get_conversation_list(account=account)


@op("getConversationProfile")
def get_conversation_profile(account: Account, data: dict, channel: str) -> dict[str, Any]:
    return conversations.get_conversation_profile(
        account=account, conversation_id=params.get_str(data, "conversationID")
    )


@op("deleteConversation")
def delete_conversation(account: Account, data: dict, channel: str) -> dict[str, Any]:
    return conversations.check_delete_conversation(
        account=account,
        conversation_id=params.get_str(data, "conversationID"),
        origin_channel=channel,
    )


def _member_list(data: dict) -> list[tuple[str, str]]:
    raw = data.get("memberList", [])
    if not isinstance(raw, list):
        raise IMError(GROUP_INVALID_PARAMS, "memberList must be an array")
    members = []
    for item in raw:
        if not isinstance(item, dict):
            raise IMError(GROUP_INVALID_PARAMS, "memberList items must be objects")
        members.append(
            (
                params.get_str(item, "userID"),
                params.get_str(item, "role", default=GroupMember.Role.MEMBER),
            )
        )
    return members


@op("createGroup")
def create_group(account: Account, data: dict, channel: str) -> dict[str, Any]:
    group, member = groups.check_create_group(
        owner=account,
        name=params.get_str(data, "name"),
        group_type=params.get_str(data, "type", default="Private"),
        group_id=params.get_str(data, "groupID", default=""),
        members=_member_list(data),
        introduction=params.get_str(data, "introduction", default=""),
        notification=params.get_str(data, "notification", default=""),
        avatar=params.get_str(data, "avatar", default=""),
        join_option=params.get_str(data, "joinOption", default="FreeAccess"),
        max_member_num=params.get_int(data, "maxMemberNum", default=0),
    )
    return {
        "group": group_to_dict(group, member=member, member_count=group_member_count(group)),
        "overLimitUserIDList": [],
    }


@op("getGroupList")
def get_group_list(account: Account, data: dict, channel: str) -> dict[str, Any]:
    return {
        "groupList": [
            group_to_dict(m.group, member=m, member_count=m.member_count)
            for m in joined_groups(account)
        ]
    }


@op("getGroupProfile")
def get_group_profile(account: Account, data: dict, channel: str) -> dict[str, Any]:
    group, member = groups.check_group_profile(
        account=account, group_id=params.get_str(data, "groupID")
    )
    return {"group": group_to_dict(group, member=member, member_count=group_member_count(group))}
