"""Sending and recalling messages: the rules (check_*) and the writes (do_*)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from im.errors import (
    C2C_REVOKE_TIME_LIMIT,
    GROUP_REVOKE_TIME_LIMIT,
    GROUP_TYPE_NO_REVOKE,
    INVALID_CONVERSATION,
    INVALID_PARAMS,
    MESSAGE_NOT_REVOCABLE,
    MESSAGE_TOO_LONG,
    NO_PERMISSION,
    SENDER_MUTED,
    IMError,
)
from im.events import send_event_on_commit, send_group_event_on_commit
from im.models import Account, App, Conversation, Group, GroupMember, Message, Participant
from im.selectors import (
    access_member,
    get_account,
    get_message,
    one_or_none,
    resolve_conversation,
)
from im.serializers import message_to_dict
from im.services.payloads import GROUP_SYSTEM_NOTICE, GROUP_TIP, MAX_BODY_BYTES, check_payload

MAX_RANDOM = 2**32 - 1
PRIORITIES = frozenset(Message.Priority.values)
PRIVILEGED_ROLES = frozenset({GroupMember.Role.OWNER, GroupMember.Role.ADMIN})


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


def check_draft(
    *,
    msg_type: str,
    payload: dict,
    random: int,
    client_time: int,
    client_seq: int = 0,
    priority: str = Message.Priority.NORMAL,
    cloud_custom_data: str = "",
) -> Draft:
    clean = check_payload(msg_type, payload)
    if priority not in PRIORITIES:
        raise IMError(INVALID_PARAMS, f"priority must be one of {sorted(PRIORITIES)}")
    if not 0 <= random <= MAX_RANDOM:
        raise IMError(INVALID_PARAMS, f"random must be 0-{MAX_RANDOM}")
    if client_time < 0 or client_seq < 0:
        raise IMError(INVALID_PARAMS, "clientTime and clientSequence must not be negative")
    if len(cloud_custom_data.encode()) > MAX_BODY_BYTES:
        raise IMError(MESSAGE_TOO_LONG, f"cloudCustomData is over {MAX_BODY_BYTES} bytes")
    return Draft(msg_type, clean, random, client_time, client_seq, priority, cloud_custom_data)


def check_can_speak(group: Group, member: GroupMember) -> None:
    if member.mute_until and member.mute_until > timezone.now():
        raise IMError(SENDER_MUTED, f"you are muted in this group until {member.mute_until:%c} UTC")
    if group.mute_all_members and member.role not in PRIVILEGED_ROLES:
        raise IMError(SENDER_MUTED, "all members of this group are muted")


def check_send_message(
    *,
    sender: Account,
    to: str,
    conversation_type: str,
    draft: Draft,
    origin_channel: str | None = None,
) -> Message:
    """Authorise a send from ``sender`` to ``to`` and store it (see ``do_send_message``)."""
    if conversation_type == Conversation.Kind.C2C:
        receiver = get_account(sender.app, to)
        return do_send_c2c_message(
            sender=sender, receiver=receiver, draft=draft, origin_channel=origin_channel
        )
    if conversation_type == Conversation.Kind.GROUP:
        group, member = access_member(sender, to)
        check_can_speak(group, member)
        return do_send_group_message(
            sender=sender, group=group, draft=draft, origin_channel=origin_channel
        )
    raise IMError(INVALID_CONVERSATION, f"conversationType {conversation_type!r} is not supported")


def _c2c_conversation_for_update(a: Account, b: Account) -> Conversation:
    """The pair's conversation, row-locked; created (with both participants) on first use."""
    low, high = sorted((a, b), key=lambda acc: acc.pk)
    pair = {"kind": Conversation.Kind.C2C, "account_low": low, "account_high": high}
    locked = one_or_none(Conversation.objects.select_for_update().filter(**pair))
    if locked is None:
        conversation, created = Conversation.objects.get_or_create(**pair, defaults={"app": a.app})
        if created:
            Participant.objects.bulk_create(
                [Participant(conversation=conversation, account=acc) for acc in {low, high}]
            )
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    locked.account_low, locked.account_high = low, high
    return locked


def _store(conversation: Conversation, sender: Account, draft: Draft) -> tuple[Message, bool]:
    """Store ``draft`` under the conversation's next sequence; the caller holds its row lock.

    A draft repeating a stored (sender, random, clientTime) returns the stored
    message and ``False``: a resend never makes a duplicate.
    """
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
        return stored, False
    now = timezone.now()
    seq = conversation.last_seq + 1
    change_seq = conversation.change_seq + 1
    message = Message.objects.create(
        conversation=conversation,
        seq=seq,
        sender=sender,
        type=draft.type,
        payload=draft.payload,
        created_at=now,
        random=draft.random,
        client_time=draft.client_time,
        client_seq=draft.client_seq,
        priority=draft.priority,
        cloud_custom_data=draft.cloud_custom_data,
        change_seq=change_seq,
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        last_seq=seq, change_seq=change_seq, last_message_at=now, last_message=message
    )
    conversation.last_seq, conversation.change_seq = seq, change_seq
    conversation.last_message_at = now
    # A deleted conversation comes back with its next message.
    Participant.objects.filter(conversation=conversation, is_hidden=True).update(is_hidden=False)
    return message, True


def do_send_c2c_message(
    *, sender: Account, receiver: Account, draft: Draft, origin_channel: str | None
) -> Message:
    """Store a C2C message and push it to both sides after commit.

    The receiver's connections and the sender's other connections get
    MESSAGE_RECEIVED; the sending connection has its answer.
    """
    with transaction.atomic():
        conversation = _c2c_conversation_for_update(sender, receiver)
        message, created = _store(conversation, sender, draft)
        if created:
            _push("MESSAGE_RECEIVED", message, origin_channel)
    return message


def do_send_group_message(
    *, sender: Account, group: Group, draft: Draft, origin_channel: str | None
) -> Message:
    """Store a group message once and push it to every member's connections after commit."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(group=group)
        conversation.group = group
        message, created = _store(conversation, sender, draft)
        if created:
            _push("MESSAGE_RECEIVED", message, origin_channel)
    return message


def _push(event: str, message: Message, origin_channel: str | None) -> None:
    """Push ``message`` to every connection that can see it, but the one that acted.

    A group message is one layer send and two encodings, whatever the group's size.
    """
    conversation = message.conversation
    sender = message.sender
    if conversation.kind == Conversation.Kind.GROUP:
        send_group_event_on_commit(
            event,
            group_pk=conversation.group_id,
            data_for_others=[message_to_dict(message, viewer=None)],
            data_for_author=[message_to_dict(message, viewer=sender)],
            author_id=sender.pk,
            exclude_channel=origin_channel,
        )
        return
    for account in {conversation.account_low, conversation.account_high}:
        send_event_on_commit(
            event,
            [message_to_dict(message, viewer=account)],
            [account.pk],
            exclude_channel=origin_channel,
        )


def check_revoke_message(
    *, account: Account, conversation_id: str, message_id: str, origin_channel: str | None = None
) -> Message:
    """Recall a message: your own, or any group message as the group's owner or an admin,
    within the app's revoke window."""
    ref = resolve_conversation(account, conversation_id)
    message = get_message(ref.conversation, message_id)
    may_revoke_others = False
    if ref.group is not None:
        if ref.group.type == Group.Type.AVCHATROOM:
            raise IMError(GROUP_TYPE_NO_REVOKE, "messages in an AVChatRoom cannot be recalled")
        may_revoke_others = ref.member is not None and ref.member.role in PRIVILEGED_ROLES
    if message.sender_id != account.pk and not may_revoke_others:
        raise IMError(NO_PERMISSION, "you may only recall your own messages")
    if message.is_revoked:
        raise IMError(MESSAGE_NOT_REVOCABLE, "this message has already been recalled")
    if message.type in (GROUP_TIP, GROUP_SYSTEM_NOTICE):
        raise IMError(MESSAGE_NOT_REVOCABLE, "tips and system notices cannot be recalled")
    age = (timezone.now() - message.created_at).total_seconds()
    # Read fresh: a connection's account object may predate a settings change.
    window = App.objects.values_list("revoke_window", flat=True).get(pk=account.app_id)
    if age > window:
        code = GROUP_REVOKE_TIME_LIMIT if ref.group is not None else C2C_REVOKE_TIME_LIMIT
        raise IMError(
            code, f"messages can be recalled for {window} s; this one is {int(age)} s old"
        )
    return do_revoke_message(message=message, revoker=account, origin_channel=origin_channel)


def do_revoke_message(*, message: Message, revoker: Account, origin_channel: str | None) -> Message:
    """Mark ``message`` recalled and push MESSAGE_REVOKED to everyone who can see it."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
        change_seq = conversation.change_seq + 1
        updated = Message.objects.filter(pk=message.pk, is_revoked=False).update(
            is_revoked=True, revoked_by=revoker, change_seq=change_seq
        )
        if not updated:  # a concurrent recall won
            raise IMError(MESSAGE_NOT_REVOCABLE, "this message has already been recalled")
        Conversation.objects.filter(pk=conversation.pk).update(change_seq=change_seq)
        message.is_revoked, message.revoked_by, message.change_seq = True, revoker, change_seq
        _push("MESSAGE_REVOKED", message, origin_channel)
    return message
