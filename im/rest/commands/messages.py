"""``openim``: C2C messages sent, read, recalled and fetched by the app's back end."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from im import params
from im.errors import MESSAGE_NOT_FOUND, IMError
from im.models import Account, Conversation
from im.rest.api import Caller, command, items
from im.rest.codes import BATCH_TOO_MANY, MSG_ACCOUNT_NOT_FOUND, OPENIM_INVALID
from im.rest.elements import message_body, msg_key, parse_msg_key, rest_message
from im.selectors import (
    c2c_conversation,
    c2c_unread_counts,
    find_account,
    message_at,
    messages_in_period,
)
from im.services import conversations
from im.services.messages import Draft, check_draft, check_revoke_as_operator, check_send_message

SERVICE = "openim"
MAX_BATCH_RECEIVERS = 500
MAX_ROAM_PAGE = 100
MAX_UNREAD_PEERS = 10
SYNC_TO_SENDER, NO_SYNC_TO_SENDER = 1, 2


def _account(caller: Caller, user_id: str, field: str) -> Account:
    account = find_account(caller.app, user_id)
    if account is None or account.deleted_at is not None:
        raise IMError(MSG_ACCOUNT_NOT_FOUND, f"{field} {user_id!r} is not an account of this app")
    return account


def _sender(caller: Caller, body: dict[str, Any]) -> Account:
    """``From_Account``, or the administrator who signed the request."""
    user_id = params.get_str(body, "From_Account", default="")
    return _account(caller, user_id, "From_Account") if user_id else caller.admin


def _sync_to_sender(body: dict[str, Any]) -> bool:
    """TIM's SyncOtherMachine: 1 the sender sees the message too, 2 only the receiver."""
    sync = params.get_int(body, "SyncOtherMachine", default=SYNC_TO_SENDER)
    if sync not in (SYNC_TO_SENDER, NO_SYNC_TO_SENDER):
        raise IMError(OPENIM_INVALID, "SyncOtherMachine is 1 or 2")
    return sync == SYNC_TO_SENDER


def _draft(body: dict[str, Any]) -> Draft:
    msg_type, payload = message_body(body)
    return check_draft(
        msg_type=msg_type,
        payload=payload,
        by_back_end=True,
        random=params.get_int(body, "MsgRandom"),
        client_time=params.get_int(body, "MsgTimeStamp", default=0)
        or int(datetime.now(UTC).timestamp()),
        client_seq=params.get_int(body, "MsgSeq", default=0),
        cloud_custom_data=params.get_str(body, "CloudCustomData", default=""),
    )


@command(SERVICE, "sendmsg", invalid_code=OPENIM_INVALID)
def sendmsg(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    sender = _sender(caller, body)
    receiver = _account(caller, params.get_str(body, "To_Account"), "To_Account")
    sync_to_sender = _sync_to_sender(body)
    message = check_send_message(
        sender=sender,
        to=receiver.user_id,
        conversation_type=Conversation.Kind.C2C,
        draft=_draft(body),
        limit_rate=False,
        sync_to_sender=sync_to_sender,
    )
    return {"MsgTime": int(message.created_at.timestamp()), "MsgKey": msg_key(message)}


@command(SERVICE, "batchsendmsg", invalid_code=OPENIM_INVALID)
def batchsendmsg(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    receivers = body.get("To_Account")
    if isinstance(receivers, list) and len(receivers) > MAX_BATCH_RECEIVERS:
        raise IMError(BATCH_TOO_MANY, f"To_Account has at most {MAX_BATCH_RECEIVERS} userIDs")
    receivers = items(body, "To_Account", most=MAX_BATCH_RECEIVERS, code=OPENIM_INVALID)
    if not all(isinstance(r, str) for r in receivers):
        raise IMError(OPENIM_INVALID, "To_Account is an array of userIDs")
    sender = _sender(caller, body)
    sync_to_sender = _sync_to_sender(body)
    draft = _draft(body)  # one message content for all: refused whole if it is bad
    errors, key = [], ""
    for user_id in dict.fromkeys(receivers):
        try:
            receiver = _account(caller, user_id, "To_Account")
            message = check_send_message(
                sender=sender,
                to=receiver.user_id,
                conversation_type=Conversation.Kind.C2C,
                draft=draft,
                limit_rate=False,
                sync_to_sender=sync_to_sender,
            )
            key = key or msg_key(message)
        except IMError as error:
            errors.append({"To_Account": user_id, "ErrorCode": error.code})
    return {"MsgKey": key, "ErrorList": errors}


def _pair(caller: Caller, body: dict[str, Any], one: str, other: str) -> tuple[Account, Account]:
    return (
        _account(caller, params.get_str(body, one), one),
        _account(caller, params.get_str(body, other), other),
    )


@command(SERVICE, "admin_msgwithdraw", invalid_code=OPENIM_INVALID)
def admin_msgwithdraw(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    sender, receiver = _pair(caller, body, "From_Account", "To_Account")
    seq, random, _ = parse_msg_key(params.get_str(body, "MsgKey"))
    conversation = c2c_conversation(sender, receiver)
    message = None if conversation is None else message_at(conversation, seq=seq, random=random)
    if message is None or message.sender_id != sender.pk:
        raise IMError(MESSAGE_NOT_FOUND, "no message with this MsgKey between these accounts")
    check_revoke_as_operator(message_pk=message.pk, operator=caller.admin)
    return {}


@command(SERVICE, "admin_set_msg_read", invalid_code=OPENIM_INVALID)
def admin_set_msg_read(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    reader, peer = _pair(caller, body, "Report_Account", "Peer_Account")
    conversations.check_set_message_read(account=reader, conversation_id=f"C2C{peer.user_id}")
    return {}


@command(SERVICE, "get_c2c_unread_msg_num", invalid_code=OPENIM_INVALID)
def get_c2c_unread_msg_num(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    account = _account(caller, params.get_str(body, "To_Account"), "To_Account")
    counts = c2c_unread_counts(account)
    fields: dict[str, Any] = {"AllC2CUnreadMsgNum": sum(counts.values())}
    if "Peer_Account" in body:
        peers = items(body, "Peer_Account", most=MAX_UNREAD_PEERS, code=OPENIM_INVALID)
        if not all(isinstance(p, str) for p in peers):
            raise IMError(OPENIM_INVALID, "Peer_Account is an array of userIDs")
        fields["C2CUnreadMsgNumList"] = [
            {"Peer_Account": peer, "C2CUnreadMsgNum": counts.get(peer, 0)} for peer in peers
        ]
    return fields


def _time(body: dict[str, Any], name: str) -> datetime:
    value = params.get_int(body, name)
    if not 0 <= value < 2**32:
        raise IMError(OPENIM_INVALID, f"{name} is a unix time in seconds")
    return datetime.fromtimestamp(value, tz=UTC)


@command(SERVICE, "admin_getroammsg", invalid_code=OPENIM_INVALID)
def admin_getroammsg(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    operator, peer = _pair(caller, body, "Operator_Account", "Peer_Account")
    count = params.get_int(body, "MaxCnt")
    if not 1 <= count <= MAX_ROAM_PAGE:
        raise IMError(OPENIM_INVALID, f"MaxCnt is 1-{MAX_ROAM_PAGE}")
    since, until = _time(body, "MinTime"), _time(body, "MaxTime")
    after_seq = 0
    if body.get("LastMsgKey"):
        after_seq, _, _ = parse_msg_key(params.get_str(body, "LastMsgKey"))
    conversation = c2c_conversation(operator, peer)
    page = []
    if conversation is not None:
        page = messages_in_period(
            conversation, since=since, until=until, after_seq=after_seq, limit=count + 1
        )
    complete = len(page) <= count
    page = page[:count]
    by_pk = {operator.pk: peer.user_id, peer.pk: operator.user_id}
    return {
        "Complete": int(complete),
        "MsgCnt": len(page),
        "LastMsgTime": int(page[-1].created_at.timestamp()) if page else 0,
        "LastMsgKey": msg_key(page[-1]) if page else "",
        "MsgList": [rest_message(m, to_user_id=by_pk[m.sender_id]) for m in page],
    }
