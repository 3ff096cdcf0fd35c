"""The Hutong protocol's serialiser (docs/protocol.md): the one place a model, a
service result or an event becomes the JSON that ``/ws/im/`` and the web SDK see, with
TIM's field names. Another protocol brings its own serialiser.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils import timezone

from im import media, storage
from im.events import Event, Kick
from im.models import (
    Account,
    Conversation,
    Group,
    GroupApplication,
    GroupMember,
    Message,
    Participant,
    Upload,
)
from im.results import (
    AtInfo,
    Blacklist,
    ConversationDeleted,
    ConversationView,
    GroupJoined,
    GroupLeft,
    GroupView,
    HistoryPage,
    MessagesDeleted,
    PeerRead,
    PeoplePage,
    RemindTypeChanged,
    RemindTypesSet,
    SyncPage,
)

PROTOCOL = "hutong"
SYSTEM_CONVERSATION = "@TIM#SYSTEM"

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


def message_to_dict(message: Message, *, viewer_id: int | None) -> dict[str, Any]:
    """``message`` as the account ``viewer_id`` sees it: conversationID and flow depend
    on the side.

    ``viewer_id=None`` stands for any group member other than the sender, so a group
    message is serialised once for all of them. Expects what
    ``selectors.message_select`` loads.
    """
    sender = message.sender
    conversation = message.conversation
    mine = viewer_id == sender.pk
    from_id = sender.user_id
    if conversation.kind == Conversation.Kind.C2C:
        receiver = _c2c_receiver(message)
        peer = receiver if mine else sender
        conversation_id = f"C2C{peer.user_id}"
        to = receiver.user_id
    elif conversation.kind == Conversation.Kind.SYSTEM:
        # A notice is the system's, whoever caused it (the payload names the operator).
        conversation_id = from_id = SYSTEM_CONVERSATION
        to = conversation.account_low.user_id
        mine = False
    else:
        to = conversation.group.group_id
        conversation_id = f"GROUP{to}"
    return {
        "ID": message_id(message),
        "type": message.type,
        "payload": shown_payload(message),
        "conversationID": conversation_id,
        "conversationType": conversation.kind,
        "to": to,
        "from": from_id,
        "flow": "out" if mine else "in",
        "time": int(message.created_at.timestamp()),
        "status": "success",
        "isRevoked": message.is_revoked,
        "revoker": message.revoked_by.user_id if message.revoked_by else None,
        "isRead": mine,
        # The peer has read it: only ever for the sender's own C2C messages.
        "isPeerRead": mine and conversation.kind == Conversation.Kind.C2C and message.is_peer_read,
        "onlineOnlyFlag": message.is_online_only,
        "priority": message.priority,
        "nick": sender.nick,
        "avatar": avatar_url(sender),
        # The sender's group name card, as it is now ("" outside groups, or none set).
        "nameCard": message.sender_name_card,
        "sequence": message.seq,
        "random": message.random,
        "clientSequence": message.client_seq,
        "clientTime": message.client_time,
        "cloudCustomData": message.cloud_custom_data,
        "atUserList": message.at_user_list,
        "protocol": "JSON",
        "changeSequence": message.change_seq,
    }


def shown_payload(message: Message) -> dict[str, Any]:
    """The payload as its viewer gets it: a media message with fresh links, none once
    recalled."""
    if message.type not in media.MEDIA_TYPES:
        return message.payload
    if message.is_revoked:
        return media.without_links(message.type, message.payload)
    return media.with_links(message.type, message.payload, message.conversation.app_id)


def message_for_show(message: Message) -> str:
    if message.type == "TIMTextElem":
        return message.payload.get("text", "")
    return MESSAGE_FOR_SHOW.get(message.type, "")


def last_message_to_dict(
    message: Message | None, *, viewer_id: int, peer_read_seq: int = 0
) -> dict[str, Any] | None:
    """A conversation's ``lastMessage`` as ``viewer_id`` sees it; ``peer_read_seq`` is
    the C2C peer's read mark (``isPeerRead`` of the viewer's own message)."""
    if message is None:
        return None
    return {
        "lastTime": int(message.created_at.timestamp()),
        "lastSequence": message.seq,
        "fromAccount": message.sender.user_id,
        "messageForShow": message_for_show(message),
        "payload": shown_payload(message),
        "type": message.type,
        "isRevoked": message.is_revoked,
        "revoker": message.revoked_by.user_id if message.revoked_by else None,
        "nick": message.sender.nick,
        "avatar": avatar_url(message.sender),
        "cloudCustomData": message.cloud_custom_data,
        "isPeerRead": message.sender_id == viewer_id and message.seq <= peer_read_seq,
        "onlineOnlyFlag": False,
    }


def avatar_url(account: Account) -> str:
    """The account's avatar: its link, or a fresh signed link to its uploaded one."""
    if account.avatar_upload:
        key = storage.object_key(account.app_id, account.avatar_upload, media.AVATAR_VARIANT)
        return storage.download_url(key, media.AVATAR_CONTENT_TYPE)
    return account.avatar


def people_page_to_dict(page: PeoplePage) -> dict[str, Any]:
    """A page of the chat site's people search: who (userID, nick, avatar), and where
    the next page starts (null: no more)."""
    return {
        "people": [
            {"userID": a.user_id, "nick": a.nick, "avatar": avatar_url(a)} for a in page.people
        ],
        "nextOffset": page.next_offset,
    }


def profile_to_dict(account: Account) -> dict[str, Any]:
    """TIM's Profile."""
    return {
        "userID": account.user_id,
        "nick": account.nick,
        "gender": account.gender,
        "birthday": account.birthday,
        "location": account.location,
        "selfSignature": account.self_signature,
        "allowType": account.allow_type,
        "language": account.language,
        "avatar": avatar_url(account),
        "messageSettings": account.message_settings,
        "adminForbidType": account.admin_forbid_type,
        "level": account.level,
        "role": account.role,
        "lastUpdatedTime": unix(account.profile_updated_at),
        "profileCustomField": fields_to_list(account.profile_custom_fields),
    }


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
        "groupCustomField": fields_to_list(group.custom_fields),
        "selfInfo": {
            "role": member.role,
            "joinTime": int(member.joined_at.timestamp()),
            "nameCard": member.name_card,
            "userID": member.account.user_id,
            "muteTime": member_to_dict(member)["muteUntil"],
            "messageRemindType": member.message_remind_type,
            "memberCustomField": fields_to_list(member.custom_fields),
        }
        if member
        else {},
    }


def conversation_to_dict(participant: Participant) -> dict[str, Any]:
    """A Conversation as its participant sees it; expects ``unread`` and
    ``peer_read_seq`` annotated (``selectors.participant_with_unread``)."""
    conversation = participant.conversation
    peer_read = participant.peer_read_seq if conversation.kind == Conversation.Kind.C2C else 0
    data: dict[str, Any] = {
        "type": conversation.kind,
        "unreadCount": participant.unread,
        "lastMessage": last_message_to_dict(
            conversation.last_message, viewer_id=participant.account_id, peer_read_seq=peer_read
        ),
        "isPinned": participant.is_pinned,
        "messageRemindType": getattr(participant, "remind_type", ""),
        "groupProfile": None,
        "userProfile": None,
        "changeSequence": conversation.change_seq,
        "groupAtInfoList": [],
    }
    if conversation.kind == Conversation.Kind.C2C:
        low, high = conversation.account_low, conversation.account_high
        peer = high if low.pk == participant.account_id else low
        data["conversationID"] = f"C2C{peer.user_id}"
        data["userProfile"] = profile_to_dict(peer)
        # Hutong's: how far the peer has read (TIM keeps a time, peerReadTime).
        data["peerReadSequence"] = peer_read
    elif conversation.kind == Conversation.Kind.SYSTEM:
        data["conversationID"] = SYSTEM_CONVERSATION
    else:
        group = conversation.group
        data["conversationID"] = f"GROUP{group.group_id}"
        data["groupProfile"] = group_brief(group)
        data["groupAtInfoList"] = [
            group_at_info_to_dict(info, group.group_id) for info in participant.group_at_info
        ]
    return data


# TIM.TYPES.CONV_AT_ME, CONV_AT_ALL, CONV_AT_ALL_AT_ME: (at_me, at_all) → atType.
AT_TYPES = {(True, False): 1, (False, True): 2, (True, True): 3}


def group_at_info_to_dict(info: AtInfo, group_id: str) -> dict[str, Any]:
    return {
        "from": info.sender_user_id,
        "groupID": group_id,
        "topicID": "",
        "messageSequence": info.seq,
        "atTypeArray": [AT_TYPES[info.at_me, info.at_all]],
    }


def group_brief(group: Group) -> dict[str, Any]:
    """What a conversation shows of its group."""
    return {
        "groupID": group.group_id,
        "name": group.name,
        "type": group.type,
        "avatar": group.avatar,
    }


def unix(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment else 0


def member_to_dict(member: GroupMember) -> dict[str, Any]:
    """A GroupMember as TIM shows it; ``muteUntil`` 0 when not muted (or no longer)."""
    account = member.account
    mute_until = member.mute_until
    if mute_until is not None and mute_until <= timezone.now():
        mute_until = None
    return {
        "userID": account.user_id,
        "nick": account.nick,
        "avatar": avatar_url(account),
        "role": member.role,
        "joinTime": unix(member.joined_at),
        "nameCard": member.name_card,
        "muteUntil": unix(mute_until),
        "memberCustomField": fields_to_list(member.custom_fields),
    }


def fields_to_list(fields: dict[str, str]) -> list[dict[str, str]]:
    """Custom fields in key order: PostgreSQL's jsonb keeps no insertion order."""
    return [{"key": key, "value": fields[key]} for key in sorted(fields)]


def application_to_dict(application: GroupApplication) -> dict[str, Any]:
    applicant = application.applicant
    return {
        "applicant": applicant.user_id,
        "applicantNick": applicant.nick,
        "groupID": application.group.group_id,
        "groupName": application.group.name,
        "applicationType": 0,
        "userID": applicant.user_id,
        "messageKey": application.pk,
        "authentication": "",
        "note": application.message,
    }


def group_view_to_dict(view: GroupView) -> dict[str, Any]:
    return group_to_dict(view.group, member=view.member, member_count=view.member_count)


def conversation_view_to_dict(view: ConversationView) -> dict[str, Any]:
    """A conversation; one that has no message yet looks as TIM shows it."""
    if view.participant is not None:
        return conversation_to_dict(view.participant)
    return {
        "conversationID": view.conversation_id,
        "type": view.kind,
        "unreadCount": 0,
        "lastMessage": None,
        "isPinned": False,
        "messageRemindType": "",
        "changeSequence": 0,
        "groupAtInfoList": [],
        "userProfile": profile_to_dict(view.peer) if view.peer else None,
        "groupProfile": group_brief(view.group) if view.group else None,
        **({"peerReadSequence": 0} if view.kind == Conversation.Kind.C2C else {}),
    }


def remind_types_to_dict(result: RemindTypesSet) -> dict[str, Any]:
    """setMessageRemindType's C2C answer, TIM's shape."""
    return {
        "successUserIDList": [{"userID": u} for u in result.succeeded],
        "failureUserIDList": [
            {"userID": u, "code": code, "message": message} for u, code, message in result.failed
        ],
    }


def history_page_to_dict(page: HistoryPage, *, viewer_id: int) -> dict[str, Any]:
    cursor = page.next_cursor
    return {
        "messageList": [message_to_dict(m, viewer_id=viewer_id) for m in page.messages],
        "nextReqMessageID": message_id(cursor) if cursor is not None else "",
        "isCompleted": page.is_completed,
    }


def sync_page_to_dict(page: SyncPage, *, viewer_id: int) -> dict[str, Any]:
    return {
        "messageList": [message_to_dict(m, viewer_id=viewer_id) for m in page.messages],
        "changeSequence": page.change_seq,
        "isCompleted": page.is_completed,
    }


def account_login_info(account: Account, *, server_time: int, expires_at: int) -> dict[str, Any]:
    return {
        "actionStatus": "OK",
        "errorCode": 0,
        "errorInfo": "",
        "userID": account.user_id,
        "tinyID": str(account.pk),
        "nick": account.nick,
        "avatar": avatar_url(account),
        "serverTime": server_time,
        "userSigExpireTime": expires_at,
    }


# --- pushes ---


def encode_push(event: str, data: Any) -> str:
    """A push frame: ``{"event": NAME, "data": ...}``."""
    return json.dumps({"event": event, "data": data}, ensure_ascii=False, separators=(",", ":"))


def _message_push(message: Message, viewer_id: int | None) -> Any:
    return [message_to_dict(message, viewer_id=viewer_id)]


def _conversation_push(participant: Participant, viewer_id: int | None) -> Any:
    return conversation_to_dict(participant)


def _peer_read_push(read: PeerRead, viewer_id: int | None) -> Any:
    return {
        "conversationID": f"C2C{read.reader_user_id}",
        "peerReadSequence": read.read_seq,
        "peerReadTime": read.read_time,
    }


def _deleted_push(deleted: ConversationDeleted, viewer_id: int | None) -> Any:
    return {"conversationID": deleted.conversation_id}


def _messages_deleted_push(deleted: MessagesDeleted, viewer_id: int | None) -> Any:
    return {
        "conversationID": deleted.conversation_id,
        "messageIDList": [message_id(m) for m in deleted.messages],
        "conversation": conversation_to_dict(deleted.participant) if deleted.participant else None,
    }


def _joined_push(joined: GroupJoined, viewer_id: int | None) -> Any:
    # changeSequence: where the joiner's catch-up (syncMessages) starts.
    view = joined.group
    group = group_to_dict(
        view.group, member=joined.members.get(viewer_id), member_count=view.member_count
    )
    return {**group, "changeSequence": joined.change_seq}


def _left_push(left: GroupLeft, viewer_id: int | None) -> Any:
    return {"groupID": left.group_id, "reason": left.reason}


def _remind_push(changed: RemindTypeChanged, viewer_id: int | None) -> Any:
    if changed.user_id:
        return {"userID": changed.user_id, "messageRemindType": changed.remind_type}
    return {"groupID": changed.group_id, "messageRemindType": changed.remind_type}


def blacklist_to_list(blacklist: Blacklist) -> list[str]:
    """TIM's blacklist: the userIDs, nothing else (the answers' data and the push's)."""
    return list(blacklist.user_ids)


def _blacklist_push(blacklist: Blacklist, viewer_id: int | None) -> Any:
    return blacklist_to_list(blacklist)


def _profile_push(account: Account, viewer_id: int | None) -> Any:
    return [profile_to_dict(account)]


def _kick_push(kick: Kick, viewer_id: int | None) -> Any:
    return {"type": kick.reason}


PUSH_DATA: dict[str, Callable[[Any, int | None], Any]] = {
    "MESSAGE_RECEIVED": _message_push,
    "MESSAGE_REVOKED": _message_push,
    "CONVERSATION_UPDATED": _conversation_push,
    "MESSAGE_READ_BY_PEER": _peer_read_push,
    "CONVERSATION_DELETED": _deleted_push,
    "MESSAGE_DELETED": _messages_deleted_push,
    "GROUP_JOINED": _joined_push,
    "GROUP_LEFT": _left_push,
    "MESSAGE_REMIND_TYPE_UPDATED": _remind_push,
    "BLACKLIST_UPDATED": _blacklist_push,
    "KICKED_OUT": _kick_push,
    "PROFILE_UPDATED": _profile_push,
}


def encode_event(event: Event, viewer_id: int | None) -> str:
    """The Hutong protocol's encoder (``im.events.register_encoder``)."""
    return encode_push(event.name, PUSH_DATA[event.name](event.payload, viewer_id))


def upload_to_dict(upload: Upload, target: storage.UploadTarget | None = None) -> dict[str, Any]:
    """An upload as its owner sees it; with ``target``, where to put the file."""
    data: dict[str, Any] = {
        "uuid": upload.uuid,
        "kind": upload.kind,
        "fileName": upload.file_name,
        "fileSize": upload.size,
        "contentType": upload.content_type,
        "isReady": upload.is_ready,
        "expiresAt": int(upload.expires_at.timestamp()),
    }
    if upload.is_ready and "width" in upload.info:
        data["width"], data["height"] = upload.info["width"], upload.info["height"]
    if target is not None:
        data["upload"] = {"method": target.method, "url": target.url, "headers": target.headers}
    return data
