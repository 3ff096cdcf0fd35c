"""History, read state and the conversation list, for one account."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from im.errors import INVALID_CONVERSATION, INVALID_PARAMS, IMError
from im.events import send_event_on_commit
from im.models import Account, Conversation, Participant
from im.selectors import (
    ConversationRef,
    conversation_list,
    message_seq,
    messages_before,
    messages_changed_after,
    one_or_none,
    participant_with_unread,
    resolve_conversation,
)
from im.serializers import conversation_to_dict, message_to_dict, profile_to_dict

MAX_PAGE = 15
MAX_SYNC_PAGE = 100


def check_get_message_list(
    *, account: Account, conversation_id: str, next_req_message_id: str = "", count: int = MAX_PAGE
) -> dict[str, Any]:
    """A page of history, oldest first, ending before ``next_req_message_id`` (TIM's paging)."""
    if not 1 <= count <= MAX_PAGE:
        raise IMError(INVALID_PARAMS, f"count must be 1-{MAX_PAGE}")
    ref = resolve_conversation(account, conversation_id)
    if ref.conversation is None:
        return {"messageList": [], "nextReqMessageID": "", "isCompleted": True}
    before_seq = None
    if next_req_message_id:
        before_seq = message_seq(ref.conversation, next_req_message_id)
    page = messages_before(ref.conversation, before_seq=before_seq, limit=count + 1)
    is_completed = len(page) <= count
    page = page[:count]
    page.reverse()
    return {
        "messageList": [message_to_dict(m, viewer=account) for m in page],
        "nextReqMessageID": "" if is_completed else message_to_dict(page[0], viewer=account)["ID"],
        "isCompleted": is_completed,
    }


def check_sync_messages(
    *, account: Account, conversation_id: str, after_change_seq: int, count: int = MAX_SYNC_PAGE
) -> dict[str, Any]:
    """What changed in a conversation since ``after_change_seq``: the catch-up after a reconnect.

    New and recalled messages come in change order; ``changeSequence`` is where the
    next call starts. Changes are numbered under the conversation's row lock, so a
    client that has seen change N has seen every change before it.
    """
    if not 1 <= count <= MAX_SYNC_PAGE:
        raise IMError(INVALID_PARAMS, f"count must be 1-{MAX_SYNC_PAGE}")
    if after_change_seq < 0:
        raise IMError(INVALID_PARAMS, "changeSequence must not be negative")
    ref = resolve_conversation(account, conversation_id)
    if ref.conversation is None:
        return {"messageList": [], "changeSequence": after_change_seq, "isCompleted": True}
    page = messages_changed_after(
        ref.conversation, after_change_seq=after_change_seq, limit=count + 1
    )
    is_completed = len(page) <= count
    page = page[:count]
    return {
        "messageList": [message_to_dict(m, viewer=account) for m in page],
        "changeSequence": page[-1].change_seq if page else after_change_seq,
        "isCompleted": is_completed,
    }


def get_conversation_list(*, account: Account) -> dict[str, Any]:
    return {
        "conversationList": [conversation_to_dict(p) for p in conversation_list(account)],
        "isSyncCompleted": True,
    }


def _stub(ref: ConversationRef) -> dict[str, Any]:
    """A conversation that has no message yet, as TIM shows one."""
    return {
        "conversationID": ref.conversation_id,
        "type": ref.kind,
        "unreadCount": 0,
        "lastMessage": None,
        "isPinned": False,
        "messageRemindType": "",
        "changeSequence": 0,
        "userProfile": profile_to_dict(ref.peer) if ref.peer else None,
        "groupProfile": {
            "groupID": ref.group.group_id,
            "name": ref.group.name,
            "type": ref.group.type,
            "avatar": ref.group.avatar,
        }
        if ref.group
        else None,
    }


def get_conversation_profile(*, account: Account, conversation_id: str) -> dict[str, Any]:
    ref = resolve_conversation(account, conversation_id)
    participant = participant_with_unread(account, ref.conversation) if ref.conversation else None
    if participant is None:
        return {"conversation": _stub(ref)}
    return {"conversation": conversation_to_dict(participant)}


def _lock_participant(account: Account, ref: ConversationRef) -> Participant | None:
    if ref.conversation is None:
        return None
    return one_or_none(
        Participant.objects.select_for_update(of=("self",))
        .select_related("conversation")
        .filter(account=account, conversation=ref.conversation)
    )


def check_set_message_read(
    *, account: Account, conversation_id: str, origin_channel: str | None = None
) -> dict[str, Any]:
    """Mark everything in the conversation read; the account's other connections follow."""
    ref = resolve_conversation(account, conversation_id)
    with transaction.atomic():
        participant = _lock_participant(account, ref)
        if participant is None:
            return {}  # nothing was ever received here: nothing to mark
        last_seq = participant.conversation.last_seq
        if participant.read_seq < last_seq:
            participant.read_seq = last_seq
            participant.save(update_fields=["read_seq"])
            _push_conversation(account, participant.conversation, origin_channel)
    return {}


def _push_conversation(
    account: Account, conversation: Conversation, origin_channel: str | None
) -> None:
    participant = participant_with_unread(account, conversation)
    if participant is not None and participant.conversation.last_message_id:
        send_event_on_commit(
            "CONVERSATION_UPDATED",
            conversation_to_dict(participant),
            [account.pk],
            exclude_channel=origin_channel,
        )


def check_delete_conversation(
    *, account: Account, conversation_id: str, origin_channel: str | None = None
) -> dict[str, Any]:
    """Hide a conversation from the list and mark it read; its messages stay."""
    ref = resolve_conversation(account, conversation_id)
    with transaction.atomic():
        participant = _lock_participant(account, ref)
        if participant is None or participant.is_hidden:
            raise IMError(INVALID_CONVERSATION, f"you have no conversation {conversation_id!r}")
        participant.is_hidden = True
        participant.read_seq = max(participant.read_seq, participant.conversation.last_seq)
        participant.save(update_fields=["is_hidden", "read_seq"])
        send_event_on_commit(
            "CONVERSATION_DELETED",
            {"conversationID": conversation_id},
            [account.pk],
            exclude_channel=origin_channel,
        )
    return {"conversationID": conversation_id}
