"""Sending and recalling messages: the rules (check_*) and the writes (do_*)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from im import hooks, media, sendsql
from im.errors import (
    C2C_REVOKE_TIME_LIMIT,
    GROUP_REVOKE_TIME_LIMIT,
    GROUP_TYPE_NO_REVOKE,
    INVALID_CONVERSATION,
    INVALID_PARAMS,
    MESSAGE_NOT_FOUND,
    MESSAGE_NOT_REVOCABLE,
    MESSAGE_TOO_LONG,
    IMError,
)
from im.events import Event, send_event_on_commit
from im.models import Account, App, Conversation, Group, Message, Participant
from im.permissions import (
    access_conversation,
    access_speaker,
    check_can_revoke,
    check_can_send_c2c,
    check_can_speak,
)
from im.selectors import get_account, get_message, group_conversation, message_select, one_or_none
from im.services import mentions, message_actions, uploads
from im.services.accounts import do_ensure_console_operator
from im.services.limits import check_group_rate, check_message_size, check_send_rate
from im.services.mentions import Mentions
from im.services.payloads import (
    GROUP_SYSTEM_NOTICE,
    GROUP_TIP,
    MAX_BODY_BYTES,
    TEXT,
    check_external_media,
    check_payload,
)
from im.transactions import atomic_or_isolated, in_callers_transaction

MAX_RANDOM = 2**32 - 1
PRIORITIES = frozenset(Message.Priority.values)


@dataclass(frozen=True)
class Draft:
    """A validated message, before it has a conversation and a sequence."""

    type: str
    payload: dict
    random: int
    client_time: int
    client_seq: int
    priority: str
    cloud_custom_data: str
    # Checked for shape only; who it names is checked against the group at the send.
    at_user_list: tuple[str, ...] = ()


def service_draft(msg_type: str, payload: dict) -> Draft:
    """A message the server writes (a tip, a notice): never resent, so a fresh random
    and time keep it apart from every other."""
    return Draft(
        type=msg_type,
        payload=payload,
        random=secrets.randbelow(MAX_RANDOM + 1),
        client_time=int(timezone.now().timestamp()),
        client_seq=0,
        priority=Message.Priority.NORMAL,
        cloud_custom_data="",
    )


def check_draft(
    *,
    msg_type: str,
    payload: dict,
    at_user_list: object = None,
    by_back_end: bool = False,
    **envelope: Any,
) -> Draft:
    """A message to send: its content checked (``payloads.check_payload``), its
    @mentions' shape (``mentions.check_at_user_list``) and the rest as
    ``check_envelope`` takes it. ``by_back_end`` (the REST API only): an image or file
    is one the app's back end hosts, named by URL (``payloads.check_external_media``);
    a client's names its uploads."""
    if by_back_end and msg_type in media.EXTERNAL_TYPES:
        clean = check_external_media(msg_type, payload)
    else:
        clean = check_payload(msg_type, payload)
    at = mentions.check_at_user_list(at_user_list, msg_type=msg_type)
    return replace(check_envelope(**envelope), type=msg_type, payload=clean, at_user_list=at)


def check_envelope(
    *,
    random: int,
    client_time: int,
    client_seq: int = 0,
    priority: str = Message.Priority.NORMAL,
    cloud_custom_data: str = "",
) -> Draft:
    """A draft's fields but its content (type and payload empty): what a forward
    takes from the client, the content coming from the message forwarded."""
    if priority not in PRIORITIES:
        raise IMError(INVALID_PARAMS, f"priority must be one of {sorted(PRIORITIES)}")
    if not 0 <= random <= MAX_RANDOM:
        raise IMError(INVALID_PARAMS, f"random must be 0-{MAX_RANDOM}")
    if client_time < 0 or client_seq < 0:
        raise IMError(INVALID_PARAMS, "clientTime and clientSequence must not be negative")
    if len(cloud_custom_data.encode()) > MAX_BODY_BYTES:
        raise IMError(MESSAGE_TOO_LONG, f"cloudCustomData is over {MAX_BODY_BYTES} bytes")
    return Draft("", {}, random, client_time, client_seq, priority, cloud_custom_data)


def check_send_message(
    *,
    sender: Account,
    to: str,
    conversation_type: str,
    draft: Draft,
    origin_channel: str | None = None,
    limit_rate: bool = True,
    online_only: bool = False,
    sync_to_sender: bool = True,
) -> Message:
    """Authorise a send from ``sender`` to ``to`` and store it, in one transaction of its
    own (an entry point). A resend returns the message stored the first time.
    ``online_only`` (TIM's ``onlineUserOnly``): checked the same, but only pushed
    (``check_send_online_only``).

    A media message names the sender's finished uploads; what it stores about them
    comes from the uploads, not from the client. Every attempt takes one of the
    sender's send-rate tokens (``limits``), a resend too: it is a frame to answer;
    ``limit_rate`` False is the app's back end sending for the account (the REST API,
    limited per command instead). A group message also takes a place in the group's
    messages of this second, whoever sends it (``limits.check_group_rate``).
    ``sync_to_sender`` False (TIM's SyncOtherMachine 2, C2C only): the message is the
    receiver's alone, hidden from the sender (``do_send_message``)."""
    if limit_rate:
        check_send_rate(sender)
    if online_only:
        check_message_size(sender.app, draft.payload, draft.cloud_custom_data)
        return check_send_online_only(
            sender=sender,
            to=to,
            conversation_type=conversation_type,
            draft=draft,
            origin_channel=origin_channel,
        )
    return _send(
        sender=sender,
        to=to,
        conversation_type=conversation_type,
        draft=draft,
        origin_channel=origin_channel,
        sync_to_sender=sync_to_sender,
    )


def check_forward_message(
    *,
    sender: Account,
    to: str,
    conversation_type: str,
    draft: Draft,
    forward_conversation_id: str,
    forward_message_id: str,
    origin_channel: str | None = None,
) -> Message:
    """Send a copy of a message ``sender`` sees (``message_actions.check_forward_source``)
    to ``to``, as ``check_send_message`` sends; ``draft`` gives the client's random,
    time and cloudCustomData, the original its type and payload. A media message
    shares the original's files, whoever uploaded them."""
    check_send_rate(sender)
    forwarded = message_actions.check_forward_source(
        sender=sender, conversation_id=forward_conversation_id, message_id=forward_message_id
    )
    return _send(
        sender=sender,
        to=to,
        conversation_type=conversation_type,
        draft=message_actions.forwarded_draft(draft, forwarded),
        origin_channel=origin_channel,
        forwarded=True,
    )


def _send(
    *,
    sender: Account,
    to: str,
    conversation_type: str,
    draft: Draft,
    origin_channel: str | None,
    forwarded: bool = False,
    sync_to_sender: bool = True,
) -> Message:
    check_message_size(sender.app, draft.payload, draft.cloud_custom_data)
    prefix = {Conversation.Kind.C2C: "C2C", Conversation.Kind.GROUP: "GROUP"}
    if conversation_type in prefix:
        message_actions.check_reply(
            sender=sender,
            conversation_id=prefix[conversation_type] + to,
            cloud_custom_data=draft.cloud_custom_data,
        )
    # External media (the back end's, checked whole by check_draft) names no upload.
    if (
        draft.type in media.MEDIA_TYPES
        and not forwarded
        and not media.is_external(draft.type, draft.payload)
    ):
        draft = replace(draft, payload=uploads.check_media_draft(sender, draft.type, draft.payload))
    attach = message_actions.do_carry_forwarded_uploads if forwarded else uploads.do_attach_uploads
    if conversation_type == Conversation.Kind.C2C:
        mentions.check_not_in_c2c(draft.at_user_list)
        receiver = get_account(sender.app, to)
        if hooks.is_enabled(sender.app, hooks.C2C_BEFORE_SEND):
            check_can_send_c2c(sender, receiver)  # the back end is asked about sends only
            draft = _as_the_back_end_says(
                draft, hooks.Sending(sender=sender, draft=draft, receiver=receiver)
            )
        # No savepoint of its own in a group commit's call (``atomic_or_isolated``):
        # a refusal raised out of it is undone by the call's.
        with atomic_or_isolated():
            conversation, blocked = lock_c2c_for_sending(sender, receiver)
            try:
                check_can_send_c2c(sender, receiver, blocked=blocked)
            except IMError:
                # A resend of what was stored before the block was delivered then: it
                # gets its answer (the refusal wrote nothing and is no database error,
                # so the block goes on without a savepoint). Anything new is refused,
                # and the rollback leaves no row behind (not even a first
                # conversation's).
                resent = stored_resend(conversation, sender, draft)
                if resent is None:
                    raise
                return resent
            message = do_send_message(
                conversation=conversation,
                sender=sender,
                draft=draft,
                origin_channel=origin_channel,
                after_send=hooks.C2C_AFTER_SEND,
                # Sent to oneself, it is the receiver's too: there is no one to hide it from.
                hide_from_sender=not sync_to_sender and receiver.pk != sender.pk,
            )
            attach(message)
            return message
    if conversation_type == Conversation.Kind.GROUP:
        group, member = access_speaker(sender, to)
        check_can_speak(group, member)
        named = mentions.check_mentions(group, member, draft.at_user_list)
        try:
            check_group_rate(sender.app, group, draft.priority)
        except IMError:
            # A resend of what was stored gets its answer, however busy the group.
            conversation = group_conversation(group)
            resent = conversation and stored_resend(conversation, sender, draft)
            if resent is None:
                raise
            return resent
        if hooks.is_enabled(sender.app, hooks.GROUP_BEFORE_SEND):
            draft = _as_the_back_end_says(
                draft, hooks.Sending(sender=sender, draft=draft, group=group)
            )
        with atomic_or_isolated():  # as the C2C block's
            conversation = lock_group_conversation(group)
            message = do_send_message(
                conversation=conversation,
                sender=sender,
                draft=draft,
                origin_channel=origin_channel,
                after_send=hooks.GROUP_AFTER_SEND,
                named=named,
            )
            # Read by the push, encoded on commit: the name card is the sender's now.
            message.sender_name_card = member.name_card
            attach(message)
            return message
    raise IMError(INVALID_CONVERSATION, f"conversationType {conversation_type!r} is not supported")


def check_send_online_only(
    *,
    sender: Account,
    to: str,
    conversation_type: str,
    draft: Draft,
    origin_channel: str | None,
) -> Message:
    """An ``onlineUserOnly`` message (a typing indicator): authorised as any send, then
    pushed to the connections online now and never stored. Nothing is written, so it
    is in no history, catch-up, unread count or lastMessage, and a receiver offline now
    never gets it. In C2C it goes to the receiver only (not the sender's other
    connections: TIM does not sync such messages); in a group, to the members online,
    as a group push does. It names no upload: an unstored message cannot keep one."""
    if draft.type in media.MEDIA_TYPES:
        raise IMError(INVALID_PARAMS, "an onlineUserOnly message cannot carry a file")
    if conversation_type == Conversation.Kind.C2C:
        receiver = get_account(sender.app, to)
        check_can_send_c2c(sender, receiver)
        if hooks.is_enabled(sender.app, hooks.C2C_BEFORE_SEND):
            sending = hooks.Sending(sender=sender, draft=draft, receiver=receiver, online_only=True)
            draft = _as_the_back_end_says(draft, sending)
        low, high = sorted((sender, receiver), key=lambda acc: acc.pk)
        conversation = Conversation(
            app=sender.app, kind=Conversation.Kind.C2C, account_low=low, account_high=high
        )
        recipients: dict[str, Any] = {
            "account_ids": frozenset({receiver.pk}),
            "author_id": sender.pk,
        }
    elif conversation_type == Conversation.Kind.GROUP:
        group, member = access_speaker(sender, to)
        check_can_speak(group, member)
        check_group_rate(sender.app, group, draft.priority)
        if hooks.is_enabled(sender.app, hooks.GROUP_BEFORE_SEND):
            sending = hooks.Sending(sender=sender, draft=draft, group=group, online_only=True)
            draft = _as_the_back_end_says(draft, sending)
        conversation = Conversation(app=sender.app, kind=Conversation.Kind.GROUP, group=group)
        recipients = {"group_pk": group.pk, "author_id": sender.pk}
    else:
        raise IMError(
            INVALID_CONVERSATION, f"conversationType {conversation_type!r} is not supported"
        )
    message = message_row(
        conversation, sender, draft, seq=0, change_seq=0, created_at=timezone.now()
    )
    message.is_online_only = True
    if conversation_type == Conversation.Kind.GROUP:
        message.sender_name_card = member.name_card
    with atomic_or_isolated():  # no write: the push leaves as any other, on commit
        send_event_on_commit(
            Event("MESSAGE_RECEIVED", message, exclude_channel=origin_channel, **recipients)
        )
    return message


@in_callers_transaction
def lock_c2c_conversation(a: Account, b: Account) -> Conversation:
    """The pair's conversation, row-locked; created (with both participants) on first use."""
    low, high = sorted((a, b), key=lambda acc: acc.pk)
    locked = sendsql.lock_c2c(low.pk, high.pk)
    if locked is None:
        pair = {"kind": Conversation.Kind.C2C, "account_low": low, "account_high": high}
        conversation, created = Conversation.objects.get_or_create(**pair, defaults={"app": a.app})
        if created:
            Participant.objects.bulk_create(
                [Participant(conversation=conversation, account=acc) for acc in {low, high}]
            )
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    locked.account_low, locked.account_high = low, high
    return locked


@in_callers_transaction
def lock_c2c_for_sending(sender: Account, receiver: Account) -> tuple[Conversation, bool | None]:
    """``lock_c2c_conversation``, and whether the receiver's blacklist holds the sender,
    read by the same statement when the pair has a conversation (every send but the
    first: one round trip fewer; None for the first, unread)."""
    low, high = sorted((sender, receiver), key=lambda acc: acc.pk)
    found = sendsql.lock_c2c_and_test_block(
        low.pk, high.pk, owner_pk=receiver.pk, blocked_pk=sender.pk
    )
    if found is None:
        return lock_c2c_conversation(sender, receiver), None
    locked, blocked = found
    locked.account_low, locked.account_high = low, high
    return locked, blocked


@in_callers_transaction
def lock_group_conversation(group: Group) -> Conversation:
    """The group's conversation, row-locked, with the group attached."""
    conversation = Conversation.objects.select_for_update().get(group=group)
    conversation.group = group
    return conversation


@in_callers_transaction
def do_store_message(
    *, conversation: Conversation, sender: Account, draft: Draft
) -> tuple[Message, bool]:
    """Store ``draft`` under the conversation's next sequence; the caller holds the
    conversation's row lock (``lock_*_conversation``) in its transaction.

    A draft repeating a stored (sender, random, clientTime) returns the stored
    message and ``False``: a resend never makes a duplicate. In an AVChatRoom the
    message is numbered but not stored.
    """
    if _is_live_room(conversation):
        return _numbered_unstored(conversation, sender, draft), True
    now = timezone.now()
    seq = conversation.last_seq + 1
    change_seq = conversation.change_seq + 1
    message = message_row(
        conversation, sender, draft, seq=seq, change_seq=change_seq, created_at=now
    )
    # One insert that stores nothing for a resend (its client key is taken), so the
    # common case, a new message, needs no lookup first.
    if not sendsql.insert_numbered(message):
        stored = stored_resend(conversation, sender, draft)
        if stored is None:  # the key's holder vanished meanwhile: cannot be, under the lock
            raise RuntimeError("a message's client key is taken by no message")
        return stored, False
    conversation.last_seq, conversation.change_seq = seq, change_seq
    conversation.last_message_at = now
    conversation.last_message_id = message.pk
    return message, True


def stored_resend(conversation: Conversation, sender: Account, draft: Draft) -> Message | None:
    """The message ``draft`` repeats, if ``sender`` stored it before (its random and
    clientTime are the client's key for it)."""
    stored = one_or_none(
        Message.objects.filter(
            conversation=conversation,
            sender=sender,
            random=draft.random,
            client_time=draft.client_time,
        )
    )
    if stored is not None:
        stored.conversation, stored.sender = conversation, sender
    return stored


def _is_live_room(conversation: Conversation) -> bool:
    return (
        conversation.kind == Conversation.Kind.GROUP
        and conversation.group.type == Group.Type.AVCHATROOM
    )


def _numbered_unstored(conversation: Conversation, sender: Account, draft: Draft) -> Message:
    """An AVChatRoom message: numbered, pushed to the members online, never stored (no
    history, nothing unread, no catch-up: its change number stays 0)."""
    seq = conversation.last_seq + 1
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=seq)
    conversation.last_seq = seq
    return message_row(
        conversation, sender, draft, seq=seq, change_seq=0, created_at=timezone.now()
    )


def message_row(
    conversation: Conversation,
    sender: Account,
    draft: Draft,
    *,
    seq: int,
    change_seq: int,
    created_at: datetime,
) -> Message:
    """``draft`` as an unsaved Message, numbered ``seq`` in ``conversation``."""
    return Message(
        conversation=conversation,
        seq=seq,
        sender=sender,
        type=draft.type,
        payload=draft.payload,
        created_at=created_at,
        random=draft.random,
        client_time=draft.client_time,
        client_seq=draft.client_seq,
        priority=draft.priority,
        cloud_custom_data=draft.cloud_custom_data,
        change_seq=change_seq,
        at_user_list=list(draft.at_user_list),
    )


@in_callers_transaction
def do_send_message(
    *,
    conversation: Conversation,
    sender: Account,
    draft: Draft,
    origin_channel: str | None,
    after_send: str | None = None,
    named: Mentions = mentions.NONE,
    hide_from_sender: bool = False,
) -> Message:
    """Store a message (once, however many group members) and schedule MESSAGE_RECEIVED
    for everyone who can see it: both sides of a C2C conversation, every member of a
    group. The sending connection (``origin_channel``) has its answer instead.
    ``after_send`` names the app back end's after-callback for a member's message (not
    for a resend, nor for tips).
    ``named`` (``mentions.check_mentions``) is stored with a new message.
    ``hide_from_sender`` (a C2C message the back end sends with SyncOtherMachine 2): a
    new message is deleted for its sender at once (``message_actions.do_hide_from_sender``)
    and pushed to the receiver only."""
    message, created = do_store_message(conversation=conversation, sender=sender, draft=draft)
    if created:
        mentions.do_store_mentions(message, named)
        recipients = message_recipients(message)
        if hide_from_sender:
            message_actions.do_hide_from_sender(message)
            recipients["account_ids"] = recipients["account_ids"] - {sender.pk}
        send_event_on_commit(
            Event("MESSAGE_RECEIVED", message, exclude_channel=origin_channel, **recipients)
        )
        if after_send:
            hooks.tell_on_commit(sender.app, after_send, hooks.Sent(message))
    return message


def _as_the_back_end_says(draft: Draft, sending: hooks.Sending) -> Draft:
    """Ask the app's back end before a send (``im.hooks.ask``: a refusal raises); the
    draft it sends back in place of this one, if it replaced the body with one Hutong
    can store, else this one."""
    command = hooks.GROUP_BEFORE_SEND if sending.group is not None else hooks.C2C_BEFORE_SEND
    replacement = hooks.ask(sending.sender.app, command, sending)
    if replacement is None:
        return draft
    msg_type, payload, cloud_custom_data = replacement
    try:
        changed = check_draft(
            msg_type=msg_type,
            payload=payload,
            random=draft.random,
            client_time=draft.client_time,
            client_seq=draft.client_seq,
            priority=draft.priority,
            cloud_custom_data=draft.cloud_custom_data
            if cloud_custom_data is None
            else cloud_custom_data,
            # The mentions stay with a text that is still a text.
            at_user_list=list(draft.at_user_list) if msg_type == draft.type == TEXT else None,
        )
        check_message_size(sending.sender.app, changed.payload, changed.cloud_custom_data)
    except IMError:
        return draft  # the back end's version cannot be stored: the sender's goes
    return changed


def message_recipients(message: Message) -> dict[str, Any]:
    """Who can see ``message``: the ``Event`` recipient fields."""
    conversation = message.conversation
    if conversation.kind == Conversation.Kind.GROUP:
        return {"group_pk": conversation.group_id, "author_id": message.sender_id}
    if conversation.kind == Conversation.Kind.SYSTEM:
        return {"account_ids": frozenset({conversation.account_low_id})}
    return {
        "account_ids": frozenset({conversation.account_low_id, conversation.account_high_id}),
        "author_id": message.sender_id,
    }


def schedule_message_event(event: str, message: Message, origin_channel: str | None) -> None:
    """Tell everyone who can see ``message`` of it after commit, but the connection that
    acted. A group message is one layer send, whatever the group's size."""
    send_event_on_commit(
        Event(event, message, exclude_channel=origin_channel, **message_recipients(message))
    )


def check_revoke_message(
    *, account: Account, conversation_id: str, message_id: str, origin_channel: str | None = None
) -> Message:
    """Recall a message (see ``permissions.check_can_revoke``) within the app's revoke
    window, in a transaction of its own (an entry point)."""
    ref = access_conversation(account, conversation_id)
    if ref.group is not None and ref.group.type == Group.Type.AVCHATROOM:
        # Checked before the lookup: an AVChatRoom stores no message to find.
        raise IMError(GROUP_TYPE_NO_REVOKE, "messages in an AVChatRoom cannot be recalled")
    message = get_message(ref.conversation, message_id)
    check_can_revoke(account, ref, message)
    check_recallable(message)
    age = (timezone.now() - message.created_at).total_seconds()
    # Read fresh: a connection's account object may predate a settings change.
    window = App.objects.values_list("revoke_window", flat=True).get(pk=account.app_id)
    if age > window:
        code = GROUP_REVOKE_TIME_LIMIT if ref.group is not None else C2C_REVOKE_TIME_LIMIT
        raise IMError(
            code, f"messages can be recalled for {window} s; this one is {int(age)} s old"
        )
    with transaction.atomic():
        return do_revoke_message(message=message, revoker=account, origin_channel=origin_channel)


def check_recallable(message: Message) -> None:
    """What nobody recalls, a member or the operator: a recalled message again, and the
    server's own tips and system notices (TIM recalls only what a member sent)."""
    if message.is_revoked:
        raise IMError(MESSAGE_NOT_REVOCABLE, "this message has already been recalled")
    if message.type in (GROUP_TIP, GROUP_SYSTEM_NOTICE):
        raise IMError(MESSAGE_NOT_REVOCABLE, "tips and system notices cannot be recalled")


def check_revoke_as_operator(*, message_pk: int, operator: Account | None = None) -> Message:
    """Recall a stored message as the console's operator (TIM's app administrator,
    ``accounts.do_ensure_console_operator``), in a transaction of its own (an entry
    point). No revoke window: TIM's console and REST API recall at any age. Everyone
    who can see the message hears ``MESSAGE_REVOKED`` with the operator (the REST
    request's administrator, else the console's) as revoker, as for a member's recall.
    (AVChatRoom messages are never stored, so none is found.)"""
    messages = message_select(Message.objects.filter(pk=message_pk))
    message = one_or_none(messages.select_related("conversation__app"))
    if message is None:
        raise IMError(MESSAGE_NOT_FOUND, f"message #{message_pk} not found")
    check_recallable(message)
    if operator is None:
        operator = do_ensure_console_operator(message.conversation.app)
    with transaction.atomic():
        return do_revoke_message(message=message, revoker=operator, origin_channel=None)


@in_callers_transaction
def do_revoke_message(*, message: Message, revoker: Account, origin_channel: str | None) -> Message:
    """Mark ``message`` recalled and schedule MESSAGE_REVOKED for everyone who can see it."""
    conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
    change_seq = conversation.change_seq + 1
    updated = Message.objects.filter(pk=message.pk, is_revoked=False).update(
        is_revoked=True, revoked_by=revoker, change_seq=change_seq
    )
    if not updated:  # a concurrent recall won
        raise IMError(MESSAGE_NOT_REVOCABLE, "this message has already been recalled")
    Conversation.objects.filter(pk=conversation.pk).update(change_seq=change_seq)
    message.is_revoked, message.revoked_by, message.change_seq = True, revoker, change_seq
    schedule_message_event("MESSAGE_REVOKED", message, origin_channel)
    return message
