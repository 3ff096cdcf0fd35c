"""The one place a model becomes the JSON the SDK sees (TIM's field names)."""

from __future__ import annotations

from typing import Any

from im.models import Account, Conversation, Message


def message_id(message: Message) -> str:
    return f"{message.sender_id}-{message.client_time}-{message.random}"


def _c2c_receiver(message: Message) -> Account:
    conversation = message.conversation
    if conversation.account_low_id == message.sender_id:
        return conversation.account_high
    return conversation.account_low


def message_to_dict(message: Message, *, viewer: Account) -> dict[str, Any]:
    """``message`` as the account ``viewer`` sees it (conversationID and flow differ per side).

    Expects ``sender`` and the conversation's accounts to be loaded (select_related).
    """
    sender = message.sender
    conversation = message.conversation
    if conversation.kind == Conversation.Kind.C2C:
        receiver = _c2c_receiver(message)
        peer = receiver if viewer.pk == sender.pk else sender
        conversation_id = f"C2C{peer.user_id}"
        to = receiver.user_id
    else:  # pragma: no cover - groups arrive with the messaging issue
        raise NotImplementedError(conversation.kind)
    return {
        "ID": message_id(message),
        "type": message.type,
        "payload": message.payload,
        "conversationID": conversation_id,
        "conversationType": conversation.kind,
        "to": to,
        "from": sender.user_id,
        "flow": "out" if viewer.pk == sender.pk else "in",
        "time": int(message.created_at.timestamp()),
        "status": "success",
        "isRevoked": message.is_revoked,
        "isRead": viewer.pk == sender.pk,
        "priority": message.priority,
        "nick": sender.nick,
        "avatar": sender.avatar,
        "sequence": message.seq,
        "random": message.random,
        "clientSequence": message.client_seq,
        "clientTime": message.client_time,
        "cloudCustomData": message.cloud_custom_data,
        "protocol": "JSON",
    }


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
