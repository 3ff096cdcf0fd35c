"""Sending messages: the rules (check_*) and the write (do_*)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from im.errors import (
    C2C_INVALID_RECEIVER,
    INVALID_CONVERSATION,
    INVALID_PARAMS,
    MESSAGE_TOO_LONG,
    IMError,
)
from im.events import send_event_on_commit
from im.models import Account, Conversation, Message, Participant
from im.selectors import find_account
from im.serializers import message_to_dict

# TIM's message body limit (80002 / 93000 past it).
MAX_BODY_BYTES = 12 * 1024
MAX_RANDOM = 2**32 - 1
PRIORITIES = frozenset(Message.Priority.values)
SENDABLE_TYPES = frozenset({"TIMTextElem"})


def _check_text_payload(payload: dict) -> dict:
    text = payload.get("text")
    if not isinstance(text, str) or not text:
        raise IMError(INVALID_PARAMS, "payload.text must be a non-empty string")
    size = len(text.encode())
    if size > MAX_BODY_BYTES:
        raise IMError(MESSAGE_TOO_LONG, f"text is {size} bytes; the limit is {MAX_BODY_BYTES}")
    return {"text": text}


def check_send_message(
    *,
    sender: Account,
    to: str,
    conversation_type: str,
    msg_type: str,
    payload: dict,
    random: int,
    client_time: int,
    client_seq: int = 0,
    priority: str = Message.Priority.NORMAL,
    cloud_custom_data: str = "",
    origin_channel: str | None = None,
) -> Message:
    """Validate a send from ``sender`` and store it (see ``do_send_message``)."""
    if conversation_type != Conversation.Kind.C2C:
        raise IMError(
            INVALID_CONVERSATION, f"conversationType {conversation_type!r} is not supported"
        )
    if msg_type not in SENDABLE_TYPES:
        raise IMError(INVALID_PARAMS, f"message type {msg_type!r} cannot be sent")
    clean_payload = _check_text_payload(payload)
    if priority not in PRIORITIES:
        raise IMError(INVALID_PARAMS, f"priority must be one of {sorted(PRIORITIES)}")
    if not 0 <= random <= MAX_RANDOM:
        raise IMError(INVALID_PARAMS, f"random must be 0-{MAX_RANDOM}")
    if client_time < 0 or client_seq < 0:
        raise IMError(INVALID_PARAMS, "clientTime and clientSequence must not be negative")
    if len(cloud_custom_data.encode()) > MAX_BODY_BYTES:
        raise IMError(MESSAGE_TOO_LONG, f"cloudCustomData is over {MAX_BODY_BYTES} bytes")
    receiver = find_account(sender.app, to)
    if receiver is None:
        raise IMError(C2C_INVALID_RECEIVER, f"userID {to!r} does not exist in this app")
    return do_send_message(
        sender=sender,
        receiver=receiver,
        msg_type=msg_type,
        payload=clean_payload,
        random=random,
        client_time=client_time,
        client_seq=client_seq,
        priority=priority,
        cloud_custom_data=cloud_custom_data,
        origin_channel=origin_channel,
    )


def _lock_c2c_conversation(a: Account, b: Account) -> Conversation:
    low, high = sorted((a, b), key=lambda acc: acc.pk)
    conversation, _ = Conversation.objects.get_or_create(
        kind=Conversation.Kind.C2C,
        account_low=low,
        account_high=high,
        defaults={"app": a.app},
    )
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    locked.account_low, locked.account_high = low, high
    return locked


def do_send_message(
    *,
    sender: Account,
    receiver: Account,
    msg_type: str,
    payload: dict,
    random: int,
    client_time: int,
    client_seq: int,
    priority: str,
    cloud_custom_data: str,
    origin_channel: str | None,
) -> Message:
    """Store a C2C message under the next sequence and push it after commit.

    Takes the conversation's row lock, so sequence order is commit order. A send
    that repeats a stored (sender, random, clientTime) returns the stored message
    and pushes nothing.
    """
    with transaction.atomic():
        conversation = _lock_c2c_conversation(sender, receiver)
        stored = (
            Message.objects.filter(
                conversation=conversation, sender=sender, random=random, client_time=client_time
            )
            .select_related("sender")
            .first()
        )
        if stored is not None:
            stored.conversation = conversation
            return stored
        now = timezone.now()
        Conversation.objects.filter(pk=conversation.pk).update(
            last_seq=F("last_seq") + 1, last_message_at=now
        )
        conversation.refresh_from_db(fields=["last_seq", "last_message_at"])
        message = Message.objects.create(
            conversation=conversation,
            seq=conversation.last_seq,
            sender=sender,
            type=msg_type,
            payload=payload,
            created_at=now,
            random=random,
            client_time=client_time,
            client_seq=client_seq,
            priority=priority,
            cloud_custom_data=cloud_custom_data,
        )
        for account in {sender.pk: sender, receiver.pk: receiver}.values():
            Participant.objects.update_or_create(
                conversation=conversation, account=account, defaults={"is_hidden": False}
            )
        if receiver.pk != sender.pk:
            send_event_on_commit(
                "MESSAGE_RECEIVED", [message_to_dict(message, viewer=receiver)], [receiver.pk]
            )
        send_event_on_commit(
            "MESSAGE_RECEIVED",
            [message_to_dict(message, viewer=sender)],
            [sender.pk],
            exclude_channel=origin_channel,
        )
    return message
