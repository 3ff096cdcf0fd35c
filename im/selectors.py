"""Reads. Adapters and services fetch through these, never with ad-hoc queries.

Selectors only read; who may read what is decided in ``im.permissions``.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from im.errors import (
    C2C_INVALID_RECEIVER,
    MESSAGE_NOT_FOUND,
    SDKAPPID_NOT_FOUND,
    IMError,
)
from im.models import (
    Account,
    App,
    BlacklistEntry,
    Conversation,
    DeletedMessage,
    Group,
    GroupApplication,
    GroupMember,
    Message,
    Participant,
)

M = TypeVar("M")

CONVERSATION_LIST_SIZE = 100


def one_or_none(queryset: QuerySet[M]) -> M | None:
    """The row of a lookup by a unique key, or None. Unlike ``first()`` it adds no
    ORDER BY, whose compilation costs more than the query on a hot path."""
    rows = list(queryset[:1])
    return rows[0] if rows else None


def get_app(sdkappid: int) -> App:
    try:
        return App.objects.get(sdkappid=sdkappid)
    except App.DoesNotExist:
        raise IMError(SDKAPPID_NOT_FOUND, f"no app with SDKAppID {sdkappid}") from None


def find_account(app: App, user_id: str) -> Account | None:
    return one_or_none(Account.objects.filter(app=app, user_id=user_id))


def get_account(app: App, user_id: str) -> Account:
    account = find_account(app, user_id)
    if account is None:
        raise IMError(C2C_INVALID_RECEIVER, f"userID {user_id!r} does not exist in this app")
    return account


def accounts_by_user_id(app: App, user_ids: list[str]) -> dict[str, Account]:
    return {a.user_id: a for a in Account.objects.filter(app=app, user_id__in=user_ids)}


def blacklisted_user_ids(owner: Account) -> tuple[str, ...]:
    """``owner``'s blacklist as userIDs, oldest entry first."""
    entries = BlacklistEntry.objects.filter(owner=owner).order_by("created_at", "pk")
    return tuple(entries.values_list("blocked__user_id", flat=True))


def is_blacklisted(*, owner: Account, account: Account) -> bool:
    return BlacklistEntry.objects.filter(owner=owner, blocked=account).exists()


def member_group_pks(account: Account) -> list[int]:
    """The groups whose pushes the account's sessions hear: all it is in but those it
    set to Discard."""
    memberships = GroupMember.objects.filter(account=account).exclude(
        message_remind_type=GroupMember.RemindType.DISCARD
    )
    return list(memberships.values_list("group_id", flat=True))


def joined_groups(account: Account) -> list[GroupMember]:
    """The account's memberships, oldest first, each with ``member_count`` of its group."""
    return list(
        GroupMember.objects.filter(account=account)
        .select_related("group__owner", "account")
        .annotate(member_count=Count("group__members"))
        .order_by("joined_at", "pk")
    )


def group_member_count(group: Group) -> int:
    return GroupMember.objects.filter(group=group).count()


def c2c_conversation(a: Account, b: Account) -> Conversation | None:
    """The pair's conversation, with both accounts attached (no join: we have them)."""
    low, high = sorted((a, b), key=lambda account: account.pk)
    conversation = one_or_none(
        Conversation.objects.filter(
            kind=Conversation.Kind.C2C, account_low_id=low.pk, account_high_id=high.pk
        )
    )
    if conversation is not None:
        conversation.account_low, conversation.account_high = low, high
    return conversation


def system_conversation(account: Account) -> Conversation | None:
    """The account's ``@TIM#SYSTEM`` conversation (its group notices), with it attached."""
    conversation = one_or_none(
        Conversation.objects.filter(kind=Conversation.Kind.SYSTEM, account_low_id=account.pk)
    )
    if conversation is not None:
        conversation.account_low = account
    return conversation


def members_in_order(queryset: QuerySet[GroupMember]) -> QuerySet[GroupMember]:
    """Members as lists show them: the owner first, then admins, then by join time."""
    role_order = Case(
        When(role=GroupMember.Role.OWNER, then=Value(0)),
        When(role=GroupMember.Role.ADMIN, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return queryset.select_related("account").order_by(role_order, "joined_at", "pk")


def group_members(group: Group, *, offset: int, limit: int) -> list[GroupMember]:
    """A page of members, in ``members_in_order``'s order."""
    queryset = members_in_order(GroupMember.objects.filter(group=group))
    return list(queryset[offset : offset + limit])


def members_by_user_id(group: Group, user_ids: list[str]) -> dict[str, GroupMember]:
    members = GroupMember.objects.filter(group=group, account__user_id__in=user_ids)
    return {m.account.user_id: m for m in members.select_related("account")}


def member_account_ids(group: Group) -> list[int]:
    return list(GroupMember.objects.filter(group=group).values_list("account_id", flat=True))


def groups_with_activity(groups: QuerySet[Group]) -> QuerySet[Group]:
    """Groups with ``member_count`` and ``last_message_at`` (of their conversation) in
    the same query, for lists of many groups."""
    return groups.select_related("app", "owner").annotate(
        member_count=Count("members"), last_message_at=F("conversation__last_message_at")
    )


def group_member_accounts(group: Group) -> list[Account]:
    """Every member's account: whom a notice to the whole group reaches."""
    members = GroupMember.objects.filter(group=group).select_related("account")
    return [m.account for m in members]


def group_managers(group: Group) -> list[Account]:
    """The owner and admins: who handles join applications."""
    roles = (GroupMember.Role.OWNER, GroupMember.Role.ADMIN)
    members = GroupMember.objects.filter(group=group, role__in=roles).select_related("account")
    return [m.account for m in members]


def pending_applications(account: Account) -> list[GroupApplication]:
    """Applications to the groups ``account`` owns or administers, oldest first."""
    managed = GroupMember.objects.filter(
        account=account, role__in=(GroupMember.Role.OWNER, GroupMember.Role.ADMIN)
    ).values("group_id")
    return list(
        GroupApplication.objects.filter(group_id__in=managed)
        .select_related("group", "applicant")
        .order_by("created_at", "pk")
    )


def group_conversation(group: Group) -> Conversation | None:
    """The group's conversation, with the group attached."""
    conversation = one_or_none(Conversation.objects.filter(group=group))
    if conversation is not None:
        conversation.group = group
    return conversation


def profiles_by_user_id(app_pk: int, user_ids: list[str]) -> dict[str, Account]:
    accounts = Account.objects.filter(app_id=app_pk, user_id__in=user_ids)
    return {a.user_id: a for a in accounts}


def profile_audience(account: Account) -> frozenset[int]:
    """Who sees ``account``'s nick and avatar, in one query: itself, its C2C peers with a
    stored conversation, and the members of its groups but AVChatRooms (broadcast
    rooms of any size, whose members TIM does not tell of each other's profiles)."""
    as_low = Conversation.objects.filter(kind=Conversation.Kind.C2C, account_low=account)
    as_high = Conversation.objects.filter(kind=Conversation.Kind.C2C, account_high=account)
    shared = GroupMember.objects.filter(
        group__in=GroupMember.objects.filter(account=account)
        .exclude(group__type=Group.Type.AVCHATROOM)
        .values("group_id")
    )
    ids = as_low.values_list("account_high_id", flat=True).union(
        as_high.values_list("account_low_id", flat=True),
        shared.values_list("account_id", flat=True),
    )
    return frozenset({account.pk, *ids})


def attach_name_cards(group_pk: int, messages: list[Message]) -> None:
    """Give each of a group's messages its sender's current name card, in one query."""
    senders = {m.sender_id for m in messages}
    if not senders:
        return
    cards = dict(
        GroupMember.objects.filter(group_id=group_pk, account_id__in=senders)
        .exclude(name_card="")
        .values_list("account_id", "name_card")
    )
    for message in messages:
        message.sender_name_card = cards.get(message.sender_id, "")


def message_select(queryset: QuerySet[Message]) -> QuerySet[Message]:
    """What serialising a message needs, in one query."""
    return queryset.select_related(
        "sender",
        "revoked_by",
        "conversation__account_low",
        "conversation__account_high",
        "conversation__group",
    )


def parse_message_id(message_id: object) -> tuple[int, int, int]:
    """A message ID is ``<senderTinyID>-<clientTime>-<random>``, each part a number
    that fits the 64-bit column it is looked up in."""
    if isinstance(message_id, str) and len(message_id) <= 3 * 19 + 2:
        parts = message_id.split("-")
        if len(parts) == 3 and all(p.isascii() and p.isdigit() and len(p) <= 19 for p in parts):
            sender_id, client_time, random = (int(p) for p in parts)
            if max(sender_id, client_time, random) < 2**63:
                return sender_id, client_time, random
    raise IMError(MESSAGE_NOT_FOUND, f"invalid message ID {message_id!r}")


def get_message(conversation: Conversation | None, message_id: object) -> Message:
    sender_id, client_time, random = parse_message_id(message_id)
    message = None
    if conversation is not None:
        message = one_or_none(
            message_select(Message.objects.filter(conversation=conversation)).filter(
                sender_id=sender_id, client_time=client_time, random=random
            )
        )
    if message is None:
        raise IMError(MESSAGE_NOT_FOUND, f"message {message_id!r} not found")
    if conversation.kind == Conversation.Kind.GROUP:
        attach_name_cards(conversation.group_id, [message])
    return message


def _in_conversation(conversation: Conversation, queryset: QuerySet[Message]) -> list[Message]:
    """Run a page query and attach the already-loaded conversation to each message,
    so the page costs one simple query (no join through conversation and accounts).

    A C2C conversation's messages are sent and recalled by its two accounts, which the
    conversation already holds, so they are attached instead of joined.
    """
    if conversation.kind != Conversation.Kind.C2C:
        queryset = queryset.select_related("sender", "revoked_by")
    messages = list(queryset)
    pair = {}
    if conversation.kind == Conversation.Kind.C2C:
        pair = {a.pk: a for a in (conversation.account_low, conversation.account_high)}
    if conversation.kind == Conversation.Kind.GROUP:
        attach_name_cards(conversation.group_id, messages)
    for message in messages:
        message.conversation = conversation
        if pair:
            if message.sender_id in pair:
                message.sender = pair[message.sender_id]
            if message.revoked_by_id in pair:
                message.revoked_by = pair[message.revoked_by_id]
    return messages


def message_seq(conversation: Conversation, message_id: object) -> int:
    """The sequence number of a message given by ID (a history cursor)."""
    sender_id, client_time, random = parse_message_id(message_id)
    seq = one_or_none(
        Message.objects.filter(
            conversation=conversation, sender_id=sender_id, client_time=client_time, random=random
        ).values_list("seq", flat=True)
    )
    if seq is None:
        raise IMError(MESSAGE_NOT_FOUND, f"message {message_id!r} not found")
    return seq


def deleted_by(account: Account) -> QuerySet[DeletedMessage]:
    """The pks of the messages ``account`` deleted for itself, as a subquery."""
    return DeletedMessage.objects.filter(account=account).values("message_id")


def visible_messages(conversation: Conversation, viewer: Account | None) -> QuerySet[Message]:
    """The conversation's messages but those ``viewer`` deleted for itself."""
    queryset = Message.objects.filter(conversation=conversation)
    if viewer is not None:
        queryset = queryset.exclude(pk__in=deleted_by(viewer))
    return queryset


def messages_before(
    conversation: Conversation,
    *,
    before_seq: int | None,
    limit: int,
    after_seq: int = 0,
    viewer: Account | None = None,
) -> list[Message]:
    """Up to ``limit`` messages older than ``before_seq`` and newer than ``after_seq``
    (newest first), but those ``viewer`` deleted; keyset, no OFFSET.

    ``conversation`` must come with what serialising needs (see permissions.access_conversation).
    """
    queryset = visible_messages(conversation, viewer)
    if before_seq is not None:
        queryset = queryset.filter(seq__lt=before_seq)
    if after_seq:
        queryset = queryset.filter(seq__gt=after_seq)
    return _in_conversation(conversation, queryset.order_by("-seq")[:limit])


def messages_changed_after(
    conversation: Conversation,
    *,
    after_change_seq: int,
    limit: int,
    after_seq: int = 0,
    viewer: Account | None = None,
) -> list[Message]:
    """Messages created or recalled after ``after_change_seq`` (and numbered after
    ``after_seq``), in change order, but those ``viewer`` deleted."""
    queryset = visible_messages(conversation, viewer).filter(change_seq__gt=after_change_seq)
    if after_seq:
        queryset = queryset.filter(seq__gt=after_seq)
    return _in_conversation(conversation, queryset.order_by("change_seq")[:limit])


def _unread_subquery(account: Account) -> Coalesce:
    unread = (
        Message.objects.filter(conversation=OuterRef("conversation"), seq__gt=OuterRef("read_seq"))
        .exclude(sender=account)
        .exclude(pk__in=deleted_by(account))
        .order_by()
        .values("conversation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(unread, output_field=IntegerField()), Value(0))


def _remind_subquery(account: Account) -> Coalesce:
    """The account's messageRemindType in a group conversation ("" elsewhere)."""
    remind = GroupMember.objects.filter(
        group=OuterRef("conversation__group"), account=account
    ).values("message_remind_type")[:1]
    return Coalesce(Subquery(remind, output_field=CharField()), Value(""))


def _participant_select(queryset: QuerySet[Participant]) -> QuerySet[Participant]:
    return queryset.select_related(
        "conversation__group",
        "conversation__account_low",
        "conversation__account_high",
        "conversation__last_message__sender",
        "conversation__last_message__revoked_by",
    )


def conversation_list(account: Account) -> list[Participant]:
    """The account's 100 most recent visible conversations, each with ``unread`` annotated."""
    queryset = Participant.objects.filter(
        account=account, is_hidden=False, conversation__last_message__isnull=False
    ).annotate(unread=_unread_subquery(account), remind_type=_remind_subquery(account))
    participants = list(
        _participant_select(queryset).order_by("-conversation__last_message_at")[
            :CONVERSATION_LIST_SIZE
        ]
    )
    attach_own_last_messages(account, participants)
    return participants


def attach_own_last_messages(account: Account, participants: list[Participant]) -> None:
    """Where ``account`` deleted a conversation's last message for itself, show it the
    newest one it kept instead (none: no last message). One query when it deleted
    none of them, one more per conversation where it did."""
    last_ids = [p.conversation.last_message_id for p in participants]
    deleted = set(
        DeletedMessage.objects.filter(account=account, message_id__in=last_ids).values_list(
            "message_id", flat=True
        )
    )
    for participant in participants:
        conversation = participant.conversation
        if conversation.last_message_id not in deleted:
            continue
        kept = one_or_none(message_select(visible_messages(conversation, account)).order_by("-seq"))
        conversation.last_message = kept
        conversation.last_message_id = kept.pk if kept else None


def participant_with_unread(account: Account, conversation: Conversation) -> Participant | None:
    queryset = Participant.objects.filter(account=account, conversation=conversation).annotate(
        unread=_unread_subquery(account), remind_type=_remind_subquery(account)
    )
    participant = one_or_none(_participant_select(queryset))
    if participant is not None:
        attach_own_last_messages(account, [participant])
    return participant
