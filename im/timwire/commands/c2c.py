"""TIM's ``openim`` service: C2C messages (send, sync, history, read, recall)."""

from __future__ import annotations

from typing import Any

from im import hooks, params
from im.errors import INVALID_PARAMS, IMError
from im.groupcommit import Key, conversation_key
from im.models import Conversation, Message, Participant
from im.rest.elements import element_to_payload
from im.serializers import message_id
from im.services import conversations, messages
from im.timwire.commands import Call, command
from im.timwire.commands.uploads import MEDIA_ELEMENTS, finishing, media_element
from im.timwire.serializers import c2c_item, wire_seq

C2C = Conversation.Kind.C2C
# getmsg's cookie: Hutong's sync is one page (what is unread now), but the SDK stops
# delivering what a reply carries if the cookie is empty.
SYNC_COOKIE = "hutong"
SYNC_DONE = 2


def _element(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The one element of ``MsgBody`` (a Hutong message holds one): text, custom, face,
    or an image or a file uploaded through ``im_cos_msg.pre_sig`` (``commands.uploads``,
    whose ``finishing`` has finished its upload). Voice and video are not taken from
    Tencent's SDK (docs/tim-sdk.md)."""
    elements = body.get("MsgBody")
    if not isinstance(elements, list) or not elements:
        raise IMError(INVALID_PARAMS, "MsgBody must be a non-empty array of elements")
    if len(elements) > 1:
        raise IMError(INVALID_PARAMS, "MsgBody holds one element: Hutong stores one per message")
    element = elements[0]
    if isinstance(element, dict) and element.get("MsgType") in MEDIA_ELEMENTS:
        content = element.get("MsgContent")
        if not isinstance(content, dict):
            raise IMError(INVALID_PARAMS, "MsgContent must be an object")
        payload, _ = media_element(element["MsgType"], content)
        return element["MsgType"], payload
    return element_to_payload(element)


def _send_key(call: Call) -> Key:
    return conversation_key(call.account, C2C, call.body.get("To_Account"))


@command("openim.sendmsg", asking=(hooks.C2C_BEFORE_SEND,), first=finishing, batched=_send_key)
def send_message(call: Call) -> dict[str, Any]:
    body = call.body
    msg_type, payload = _element(body)
    draft = messages.check_draft(
        msg_type=msg_type,
        payload=payload,
        random=params.get_int(body, "MsgRandom"),
        client_time=params.get_int(body, "MsgClientTime", default=0),
        client_seq=params.get_int(body, "MsgSeq", default=0),
        cloud_custom_data=params.get_str(body, "CloudCustomData", default=""),
    )
    message = messages.check_send_message(
        sender=call.account,
        to=params.get_str(body, "To_Account"),
        conversation_type=C2C,
        draft=draft,
        origin_channel=call.channel,
        # MsgLifeTime 0 is the SDK's onlineUserOnly.
        online_only=body.get("MsgLifeTime") == 0,
    )
    return {"MsgTime": int(message.created_at.timestamp()), "MsgSeq": wire_seq(message)}


def _with_conversation(participant: Participant) -> Message:
    """The conversation's last message, its conversation (with both accounts) attached."""
    message = participant.conversation.last_message
    message.conversation = participant.conversation
    return message


@command("openim.getmsg")
def get_messages(call: Call) -> dict[str, Any]:
    """The unread sync: for each C2C conversation with unread messages, its newest one
    and its unread count (the SDK takes C2C unread counts from here, not from the
    conversation list). It reads the same list as ``recentcontact.page_get``, so every
    conversation it names is listed there too (the SDK deletes the others)."""
    listed = conversations.get_conversation_list(account=call.account)
    unread = [
        p
        for p in listed
        if p.conversation.kind == C2C and p.unread and p.conversation.last_message is not None
    ]
    items, counts = [], []
    for participant in unread:
        message = _with_conversation(participant)
        items.append(c2c_item(message))
        conversation = participant.conversation
        low, high = conversation.account_low, conversation.account_high
        peer = high if low.pk == participant.account_id else low
        counts.append({"From_Account": peer.user_id, "UnreadCount": participant.unread})
    return {
        "Cookie": SYNC_COOKIE,
        "SyncFlag": SYNC_DONE,
        "MsgList": items,
        "C2CPairUnreadCount": counts,
    }


@command("openim.getroammsg")
def get_roaming_messages(call: Call) -> dict[str, Any]:
    """A page of history, older than the cursor (``MsgKey``: the oldest message of the
    previous page). The newer direction (``GetDirection`` 1, the SDK's hopping to a
    message) pages the same way: Hutong keeps no cursor that way (docs/tim-sdk.md)."""
    body = call.body
    count = min(
        params.get_int(body, "MaxCnt", default=conversations.MAX_PAGE), conversations.MAX_PAGE
    )
    page = conversations.check_get_message_list(
        account=call.account,
        conversation_id="C2C" + params.get_str(body, "Peer_Account"),
        next_req_message_id=params.get_str(body, "MsgKey", default="") or "",
        count=max(count, 1),
    )
    cursor = page.next_cursor
    return {
        "Complete": 1 if page.is_completed else 0,
        "MsgList": [c2c_item(m) for m in page.messages],
        "MsgKey": message_id(cursor) if cursor is not None else "",
        "LastMsgTime": int(cursor.created_at.timestamp()) if cursor is not None else 0,
    }


@command("openim.msgreaded")
def set_message_read(call: Call) -> dict[str, Any]:
    """Mark C2C conversations read (the SDK sends one): the reader's other connections
    and the peer hear of it as with ``setMessageRead`` on ``/ws/im/``."""
    readed = call.body.get("C2CMsgReaded")
    items = readed.get("C2CMsgReadedItem") if isinstance(readed, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise IMError(INVALID_PARAMS, "C2CMsgReaded.C2CMsgReadedItem must be an array of objects")
    for item in items:
        conversations.check_set_message_read(
            account=call.account,
            conversation_id="C2C" + params.get_str(item, "To_Account"),
            origin_channel=call.channel,
        )
    return {}


@command("openim.get_peer_read_time")
def get_peer_read_time(call: Call) -> dict[str, Any]:
    times = conversations.get_peer_read_times(
        account=call.account, user_ids=params.get_str_list(call.body, "To_Account")
    )
    return {"ReadTime": times}


@command("openim.msgwithdraw")
def revoke_message(call: Call) -> dict[str, Any]:
    """Recall a C2C message, named by sender, MsgSeq and MsgRandom (``MsgInfo``)."""
    info = params.get_dict(call.body, "MsgInfo")
    sender = params.get_str(info, "From_Account")
    to = params.get_str(info, "To_Account")
    peer = to if sender == call.account.user_id else sender
    conversation_id = "C2C" + peer
    message = conversations.find_c2c_message(
        account=call.account,
        conversation_id=conversation_id,
        sender_user_id=sender,
        seq=params.get_int(info, "MsgSeq"),
        random=params.get_int(info, "MsgRandom"),
    )
    messages.check_revoke_message(
        account=call.account,
        conversation_id=conversation_id,
        message_id=message_id(message),
        origin_channel=call.channel,
    )
    return {}
