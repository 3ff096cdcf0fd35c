"""TIM's wire spellings of groups: a group's profile, its members, its messages, tips
and system notices, as Tencent's SDK reads them in replies and pushes (docs/tim-sdk.md,
"Groups").

The SDK renames what it reads (its response maps, then camel-case), so each key here is
the one that comes out as the SDK's field: ``OpType`` → ``operationType``,
``List_Account`` → ``userIDList``, ``GroupInfo`` → ``groupProfile``, ``ShutupTime`` →
``muteTime`` and so on. A group's profile and members share TIM's REST spellings
(``im.rest.commands.groups``: ``group_info``, ``member_info``).
"""

from __future__ import annotations

from typing import Any

from im.models import GroupMember, Message
from im.rest.commands.groups import group_info
from im.results import GroupProgress, GroupView
from im.serializers import SYSTEM_CONVERSATION, avatar_url, unix
from im.services.mentions import AT_ALL
from im.services.payloads import GROUP_TIP
from im.timwire.serializers import msg_body, tiny_id

# A recalled message in a page of group history: the SDK's "recalled" mark (1 would be a
# placeholder, which it skips).
PLACE_REVOKED = 2
# EventArray numbers the SDK reads for group pushes.
EVENT_GROUP_MESSAGE = 3
EVENT_GROUP_TIP = 4  # a stored tip (6 is TIM's online-only one, never counted unread)
EVENT_GROUP_NOTICE = 5  # system notices, and recall and read notices
# A tip's newGroupProfile keys (Hutong's, the SDK's) and the wire's.
NEW_PROFILE_KEYS = {
    "name": "GroupName",
    "introduction": "GroupIntroduction",
    "notification": "GroupNotification",
    "avatar": "GroupFaceUrl",
    "joinOption": "GroupApplyJoinOption",
    "ownerID": "Owner_Account",
}
# A tip's memberList keys and the wire's.
MEMBER_CHANGE_KEYS = {"userID": "User_Account", "muteTime": "ShutupTime", "nameCard": "NameCard"}


def key_values(fields: list[dict[str, str]]) -> list[dict[str, str]]:
    """Hutong's custom fields (``[{key, value}]``) as TIM's ``[{Key, Value}]``."""
    return [{"Key": f["key"], "Value": f["value"]} for f in fields]


def group_profile(view: GroupView, progress: GroupProgress | None) -> dict[str, Any]:
    """A ``GroupInfo`` entry of get_group_self_member_info and get_joined_group_list:
    the profile, and for a member its own membership and where the conversation stands
    (``progress``; None for someone outside the group, to whom it is not shown)."""
    group = view.group
    last_seq = progress.last_seq if progress else 0
    info = {
        **group_info(view),
        "InviteJoinOption": group.invite_option,
        "InfoSeq": 0,
        "LastInfoTime": 0,
        "LastMsgTime": unix(progress.last_message_at) if progress else 0,
        # The SDK pages history down from NextMsgSeq - 1 when it holds no message yet.
        "NextMsgSeq": last_seq + 1,
    }
    if view.member is not None:
        info["SelfInfo"] = self_info(view.member, progress.read_seq if progress else 0)
    return info


def self_info(member: GroupMember, read_seq: int) -> dict[str, Any]:
    """``SelfInfo``: the asker's role, name card, remind type and read mark (``MsgSeq``,
    the SDK's ``readedSequence`` in the joined list)."""
    return {
        "Role": member.role,
        "JoinTime": unix(member.joined_at),
        "MsgFlag": member.message_remind_type,
        "NameCard": member.name_card,
        "MsgSeq": read_seq,
    }


def at_info(message: Message) -> list[dict[str, Any]]:
    """``GroupAtInfo``: the message's @mentions (the SDK's ``atUserList``)."""
    return [
        {"GroupAtAllFlag": 1} if user == AT_ALL else {"GroupAtAllFlag": 0, "GroupAt_Account": user}
        for user in message.at_user_list
    ]


def _envelope(message: Message) -> dict[str, Any]:
    """What every group item carries: who, where, and the SDK's message ID parts
    (TinyId, MsgClientTime, MsgRandom), so a pushed message and the same one in
    history are one message to the SDK."""
    group = message.conversation.group
    return {
        "From_Account": message.sender.user_id,
        "ToGroupId": group.group_id,
        "GroupInfo": {"GroupId": group.group_id, "GroupName": group.name},
        "MsgSeq": message.seq,
        "MsgRandom": message.random,
        "MsgTimeStamp": unix(message.created_at),
        "MsgClientTime": message.client_time,
        "TinyId": tiny_id(message.sender_id),
    }


def group_message_item(message: Message) -> dict[str, Any]:
    """A group message as ``GroupMsgArray`` and group_msg_get's ``RspMsgList`` carry it
    (a tip: ``tip_item``). Expects the sender, the group and ``sender_name_card``."""
    if message.type == GROUP_TIP:
        return tip_item(message)
    sender = message.sender
    item = _envelope(message)
    item["GroupInfo"]["MsgFrom_AccountExtraInfo"] = {"NameCard": message.sender_name_card}
    item.update(
        {
            "ClientSeq": message.client_seq,
            "MsgPriority": message.priority,
            "MsgBody": msg_body(message),
            "CloudCustomData": message.cloud_custom_data,
            "From_AccountNick": sender.nick,
            "From_AccountHeadurl": avatar_url(sender),
            "GroupAtInfo": at_info(message),
            "OnlineOnlyFlag": 1 if message.is_online_only else 0,
        }
    )
    if message.is_revoked:
        item["IsPlaceMsg"] = PLACE_REVOKED
        revoker = message.revoked_by
        item["RevokerInfo"] = {"Revoker_Account": revoker.user_id if revoker else ""}
    return item


def tip_body(payload: dict[str, Any], member_count: int | None = None) -> dict[str, Any]:
    """A tip's ``MsgBody`` (an object, not a list of elements) from its Hutong payload;
    ``member_count`` (a push's: the group's now) is the SDK's ``memberNum``."""
    body: dict[str, Any] = {
        "OpType": payload["operationType"],
        "Operator_Account": payload["operatorID"],
        "List_Account": payload.get("userIDList", []),
    }
    if member_count is not None:
        body["MemberNum"] = member_count
    changed = payload.get("newGroupProfile")
    if changed:
        profile = {NEW_PROFILE_KEYS[k]: v for k, v in changed.items() if k in NEW_PROFILE_KEYS}
        if "muteAllMembers" in changed:
            profile["ShutupAll"] = int(bool(changed["muteAllMembers"]))
        if "groupCustomField" in changed:
            profile["MsgAppDefinedData"] = key_values(changed["groupCustomField"])
        body["MsgGroupNewInfo"] = profile
    members = payload.get("memberList")
    if members:
        body["MsgMemberExtraInfo"] = [
            {MEMBER_CHANGE_KEYS[k]: v for k, v in m.items() if k in MEMBER_CHANGE_KEYS}
            for m in members
        ]
    return body


def tip_item(message: Message, member_count: int | None = None) -> dict[str, Any]:
    """A stored tip as ``GroupTips`` (Event 4) and group history (with ``Event`` 4)
    carry it. Its sender is the operator, as Hutong's own protocol has it: the
    operator's SDK takes it as its own (not unread), everyone else's as unread."""
    return {
        **_envelope(message),
        "Event": EVENT_GROUP_TIP,
        "MsgBody": tip_body(message.payload, member_count),
    }


def last_tip(message: Message) -> dict[str, Any]:
    """A tip as a group conversation's ``LastMsg`` in recentcontact.page_get."""
    group = message.conversation.group
    tip = {
        "MsgBody": tip_body(message.payload),
        # page_get's own key map reads GroupId as a conversation group's ID; GId is
        # the shared map's other spelling of groupID.
        "GroupInfo": {"GId": group.group_id, "GroupName": group.name},
        "From_Account": message.sender.user_id,
    }
    return {"Event": EVENT_GROUP_TIP, "GroupTips": tip}


def notice_item(message: Message) -> dict[str, Any]:
    """A system notice (a message of the account's ``@TIM#SYSTEM`` conversation) as
    ``GroupTips`` (Event 5) carries it."""
    payload = message.payload
    recipient = message.conversation.account_low
    profile = payload.get("groupProfile", {})
    body = {
        "OpType": payload["operationType"],
        "Operator_Account": payload["operatorID"],
        "RemarkInfo": payload.get("handleMessage", ""),
    }
    if "userDefinedField" in payload:
        body["UserDefinedField"] = payload["userDefinedField"]
    return {
        "From_Account": SYSTEM_CONVERSATION,
        "To_Account": recipient.user_id,
        # To_Account is whom it concerns: set and cancel admin read it from here.
        "GroupInfo": {
            "GroupId": profile.get("groupID", ""),
            "GroupName": profile.get("name", ""),
            "To_Account": recipient.user_id,
            "From_Account": payload["operatorID"],
        },
        "MsgSeq": message.seq,
        "MsgRandom": message.random,
        "MsgTimeStamp": unix(message.created_at),
        "MsgClientTime": message.client_time,
        "MsgBody": body,
    }


def revoked_item(message: Message) -> dict[str, Any]:
    """A recalled group message, as the SDK finds it again: group, sequence, random."""
    revoker = message.revoked_by
    info = {
        "GroupId": message.conversation.group.group_id,
        "MsgSeq": message.seq,
        "MsgRandom": message.random,
        "RevokerInfo": {"Revoker_Account": revoker.user_id if revoker else ""},
    }
    return {"MsgBody": {"GroupWithdrawInfoArray": [info]}}


def read_item(group_id: str, read_seq: int) -> dict[str, Any]:
    """The account read a group up to ``read_seq`` (on another of its connections)."""
    return {"MsgBody": {"GroupReadInfoArray": [{"GroupId": group_id, "LastReadMsgSeq": read_seq}]}}
