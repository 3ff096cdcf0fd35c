"""The one place a model becomes the JSON the SDK sees (TIM's field names)."""

from __future__ import annotations

from typing import Any

from im.models import Account, Conversation, Group, GroupMember, Message, Participant

# What TIM's SDK shows for a non-text last message in a conversation list.
MESSAGE_FOR_SHOW = {
    "TIMImageElem": "[图片]",
    "TIMSoundElem": "[语音]",
    "TIMVideoFileElem": "[视频]",
    "TIMFileElem": "[文件]",
    "TIMCustomElem": "[自定义消息]",
    "TIMFaceElem": "[动画表情]",
    "TIMLocationElem": "[位置]",
    "TIMGroupTipElem": "[群提示消息]",
    "TIMGroupSystemNoticeElem": "[群系统通知]",
}


def message_id(message: Message) -> str:
    return f"{message.sender_id}-{message.client_time}-{message.random}"


def _c2c_receiver(message: Message) -> Account:
    conversation = message.conversation
    if conversation.account_low_id == message.sender_id:
        return conversation.account_high
    return conversation.account_low


def message_to_dict(message: Message, *, viewer: Account | None) -> dict[str, Any]:
    """``message`` as ``viewer`` sees it: conversationID and flow depend on the side.

    ``viewer=None`` stands for any group member other than the sender, so a group
    message is serialised once for all of them. Expects what
    ``selectors.message_select`` loads.
    """
    sender = message.sender
    conversation = message.conversation
    mine = viewer is not None and viewer.pk == sender.pk
    if conversation.kind == Conversation.Kind.C2C:
        receiver = _c2c_receiver(message)
        peer = receiver if mine else sender
        conversation_id = f"C2C{peer.user_id}"
        to = receiver.user_id
    else:
        to = conversation.group.group_id
        conversation_id = f"GROUP{to}"
    return {
        "ID": message_id(message),
        "type": message.type,
        "payload": message.payload,
        "conversationID": conversation_id,
        "conversationType": conversation.kind,
        "to": to,
        "from": sender.user_id,
        "flow": "out" if mine else "in",
        "time": int(message.created_at.timestamp()),
        "status": "success",
        "isRevoked": message.is_revoked,
        "revoker": message.revoked_by.user_id if message.revoked_by else None,
        "isRead": mine,
        "priority": message.priority,
        "nick": sender.nick,
        "avatar": sender.avatar,
        "sequence": message.seq,
        "random": message.random,
        "clientSequence": message.client_seq,
        "clientTime": message.client_time,
        "cloudCustomData": message.cloud_custom_data,
        "protocol": "JSON",
        "changeSequence": message.change_seq,
    }


def message_for_show(message: Message) -> str:
    if message.type == "TIMTextElem":
        return message.payload.get("text", "")
    return MESSAGE_FOR_SHOW.get(message.type, "")


def last_message_to_dict(message: Message | None) -> dict[str, Any] | None:
    if message is None:
        return None
    return {
        "lastTime": int(message.created_at.timestamp()),
        "lastSequence": message.seq,
        "fromAccount": message.sender.user_id,
        "messageForShow": message_for_show(message),
        "payload": message.payload,
        "type": message.type,
        "isRevoked": message.is_revoked,
        "revoker": message.revoked_by.user_id if message.revoked_by else None,
        "nick": message.sender.nick,
        "cloudCustomData": message.cloud_custom_data,
    }


def profile_to_dict(account: Account) -> dict[str, Any]:
    return {"userID": account.user_id, "nick": account.nick, "avatar": account.avatar}


def group_to_dict(
    group: Group, *, member_count: int, member: GroupMember | None = None
) -> dict[str, Any]:
    return {
        "groupID": group.group_id,
        "name": group.name,
        "type": group.type,
        "avatar": group.avatar,
        "introduction": group.introduction,
        "notification": group.notification,
        "ownerID": group.owner.user_id if group.owner else "",
        "createTime": int(group.created_at.timestamp()),
        "memberCount": member_count,
        "maxMemberNum": group.max_member_num,
        "joinOption": group.join_option,
        "inviteOption": group.invite_option,
        "muteAllMembers": group.mute_all_members,
        "selfInfo": {
            "role": member.role,
            "joinTime": int(member.joined_at.timestamp()),
            "nameCard": member.name_card,
            "userID": member.account.user_id,
        }
        if member
        else {},
    }


def conversation_to_dict(participant: Participant) -> dict[str, Any]:
    """A Conversation as its participant sees it; expects ``unread`` annotated."""
    conversation = participant.conversation
    data: dict[str, Any] = {
        "type": conversation.kind,
        "unreadCount": participant.unread,
        "lastMessage": last_message_to_dict(conversation.last_message),
        "isPinned": False,
        "messageRemindType": "",
        "groupProfile": None,
        "userProfile": None,
        "changeSequence": conversation.change_seq,
    }
    if conversation.kind == Conversation.Kind.C2C:
        low, high = conversation.account_low, conversation.account_high
        peer = high if low.pk == participant.account_id else low
        data["conversationID"] = f"C2C{peer.user_id}"
        data["userProfile"] = profile_to_dict(peer)
    else:
        group = conversation.group
        data["conversationID"] = f"GROUP{group.group_id}"
        data["groupProfile"] = {
            "groupID": group.group_id,
            "name": group.name,
            "type": group.type,
            "avatar": group.avatar,
        }
    return data


def account_login_info(account: Account, *, server_time: int, expires_at: int) -> dict[str, Any]:
    return {
        "actionStatus": "OK",
        "errorCode": 0,
        "errorInfo": "",
        "userID": account.user_id,
        "tinyID": str(account.pk),
        "nick": account.nick,
        "avatar": account.avatar,
        "serverTime": server_time,
        "userSigExpireTime": expires_at,
    }
