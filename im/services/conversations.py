"""History, read state and the conversation list, for one account."""

from __future__ import annotations

from django.db import transaction

from im.errors import (
    C2C_INVALID_RECEIVER,
    INVALID_CONVERSATION,
    INVALID_PARAMS,
    MESSAGE_NOT_FOUND,
    IMError,
)
from im.events import Event, send_event_on_commit
from im.models import Account, Conversation, GroupMember, Message, Participant
from im.permissions import (
    C2C_PREFIX,
    GROUP_PREFIX,
    ConversationRef,
    access_conversation,
    history_floor,
)
from im.results import (
    ConversationDeleted,
    ConversationView,
    HistoryPage,
    PeerRead,
    RemindTypeChanged,
    RemindTypesSet,
    SyncPage,
)
from im.selectors import (
    accounts_by_user_id,
    c2c_message_by_key,
    conversation_list,
    message_at_seq,
    messages_before,
    messages_changed_after,
    one_or_none,
    parse_message_id,
    participant_with_unread,
    peer_read_time,
)
from im.services.messages import lock_c2c_conversation
from im.transactions import in_callers_transaction

MAX_PAGE = 15
MAX_SYNC_PAGE = 100
# setMessageRemindType's C2C form: TIM's limit of peers per call, and the types a C2C
# conversation takes (Discard, which stops a group's pushes, has no C2C counterpart here).
MAX_REMIND_USERS = 30
C2C_REMIND_TYPES = (
    GroupMember.RemindType.ACCEPT_AND_NOTIFY,
    GroupMember.RemindType.ACCEPT_NOT_NOTIFY,
)


def check_get_message_list(
    *,
    account: Account,
    conversation_id: str,
    next_req_message_id: str = "",
    count: int = MAX_PAGE,
    up_to_seq: int = 0,
) -> HistoryPage:
    """A page of history, oldest first, ending before ``next_req_message_id`` (TIM's paging),
    or, with ``up_to_seq`` instead, with the message numbered so (TIM's socket pages a
    group's history by sequence)."""
    if up_to_seq < 0:
        raise IMError(INVALID_PARAMS, "the sequence to page from must not be negative")
    if not 1 <= count <= MAX_PAGE:
        raise IMError(INVALID_PARAMS, f"count must be 1-{MAX_PAGE}")
    if next_req_message_id:
        parse_message_id(next_req_message_id)  # a malformed cursor is refused everywhere
    ref = access_conversation(account, conversation_id)
    if ref.conversation is None:
        return HistoryPage(messages=[], is_completed=True)
    page = messages_before(
        ref.conversation,
        before_seq=up_to_seq + 1 if up_to_seq and not next_req_message_id else None,
        before_id=next_req_message_id,
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
    moved, schedule CONVERSATION_UPDATED for the account's other connections (and
    MESSAGE_READ_BY_PEER for a C2C peer whose messages it now covers)."""
    conversation = participant.conversation
    if participant.read_seq >= conversation.last_seq:
        return
    before = participant.read_seq
    participant.read_seq = conversation.last_seq
    participant.save(update_fields=["read_seq"])
    _schedule_conversation_update(account, conversation, origin_channel)
    _schedule_peer_read(account, conversation, before)


def _schedule_peer_read(account: Account, conversation: Conversation, before: int) -> None:
    """The C2C peer learns that ``account`` read its messages numbered after ``before``
    (every one of its connections: all hold the sent messages). The read mark is the
    one stored fact; a message's ``isPeerRead`` is derived from it, so nothing is written
    per message. No push when the newly read part holds none of the peer's messages
    (only ``account``'s own), nor in a chat with oneself. The blacklist plays no part:
    it stops messages, and these were delivered before."""
    if conversation.kind != Conversation.Kind.C2C:
        return
    pair = {conversation.account_low_id, conversation.account_high_id} - {account.pk}
    if not pair:
        return
    (peer_id,) = pair
    newly_read = Message.objects.filter(
        conversation=conversation, sender_id=peer_id, seq__gt=before, seq__lte=conversation.last_seq
    )
    if not newly_read.exists():
        return
    read = PeerRead(
        reader_user_id=account.user_id,
        read_seq=conversation.last_seq,
        read_time=int(conversation.last_message_at.timestamp())
        if conversation.last_message_at
        else 0,
    )
    send_event_on_commit(Event("MESSAGE_READ_BY_PEER", read, account_ids=frozenset({peer_id})))


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


def _lock_listed_participant(account: Account, ref: ConversationRef) -> Participant:
    """The account's locked participant of a conversation in its list (one with a
    message, not deleted), or 6004."""
    participant = _lock_participant(account, ref)
    if participant is None or participant.is_hidden or not participant.conversation.last_message_id:
        raise IMError(INVALID_CONVERSATION, f"you have no conversation {ref.conversation_id!r}")
    return participant


def check_delete_conversation(
    *, account: Account, conversation_id: str, origin_channel: str | None = None
) -> str:
    """Hide a conversation from the list, unpin it and mark it read, in a transaction of
    its own (an entry point); its messages stay. Returns the conversationID."""
    ref = access_conversation(account, conversation_id)
    with transaction.atomic():
        participant = _lock_listed_participant(account, ref)
        before = participant.read_seq
        participant.is_hidden = True
        participant.is_pinned = False
        participant.read_seq = max(before, participant.conversation.last_seq)
        participant.save(update_fields=["is_hidden", "is_pinned", "read_seq"])
        # Deleting marks read, so the peer's messages are read as far as it is told.
        if participant.read_seq > before:
            _schedule_peer_read(account, participant.conversation, before)
        send_event_on_commit(
            Event(
                "CONVERSATION_DELETED",
                ConversationDeleted(conversation_id),
                account_ids=frozenset({account.pk}),
                exclude_channel=origin_channel,
            )
        )
    return conversation_id


def check_pin_conversation(
    *, account: Account, conversation_id: str, is_pinned: bool, origin_channel: str | None = None
) -> str:
    """Pin a conversation of the account's list to its top, or unpin it, in a transaction
    of its own (an entry point). The account's other connections get the conversation
    (CONVERSATION_UPDATED, with its ``isPinned``); the peer or the group hears nothing.
    Returns the conversationID."""
    ref = access_conversation(account, conversation_id)
    with transaction.atomic():
        participant = _lock_listed_participant(account, ref)
        if participant.is_pinned != is_pinned:
            participant.is_pinned = is_pinned
            participant.save(update_fields=["is_pinned"])
            _schedule_conversation_update(account, participant.conversation, origin_channel)
    return conversation_id


def check_set_c2c_remind_type(
    *, account: Account, user_ids: list[str], remind_type: str
) -> RemindTypesSet:
    """setMessageRemindType's C2C form: how the messages of each peer named reach this
    account, in one transaction (an entry point). AcceptNotNotify delivers them as usual
    but asks for no attention: no badge, no notification, not in the total unread.

    A conversation not started yet is made (as a first message would make it), so a
    peer can be muted before writing. Unknown userIDs fail one by one (20003); every
    session of the account hears MESSAGE_REMIND_TYPE_UPDATED for each change.
    """
    if remind_type not in C2C_REMIND_TYPES:
        raise IMError(INVALID_PARAMS, f"a C2C messageRemindType is one of {list(C2C_REMIND_TYPES)}")
    if not 1 <= len(user_ids) <= MAX_REMIND_USERS:
        raise IMError(INVALID_PARAMS, f"userIDList must name 1-{MAX_REMIND_USERS} users")
    wanted = list(dict.fromkeys(user_ids))
    found = accounts_by_user_id(account.app, wanted)
    with transaction.atomic():
        # Conversations are locked in one order, whoever calls.
        for peer in sorted(found.values(), key=lambda a: a.pk):
            conversation = lock_c2c_conversation(account, peer)
            changed = (
                Participant.objects.filter(conversation=conversation, account=account)
                .exclude(message_remind_type=remind_type)
                .update(message_remind_type=remind_type)
            )
            if changed:
                send_event_on_commit(
                    Event(
                        "MESSAGE_REMIND_TYPE_UPDATED",
                        RemindTypeChanged(
                            group_id="", user_id=peer.user_id, remind_type=remind_type
                        ),
                        account_ids=frozenset({account.pk}),
                    )
                )
    return RemindTypesSet(
        succeeded=[u for u in wanted if u in found],
        failed=[
            (u, C2C_INVALID_RECEIVER, f"userID {u!r} does not exist in this app")
            for u in wanted
            if u not in found
        ],
    )


def find_c2c_message(
    *, account: Account, conversation_id: str, sender_user_id: str, seq: int, random: int
) -> Message:
    """A C2C message ``account`` sees, named as TIM's SDK names it: its sender, random and
    sequence (the sender's client sequence, or the conversation's for a message sent
    without one). 10030 if there is none."""
    ref = access_conversation(account, conversation_id)
    found = None
    if ref.conversation is not None:
        found = c2c_message_by_key(
            ref.conversation, sender_user_id=sender_user_id, seq=seq, random=random
        )
    if found is None:
        raise IMError(MESSAGE_NOT_FOUND, "no such message in this conversation")
    return found


def get_peer_read_times(*, account: Account, user_ids: list[str]) -> list[int]:
    """For each peer (at most ``MAX_REMIND_USERS``), when the newest message it has read
    in its C2C conversation with ``account`` was sent (epoch seconds; 0: none)."""
    if len(user_ids) > MAX_REMIND_USERS:
        raise IMError(INVALID_PARAMS, f"at most {MAX_REMIND_USERS} users at once")
    times = []
    for user_id in user_ids:
        ref = access_conversation(account, C2C_PREFIX + user_id)
        times.append(peer_read_time(ref.conversation, account) if ref.conversation else 0)
    return times


def find_group_message(*, account: Account, group_id: str, seq: int) -> Message:
    """The message numbered ``seq`` in a group ``account`` is a member of (TIM's socket
    names a group's messages by sequence). 10030 if there is none."""
    ref = access_conversation(account, GROUP_PREFIX + group_id)
    found = message_at_seq(ref.conversation, seq) if ref.conversation is not None else None
    if found is None:
        raise IMError(MESSAGE_NOT_FOUND, f"no message {seq} in this group")
    return found
