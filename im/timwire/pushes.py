"""TIM's wire protocol's push encoder (``events.register_encoder``): each event Hutong
sends, as the frame Tencent's SDK reads for it (docs/tim-sdk.md, "Pushes").

A push is a frame whose servcmd and seq match no request of the SDK's. Most are
``im_open_push.msg_push`` with an ``EventArray``: items of an ``Event`` number and one
payload key that picks the SDK's handler (``C2cMsgArray``, ``C2cNotifyMsgArray``,
``GroupMsgArray``, ``GroupTips``, ``RecentContactMod``...). A kick is
``im_open_status.stat_forceoffline``.

To add one: a function ``(event, viewer_id) -> Push | None`` registered with
``@push(EVENT_NAME)``, or, for an event whose payload is a ``Message`` or a
``Participant``, with ``@push(EVENT_NAME, kind=Conversation.Kind.GROUP)`` for that kind
of conversation only (taking precedence over the one without a kind).
None means the SDK has nothing to hear of it (the frame is empty and not written).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from im.events import KICKED_OUT, Event
from im.models import Account, Conversation, Message, Participant
from im.results import ConversationDeleted, PeerRead
from im.services.instances import KICKED_MULTIPLE_ACCOUNT, KICKED_REST_API
from im.timwire import codec
from im.timwire.serializers import c2c_item, c2c_receiver, profile_item, wire_seq

logger = logging.getLogger(__name__)

MSG_PUSH = "im_open_push.msg_push"
FORCE_OFFLINE = "im_open_status.stat_forceoffline"

# EventArray's Event numbers: the SDK reads 14 and 16 specially, ignores the rest for
# the payloads Hutong sends; TIM's own numbers where they are known.
EVENT_C2C_MESSAGE = 1
EVENT_C2C_NOTIFY = 9
EVENT_RECENT_CONTACT = 13
EVENT_PROFILE = 7
# KickoutMsgNotify's KickType: 1 another login of the account, 3 the back end (REST).
KICK_TYPES = {KICKED_MULTIPLE_ACCOUNT: 1, KICKED_REST_API: 3}


@dataclass(frozen=True)
class Push:
    body: dict[str, Any]
    servcmd: str = MSG_PUSH


def events(*items: dict[str, Any]) -> Push:
    """A ``msg_push`` of these ``EventArray`` items."""
    return Push({"EventArray": list(items)})


Builder = Callable[[Event, "int | None"], "Push | None"]
PUSHES: dict[str, Builder] = {}


def push(name: str, *, kind: str | None = None) -> Callable[[Builder], Builder]:
    key = f"{name}:{kind}" if kind else name

    def register(builder: Builder) -> Builder:
        if key in PUSHES:
            raise ValueError(f"a push for {key} is registered twice")
        PUSHES[key] = builder
        return builder

    return register


def _builder(event: Event) -> Builder | None:
    payload = event.payload
    if isinstance(payload, Message | Participant):
        found = PUSHES.get(f"{event.name}:{payload.conversation.kind}")
        if found is not None:
            return found
    return PUSHES.get(event.name)


def encode_event(event: Event, viewer_id: int | None) -> str:
    """The push frame of ``event`` for ``viewer_id`` ("" when the SDK has none for it).

    Every event is encoded for every protocol where it commits: a fault here must not
    cost the other protocols their push, so it is logged and this one's left out."""
    builder = _builder(event)
    try:
        built = builder(event, viewer_id) if builder is not None else None
    except Exception:
        logger.exception("TIM push for %s failed to encode", event.name)
        return ""
    if built is None:
        return ""
    head = {"ver": "v4", "servcmd": built.servcmd, "seq": 0}
    return codec.dumps({"head": head, "body": codec.ok(built.body)})


# --- C2C ---


@push("MESSAGE_RECEIVED", kind=Conversation.Kind.C2C)
def c2c_message(event: Event, viewer_id: int | None) -> Push:
    message: Message = event.payload
    sync = viewer_id == message.sender_id and c2c_receiver(message).pk != viewer_id
    return events({"Event": EVENT_C2C_MESSAGE, "C2cMsgArray": [c2c_item(message, sync=sync)]})


@push("MESSAGE_REVOKED", kind=Conversation.Kind.C2C)
def c2c_revoked(event: Event, viewer_id: int | None) -> Push:
    message: Message = event.payload
    info = {
        "From_Account": message.sender.user_id,
        "To_Account": c2c_receiver(message).user_id,
        "MsgSeq": wire_seq(message),
        "MsgRandom": message.random,
        "MsgTimeStamp": int(message.created_at.timestamp()),
        "RevokerInfo": {"Revoker": message.revoked_by.user_id if message.revoked_by else ""},
    }
    notify = {"WithdrawC2cMsgNotify": {"C2cWithdrawInfoArray": [info]}}
    return events({"Event": EVENT_C2C_NOTIFY, "C2cNotifyMsgArray": [notify]})


@push("MESSAGE_READ_BY_PEER")
def peer_read(event: Event, viewer_id: int | None) -> Push:
    """The sender's connections: the peer has read up to a time (``isPeerRead``)."""
    read: PeerRead = event.payload
    receipt = {
        "To_Account": read.reader_user_id,
        "UinPairReadArray": [{"LastReadTime": read.read_time}],
    }
    return events({"Event": EVENT_C2C_NOTIFY, "C2cNotifyMsgArray": [{"C2cReadedReceipt": receipt}]})


@push("CONVERSATION_UPDATED")
def conversation_read(event: Event, viewer_id: int | None) -> Push | None:
    """The account's other connections: a C2C conversation read on one of them (its
    unread count to 0). Other updates (a pin) have no push the SDK reads as such."""
    participant: Participant = event.payload
    conversation = participant.conversation
    if conversation.kind != Conversation.Kind.C2C or participant.unread:
        return None
    last = conversation.last_message
    if last is None:
        return None
    low, high = conversation.account_low, conversation.account_high
    peer = high if low.pk == participant.account_id else low
    pair = {"From_Account": peer.user_id, "LastReadTime": int(last.created_at.timestamp())}
    notice = {"ReadC2cMsgNotify": {"UinPairReadArray": [pair]}}
    return events({"Event": EVENT_C2C_NOTIFY, "C2cNotifyMsgArray": [notice]})


@push("CONVERSATION_DELETED")
def conversation_deleted(event: Event, viewer_id: int | None) -> Push | None:
    deleted: ConversationDeleted = event.payload
    conversation_id = deleted.conversation_id
    if conversation_id.startswith("C2C"):
        item = {"Type": 1, "UserId": conversation_id[3:]}
    elif conversation_id.startswith("GROUP"):
        item = {"Type": 2, "GroupId": conversation_id[5:]}
    else:
        return None
    change = {"PushType": 1, "RecentContactDeleteItem": {"RecentContactList": [item]}}
    return events({"Event": EVENT_RECENT_CONTACT, "RecentContactMod": [change]})


@push("PROFILE_UPDATED")
def profile_updated(event: Event, viewer_id: int | None) -> Push:
    """The account's profile changed: every field, as ``ProfileDataMod`` carries them
    (a number as ValueNum, the rest as ValueBytes)."""
    account: Account = event.payload
    changed = [
        {"Tag": item["Tag"], _value_key(item["Value"]): item["Value"]}
        for item in profile_item(account)["ProfileItem"]
    ]
    mod = {"Profile_Account": account.user_id, "ProfileList": changed}
    return events({"Event": EVENT_PROFILE, "ProfileDataMod": [mod]})


def _value_key(value: object) -> str:
    return "ValueNum" if isinstance(value, int) and not isinstance(value, bool) else "ValueBytes"


# --- the session ---


@push(KICKED_OUT)
def kicked_out(event: Event, viewer_id: int | None) -> Push | None:
    """Another login or the back end: ``KickoutMsgNotify``. A UserSig that expired
    has no push: the connection closes, and the SDK's re-login with its A2 ticket is
    refused with 70001, which it reports as KICKED_OUT userSigExpired."""
    kick_type = KICK_TYPES.get(event.payload.reason)
    if kick_type is None:
        return None
    notify = {"KickoutMsgNotify": {"KickType": kick_type, "NewInstInfo": {}}}
    return Push(
        {"EventArray": [{"Event": EVENT_C2C_NOTIFY, "C2cNotifyMsgArray": [notify]}]},
        servcmd=FORCE_OFFLINE,
    )
