"""History, read state and the conversation list, for one account."""

from __future__ import annotations

from django.db import transaction

from im.errors import INVALID_CONVERSATION, INVALID_PARAMS, IMError
from im.events import Event, send_event_on_commit
from im.models import Account, Conversation, Participant
from im.permissions import ConversationRef, access_conversation, history_floor
from im.results import ConversationDeleted, ConversationView, HistoryPage, SyncPage
from im.selectors import (
    conversation_list,
    message_seq,
    messages_before,
    messages_changed_after,
    one_or_none,
    parse_message_id,
    participant_with_unread,
)
from im.transactions import in_callers_transaction

MAX_PAGE = 15
MAX_SYNC_PAGE = 100


def check_get_message_list(
    *, account: Account, conversation_id: str, next_req_message_id: str = "", count: int = MAX_PAGE
) -> HistoryPage:
    """A page of history, oldest first, ending before ``next_req_message_id`` (TIM's paging)."""
    if not 1 <= count <= MAX_PAGE:
        raise IMError(INVALID_PARAMS, f"count must be 1-{MAX_PAGE}")
    if next_req_message_id:
        parse_message_id(next_req_message_id)  # a malformed cursor is refused everywhere
    ref = access_conversation(account, conversation_id)
    if ref.conversation is None:
        return HistoryPage(messages=[], is_completed=True)
    before_seq = None
    if next_req_message_id:
        before_seq = message_seq(ref.conversation, next_req_message_id)
    page = messages_before(
        ref.conversation,
        before_seq=before_seq,
        limit=count + 1,
        after_seq=history_floor(ref),
        viewer=account,
    )
    is_completed = len(page) <= count
    page = page[:count]
    page.reverse()
    return HistoryPage(messages=page, is_completed=is_completed)


def check_sync_messages(
    *, account: Account, conversation_id: str, after_change_seq: int, count: int = MAX_SYNC_PAGE
) -> SyncPage:
    """What changed in a conversation since ``after_change_seq``: the catch-up after a reconnect.

    New and recalled messages come in change order; ``change_seq`` is where the
    next call starts. Changes are numbered under the conversation's row lock, so a
    client that has seen change N has seen every change before it.
    """
    if not 1 <= count <= MAX_SYNC_PAGE:
        raise IMError(INVALID_PARAMS, f"count must be 1-{MAX_SYNC_PAGE}")
    if after_change_seq < 0:
        raise IMError(INVALID_PARAMS, "changeSequence must not be negative")
    ref = access_conversation(account, conversation_id)
    if ref.conversation is None:
        return SyncPage(messages=[], change_seq=after_change_seq, is_completed=True)
    page = messages_changed_after(
        ref.conversation,
        after_change_seq=after_change_seq,
        limit=count + 1,
        after_seq=history_floor(ref),
        viewer=account,
    )
    is_completed = len(page) <= count
    page = page[:count]
    return SyncPage(
        messages=page,
        change_seq=page[-1].change_seq if page else after_change_seq,
        is_completed=is_completed,
    )


def get_conversation_list(*, account: Account) -> list[Participant]:
    """The account's most recent conversations, each with ``unread`` annotated."""
    return conversation_list(account)


def get_conversation_profile(*, account: Account, conversation_id: str) -> ConversationView:
    ref = access_conversation(account, conversation_id)
    participant = participant_with_unread(account, ref.conversation) if ref.conversation else None
    return ConversationView(
        conversation_id=ref.conversation_id,
        kind=ref.kind,
        participant=participant,
        peer=ref.peer,
        group=ref.group,
    )


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
) -> None:
    """Mark everything in the conversation read, in a transaction of its own (an entry
    point); the account's other connections follow."""
    ref = access_conversation(account, conversation_id)
    with transaction.atomic():
        participant = _lock_participant(account, ref)
        if participant is None:
            return  # nothing was ever received here: nothing to mark
        do_mark_read(account=account, participant=participant, origin_channel=origin_channel)


@in_callers_transaction
def do_mark_read(*, account: Account, participant: Participant, origin_channel: str | None) -> None:
    """Move ``account``'s locked participant's read mark to the newest message; if it
    moved, schedule CONVERSATION_UPDATED for the account's other connections."""
    conversation = participant.conversation
    if participant.read_seq >= conversation.last_seq:
        return
    participant.read_seq = conversation.last_seq
    participant.save(update_fields=["read_seq"])
    _schedule_conversation_update(account, conversation, origin_channel)


def _schedule_conversation_update(
    account: Account, conversation: Conversation, origin_channel: str | None
) -> None:
    participant = participant_with_unread(account, conversation)
    if participant is not None and participant.conversation.last_message_id:
        send_event_on_commit(
            Event(
                "CONVERSATION_UPDATED",
                participant,
                account_ids=frozenset({account.pk}),
                exclude_channel=origin_channel,
            )
        )


def check_delete_conversation(
    *, account: Account, conversation_id: str, origin_channel: str | None = None
) -> str:
    """Hide a conversation from the list and mark it read, in a transaction of its own
    (an entry point); its messages stay. Returns the conversationID."""
    ref = access_conversation(account, conversation_id)
    with transaction.atomic():
        participant = _lock_participant(account, ref)
        if participant is None or participant.is_hidden:
            raise IMError(INVALID_CONVERSATION, f"you have no conversation {conversation_id!r}")
        participant.is_hidden = True
        participant.read_seq = max(participant.read_seq, participant.conversation.last_seq)
        participant.save(update_fields=["is_hidden", "read_seq"])
        send_event_on_commit(
            Event(
                "CONVERSATION_DELETED",
                ConversationDeleted(conversation_id),
                account_ids=frozenset({account.pk}),
                exclude_channel=origin_channel,
            )
        )
    return conversation_id
