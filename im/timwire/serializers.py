"""TIM's wire protocol's serialiser: models and service results in the key spellings
Tencent's SDK reads (docs/tim-sdk.md). The message elements are TIM's REST ones
(``im.rest.elements``), which the socket shares.

Identities: an account's TinyId is its primary key as a string, so the SDK's message
IDs (``<sender TinyId>-<MsgClientTime>-<MsgRandom>``) are Hutong's own. A C2C message's
``MsgSeq`` is the sender's client sequence (the SDK keeps its own for what it sends and
finds a message to recall by it), or the conversation's sequence for a message sent
without one (the REST API's).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from django.conf import settings

from im import media
from im.models import Account, Conversation, Message, Participant
from im.rest.commands.profiles import TAGS
from im.rest.elements import payload_to_content
from im.serializers import avatar_url, message_for_show, shown_payload
from im.services.payloads import GROUP_TIP

# TIM's profile tags for the standard fields the SDK asks for (the REST API's table); the
# avatar goes out as a link the page can load, not the stored value.
NICK = "Tag_Profile_IM_Nick"
AVATAR = "Tag_Profile_IM_Image"
PROFILE_TAGS = {tag: column for tag, column in TAGS.items() if tag != AVATAR}
# LastMsgFlags of a recent-contact item: the last C2C message was recalled.
C2C_LAST_REVOKED = 8
# MsgFlagBits of a message item: recalled.
FLAG_REVOKED = 8


def tiny_id(account: Account | int) -> str:
    return str(account if isinstance(account, int) else account.pk)


def wire_seq(message: Message) -> int:
    return message.client_seq or message.seq


def c2c_receiver(message: Message) -> Account:
    conversation = message.conversation
    if conversation.account_low_id == message.sender_id:
        return conversation.account_high
    return conversation.account_low


# The links of an uploaded media payload as shown (``media.with_links``).
LINKS = (
    "fileUrl",
    "url",
    "remoteAudioUrl",
    "videoUrl",
    "remoteVideoUrl",
    "thumbUrl",
    "snapshotUrl",
)


def msg_body(message: Message) -> list[dict[str, Any]]:
    """``MsgBody``: the one element a Hutong message holds; none once recalled. An
    uploaded file's element is Hutong's payload with fresh links (the web SDK's own
    field names, which the SDK keeps as they come; a file's link also as ``url``, the
    one its file element reads), absolute (``IM_PUBLIC_URL``)."""
    if message.is_revoked:
        return []
    if message.type in media.MEDIA_TYPES and not media.is_external(message.type, message.payload):
        content = _absolute_links(shown_payload(message))
        if message.type == media.FILE and "fileUrl" in content:
            content["url"] = content["fileUrl"]
    else:
        content = payload_to_content(message)
    return [{"MsgType": message.type, "MsgContent": content}]


def _absolute_links(content: dict[str, Any]) -> dict[str, Any]:
    """The file system store's links are paths: the SDK would take one for a host-less
    https URL. An S3 store's, already absolute, stay as they are."""
    base = settings.IM_PUBLIC_URL + "/"

    def absolute(links: dict[str, Any]) -> dict[str, Any]:
        return {
            k: urljoin(base, v) if k in LINKS or k == "imageUrl" else v for k, v in links.items()
        }

    content = absolute(content)
    if "imageInfoArray" in content:
        content["imageInfoArray"] = [absolute(v) for v in content["imageInfoArray"]]
    return content


def c2c_item(message: Message, *, sync: bool = False) -> dict[str, Any]:
    """A C2C message as ``C2cMsgArray``, ``MsgList`` (getmsg, getroammsg) carry it.

    ``sync``: for the sender's other connections (``IsSyncMsg`` 1). The SDK swaps
    From_Account and To_Account of such an item, so it is written swapped.
    """
    sender = message.sender
    receiver = c2c_receiver(message)
    from_id, to_id = sender.user_id, receiver.user_id
    if sync:
        from_id, to_id = to_id, from_id
    return {
        "From_Account": from_id,
        "To_Account": to_id,
        "MsgSeq": wire_seq(message),
        "MsgRandom": message.random,
        "MsgTimeStamp": int(message.created_at.timestamp()),
        "MsgClientTime": message.client_time,
        "TinyId": tiny_id(message.sender_id),
        "MsgBody": msg_body(message),
        "CloudCustomData": message.cloud_custom_data,
        "From_AccountNick": sender.nick,
        "From_AccountHeadurl": avatar_url(sender),
        "IsSyncMsg": 1 if sync else 0,
        "MsgFlagBits": FLAG_REVOKED if message.is_revoked else 0,
        "MsgLifeTime": 0 if message.is_online_only else 604800,
    }


def session_item(participant: Participant) -> dict[str, Any] | None:
    """One conversation of ``recentcontact.page_get``'s ``SessionItem`` (None: a kind
    the SDK lists otherwise, the system conversation). Expects what
    ``selectors.conversation_list`` loads."""
    conversation = participant.conversation
    message = conversation.last_message
    if conversation.kind == Conversation.Kind.C2C:
        low, high = conversation.account_low, conversation.account_high
        peer = high if low.pk == participant.account_id else low
        item: dict[str, Any] = {
            "Type": 1,
            "To_Account": peer.user_id,
            "C2cNick": peer.nick,
            "C2cImage": avatar_url(peer),
            "C2cPeerReadTime": 0,
        }
        revoked_flag = C2C_LAST_REVOKED
    elif conversation.kind == Conversation.Kind.GROUP:
        group = conversation.group
        item = {
            "Type": 2,
            "ToAccount": group.group_id,
            "UnreadMsgCount": participant.unread,
            "GroupNick": group.name,
            "GroupImage": group.avatar,
            "MsgGroupReadedSeq": participant.read_seq,
        }
        revoked_flag = 2
        if message is not None:
            item["MsgGroupFromAccount"] = message.sender.user_id
            item["MsgGroupFromNickName"] = message.sender.nick
            item["MsgGroupFromCardName"] = ""
    else:
        return None
    item["TopFlags"] = 1 if participant.is_pinned else 0
    if message is not None:
        item.update(
            {
                "MsgTime": int(message.created_at.timestamp()),
                "MsgSeq": message.seq if item["Type"] == 2 else wire_seq(message),
                "MsgRandom": message.random,
                "LastC2CMsgFromAccount": message.sender.user_id,
                "MsgShow": message_for_show(message),
                "LastMsg": _last_message(message),
                "LastMsgFlags": revoked_flag if message.is_revoked else 0,
            }
        )
    return item


def _last_message(message: Message) -> dict[str, Any]:
    """``LastMsg`` of a conversation: its body, or a group tip as the SDK reads one there
    (``Event`` 4 and the tip's own keys, which camel-casing a payload would mangle)."""
    if message.type == GROUP_TIP:
        # A cycle otherwise: the group serialiser builds on this module.
        from im.timwire.group_serializers import last_tip

        return last_tip(message)
    return {"MsgBody": msg_body(message), "CloudCustomData": message.cloud_custom_data}


def profile_item(account: Account, tags: list[str] | None = None) -> dict[str, Any]:
    """One ``UserProfileItem``: the account's standard fields by TIM's tags, and its
    custom ones (``Tag_Profile_Custom_*``)."""
    values: dict[str, Any] = {tag: getattr(account, column) for tag, column in PROFILE_TAGS.items()}
    values[AVATAR] = avatar_url(account)
    for key, value in account.profile_custom_fields.items():
        values[key] = value
    wanted = tags or list(values)
    return {
        "To_Account": account.user_id,
        "ProfileItem": [{"Tag": tag, "Value": values[tag]} for tag in wanted if tag in values],
        "ResultCode": 0,
        "ResultInfo": "",
    }
