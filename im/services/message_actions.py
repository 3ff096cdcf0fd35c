"""What one can do to a message one sees: delete it for oneself, quote it in a reply,
forward it elsewhere. The rules (check_*) and the writes (do_*)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from django.db import transaction

from im import media
from im.errors import (
    FORWARD_REFUSED,
    INVALID_PARAMS,
    MESSAGE_DELETE_REFUSED,
    MESSAGE_NOT_FOUND,
    IMError,
)
from im.events import Event, send_event_on_commit
from im.models import (
    Account,
    Conversation,
    DeletedMessage,
    Group,
    Message,
    Participant,
    Upload,
)
from im.permissions import ConversationRef, access_conversation, history_floor
from im.results import MessagesDeleted
from im.selectors import get_message, participant_with_unread, visible_messages
from im.services.payloads import GROUP_SYSTEM_NOTICE, GROUP_TIP
from im.transactions import in_callers_transaction

MAX_DELETE = 30  # TIM's deleteMessage uses the first 30 of a list
REPLY_KEY = "messageReply"  # TUIKit's key in cloudCustomData for a quoted reply
REPLY_TEXT_FIELDS = ("messageID", "messageAbstract", "messageSender")


def visible_message(account: Account, ref: ConversationRef, message_id: object) -> Message:
    """The message ``message_id`` of ``ref``'s conversation as ``account`` may see it:
    stored there, after what a newcomer to a group may read, and not deleted by
    ``account`` for itself. Anything else is 10030, whether missing or hidden."""
    message = get_message(ref.conversation, message_id)
    hidden = DeletedMessage.objects.filter(account=account, message=message).exists()
    if message.seq <= history_floor(ref) or hidden:
        raise IMError(MESSAGE_NOT_FOUND, f"message {message_id!r} not found")
    return message


# --- delete for me ---


def check_delete_messages(
    *,
    account: Account,
    conversation_id: str,
    message_ids: list[str],
    origin_channel: str | None = None,
) -> tuple[list[Message], Participant | None]:
    """Delete up to ``MAX_DELETE`` messages of one conversation for ``account`` only,
    in a transaction of its own (an entry point). The first 30 IDs are used (TIM's
    rule); every one must be a message ``account`` sees there (10030 otherwise, and
    nothing is deleted). System notices are refused (2116). Deleting one again is
    not an error. Returns the messages and the conversation as ``account`` now sees it."""
    if not message_ids:
        raise IMError(INVALID_PARAMS, "messageIDList must not be empty")
    ref = access_conversation(account, conversation_id)
    if ref.kind == Conversation.Kind.SYSTEM:
        raise IMError(MESSAGE_DELETE_REFUSED, "system notices cannot be deleted")
    wanted = list(dict.fromkeys(message_ids[:MAX_DELETE]))
    found = [get_message(ref.conversation, message_id) for message_id in wanted]
    for message in found:
        if message.seq <= history_floor(ref):
            raise IMError(MESSAGE_NOT_FOUND, "message not found")
    with transaction.atomic():
        do_delete_messages(
            account=account,
            conversation_id=ref.conversation_id,
            messages=found,
            origin_channel=origin_channel,
        )
    return found, participant_with_unread(account, ref.conversation)


@in_callers_transaction
def do_delete_messages(
    *, account: Account, conversation_id: str, messages: list[Message], origin_channel: str | None
) -> None:
    """Hide ``messages`` (of the conversation ``conversation_id`` names for
    ``account``) from ``account``, and tell its other connections with
    MESSAGE_DELETED, which carries the conversation as it now sees it (its last
    message and unread count may have changed)."""
    DeletedMessage.objects.bulk_create(
        [DeletedMessage(account=account, message=m) for m in messages], ignore_conflicts=True
    )
    participant = participant_with_unread(account, messages[0].conversation)
    send_event_on_commit(
        Event(
            "MESSAGE_DELETED",
            MessagesDeleted(conversation_id, tuple(messages), participant),
            account_ids=frozenset({account.pk}),
            exclude_channel=origin_channel,
        )
    )


@in_callers_transaction
def do_hide_from_sender(message: Message) -> None:
    """Delete a new message for its sender, who is told nothing (TIM's SyncOtherMachine
    2: not synced to the sender). A conversation in which the sender now sees no
    message stays out of its list until the next one it sees."""
    DeletedMessage.objects.create(account_id=message.sender_id, message=message)
    if not visible_messages(message.conversation, message.sender).exists():
        Participant.objects.filter(
            conversation=message.conversation, account_id=message.sender_id
        ).update(is_hidden=True)


# --- reply with a quote ---


def check_reply(*, sender: Account, conversation_id: str, cloud_custom_data: str) -> None:
    """A reply's quote, where ``cloudCustomData`` claims one (TUIKit's convention: a
    JSON object whose ``messageReply`` is ``{messageAbstract, messageSender,
    messageID, messageType, version}``), must be well formed (6017) and name a
    message of the same conversation that ``sender`` sees (10030; in an AVChatRoom,
    which stores none, only the shape is checked). cloudCustomData
    that is not JSON, or JSON without ``messageReply``, is the app's and not read."""
    if REPLY_KEY not in cloud_custom_data:
        return
    try:
        data = json.loads(cloud_custom_data)
    except ValueError:
        return
    if not isinstance(data, dict) or REPLY_KEY not in data:
        return
    reply = data[REPLY_KEY]
    if not isinstance(reply, dict):
        raise IMError(INVALID_PARAMS, "cloudCustomData.messageReply must be an object")
    for name in REPLY_TEXT_FIELDS:
        if not isinstance(reply.get(name), str):
            raise IMError(INVALID_PARAMS, f"cloudCustomData.messageReply.{name} must be a string")
    for name in ("messageType", "version"):
        value = reply.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise IMError(
                INVALID_PARAMS, f"cloudCustomData.messageReply.{name} must be a number or string"
            )
    ref = access_conversation(sender, conversation_id)
    if ref.group is not None and ref.group.type == Group.Type.AVCHATROOM:
        return  # an AVChatRoom stores no message to find: the shape is all there is to check
    visible_message(sender, ref, reply["messageID"])


# --- forward ---


@dataclass(frozen=True)
class Forwarded:
    """What a forward copies: the original's type and stored payload."""

    type: str
    payload: dict
    source: Message


def check_forward_source(*, sender: Account, conversation_id: str, message_id: str) -> Forwarded:
    """The message ``sender`` forwards, from a conversation it belongs to: one it sees
    (10030 otherwise), not recalled (10030: it is gone for everyone), not a group tip
    or system notice (2453, TIM's createForwardMessage rule). Its stored payload is
    what the new message carries: a media message's uploads may be another account's,
    which a plain sendMessage refuses (``uploads.check_media_draft``)."""
    ref = access_conversation(sender, conversation_id)
    message = visible_message(sender, ref, message_id)
    if message.type in (GROUP_TIP, GROUP_SYSTEM_NOTICE):
        raise IMError(FORWARD_REFUSED, "group tips and system notices cannot be forwarded")
    if message.is_revoked:
        raise IMError(MESSAGE_NOT_FOUND, f"message {message_id!r} was recalled")
    return Forwarded(type=message.type, payload=message.payload, source=message)


def forwarded_draft(draft, forwarded: Forwarded):
    """``draft`` (``messages.Draft``) carrying the forwarded type and payload."""
    return replace(draft, type=forwarded.type, payload=forwarded.payload)


@in_callers_transaction
def do_carry_forwarded_uploads(message: Message) -> None:
    """Make the forward the carrier of the uploads it shares with the original, so
    the files live as long as the newest message showing them: retention purges
    older messages first, and an upload goes only once its carrier has."""
    names = media.uuids(message.type, message.payload)
    if names and message.pk is not None:
        Upload.objects.filter(uuid__in=names, app_id=message.conversation.app_id).update(
            message=message
        )
