"""The Hutong protocol's ops for a logged-in connection, each: read typed fields, call one
service or selector, serialise the result (``im.serializers``).

Each op runs in the database thread (``IMSession.call``) and returns the answer's
``data``. Session ops (login, logout, heartbeat) live in the consumer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from im import params
from im.errors import GROUP_INVALID_PARAMS, IMError
from im.models import Account, GroupMember, Message
from im.selectors import joined_groups
from im.serializers import (
    conversation_to_dict,
    conversation_view_to_dict,
    group_to_dict,
    group_view_to_dict,
    history_page_to_dict,
    message_to_dict,
    sync_page_to_dict,
)
from im.services import conversations, groups, messages

Op = Callable[[Account, dict, str], dict[str, Any]]
OPS: dict[str, Op] = {}


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
    return {"message": message_to_dict(message, viewer_id=account.pk)}


@op("revokeMessage")
def revoke_message(account: Account, data: dict, channel: str) -> dict[str, Any]:
    message = messages.check_revoke_message(
        account=account,
        conversation_id=params.get_str(data, "conversationID"),
        message_id=params.get_str(data, "ID"),
        origin_channel=channel,
    )
    return {"message": message_to_dict(message, viewer_id=account.pk)}


@op("getMessageList")
def get_message_list(account: Account, data: dict, channel: str) -> dict[str, Any]:
    page = conversations.check_get_message_list(
        account=account,
        conversation_id=params.get_str(data, "conversationID"),
        next_req_message_id=params.get_str(data, "nextReqMessageID", default="") or "",
        count=params.get_int(data, "count", default=conversations.MAX_PAGE),
    )
    return history_page_to_dict(page, viewer_id=account.pk)


@op("syncMessages")
def sync_messages(account: Account, data: dict, channel: str) -> dict[str, Any]:
    page = conversations.check_sync_messages(
        account=account,
        conversation_id=params.get_str(data, "conversationID"),
        after_change_seq=params.get_int(data, "changeSequence"),
        count=params.get_int(data, "count", default=conversations.MAX_SYNC_PAGE),
    )
    return sync_page_to_dict(page, viewer_id=account.pk)


@op("setMessageRead")
def set_message_read(account: Account, data: dict, channel: str) -> dict[str, Any]:
    conversations.check_set_message_read(
        account=account,
        conversation_id=params.get_str(data, "conversationID"),
        origin_channel=channel,
    )
    return {}


@op("getConversationList")
def get_conversation_list(account: Account, data: dict, channel: str) -> dict[str, Any]:
    participants = conversations.get_conversation_list(account=account)
    return {
        "conversationList": [conversation_to_dict(p) for p in participants],
        "isSyncCompleted": True,
    }


@op("getConversationProfile")
def get_conversation_profile(account: Account, data: dict, channel: str) -> dict[str, Any]:
    view = conversations.get_conversation_profile(
        account=account, conversation_id=params.get_str(data, "conversationID")
    )
    return {"conversation": conversation_view_to_dict(view)}


@op("deleteConversation")
def delete_conversation(account: Account, data: dict, channel: str) -> dict[str, Any]:
    conversation_id = conversations.check_delete_conversation(
        account=account,
        conversation_id=params.get_str(data, "conversationID"),
        origin_channel=channel,
    )
    return {"conversationID": conversation_id}


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
    view = groups.check_create_group(
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
    return {"group": group_view_to_dict(view), "overLimitUserIDList": []}


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
    view = groups.check_group_profile(account=account, group_id=params.get_str(data, "groupID"))
    return {"group": group_view_to_dict(view)}
