"""Reads. Adapters and services fetch through these, never with ad-hoc queries.

Selectors only read; who may read what is decided in ``im.permissions``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from im import sendsql
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
    Mention,
    Message,
    Participant,
)
from im.results import AtInfo, GroupProgress

M = TypeVar("M")

CONVERSATION_LIST_SIZE = 100
# Unread @mentions listed per conversation, at most (the newest), and read in all.
AT_INFO_PER_CONVERSATION = 20
AT_INFO_ROWS = 2000


def one_or_none(queryset: QuerySet[M]) -> M | None:
    """The row of a lookup by a unique key, or None. Unlike ``first()`` it adds no
    ORDER BY, whose compilation costs more than the query on a hot path."""
    rows = list(queryset[:1])
    return rows[0] if rows else None


def get_app(sdkappid: int) -> App:
    # Every login: hand-written, as find_account.
    app = sendsql.select_one(App, "sdkappid = %s", [sdkappid])
    if app is None:
        raise IMError(SDKAPPID_NOT_FOUND, f"no app with SDKAppID {sdkappid}")
    return app


def find_account(app: App, user_id: str) -> Account | None:
    # Every C2C send and login: hand-written (``im.sendsql``), 4× cheaper than the ORM's.
    account = sendsql.select_one(Account, "app_id = %s AND user_id = %s", [app.pk, user_id])
    if account is not None:
        account.app = app
    return account


def get_account(app: App, user_id: str) -> Account:
    account = find_account(app, user_id)
    if account is None:
        raise IMError(C2C_INVALID_RECEIVER, f"userID {user_id!r} does not exist in this app")
    return account


def find_site_people(
    app: App, query: str, *, exclude: Account, offset: int, limit: int
) -> list[Account]:
    """The chat site's users (accounts of ``app`` linked to an active site user, not
    disabled) whose userID or nick contains ``query`` in any case, but ``exclude``:
    those whose userID or nick starts with it first, then the rest, each in userID
    order (unique in the app, so pages by offset neither repeat nor skip anyone). An
    empty query lists everyone. A scan of the app's accounts: a site's directory, not a
    TIM app's millions."""
    people = Account.objects.filter(app=app, is_disabled=False, site_user__is_active=True).exclude(
        pk=exclude.pk
    )
    if query:
        people = people.filter(Q(user_id__icontains=query) | Q(nick__icontains=query)).annotate(
            rank=Case(
                When(Q(user_id__istartswith=query) | Q(nick__istartswith=query), then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        people = people.order_by("rank", "user_id")
    else:
        people = people.order_by("user_id")
    return list(people[offset : offset + limit])


def accounts_by_user_id(app: App, user_ids: list[str]) -> dict[str, Account]:
    return {a.user_id: a for a in Account.objects.filter(app=app, user_id__in=user_ids)}


def blacklisted_user_ids(owner: Account) -> tuple[str, ...]:
    """``owner``'s blacklist as userIDs, oldest entry first."""
    entries = BlacklistEntry.objects.filter(owner=owner).order_by("created_at", "pk")
    return tuple(entries.values_list("blocked__user_id", flat=True))


def is_blacklisted(*, owner: Account, account: Account) -> bool:
    # Asked at every C2C send: a hand-written statement (``im.sendsql``).
    return sendsql.is_blocked(owner.pk, account.pk)


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
    conversation = sendsql.find_c2c(low.pk, high.pk)
    if conversation is not None:
        conversation.account_low, conversation.account_high = low, high
    return conversation


def peer_and_c2c(account: Account, user_id: str) -> tuple[Account, Conversation | None]:
    """The app's account ``user_id`` (C2C_INVALID_RECEIVER if none) and its C2C
    conversation with ``account``, both accounts attached; one query."""
    found = sendsql.find_peer_and_c2c(account.app_id, user_id, account.pk)
    if found is None:
        raise IMError(C2C_INVALID_RECEIVER, f"userID {user_id!r} does not exist in this app")
    peer, conversation = found
    peer.app = account.app
    if conversation is not None:
        low, high = sorted((account, peer), key=lambda a: a.pk)
        conversation.account_low, conversation.account_high = low, high
    return peer, conversation


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
    attach_peer_reads(conversation, [message])
    return message


def read_seqs(conversation: Conversation) -> dict[int, int]:
    """Each participant's read mark in ``conversation``, by account pk."""
    return sendsql.read_marks(conversation.pk)


def attach_peer_reads(
    conversation: Conversation, messages: list[Message], marks: dict[int, int] | None = None
) -> None:
    """Mark each C2C message its receiver has read (``is_peer_read``): the receiver's
    read mark covers it. ``marks``: the read marks by account, if already read (else
    one query). Other conversations have no peer to read."""
    if conversation.kind != Conversation.Kind.C2C or not messages:
        return
    if marks is None:
        marks = read_seqs(conversation)
    pair = (conversation.account_low_id, conversation.account_high_id)
    for message in messages:
        receiver = pair[1] if message.sender_id == pair[0] else pair[0]
        if receiver != message.sender_id:
            message.is_peer_read = message.seq <= marks.get(receiver, 0)


def _in_conversation(conversation: Conversation, queryset: QuerySet[Message]) -> list[Message]:
    """Run a page query and attach the already-loaded conversation to each message,
    so the page costs one simple query (no join through conversation and accounts).

    A C2C conversation's messages are sent and recalled by its two accounts, which the
    conversation already holds, so they are attached instead of joined.
    """
    if conversation.kind != Conversation.Kind.C2C:
        queryset = queryset.select_related("sender", "revoked_by")
    return _attach_conversation(conversation, list(queryset))


def _attach_conversation(
    conversation: Conversation, messages: list[Message], marks: dict[int, int] | None = None
) -> list[Message]:
    pair = {}
    if conversation.kind == Conversation.Kind.C2C:
        pair = {a.pk: a for a in (conversation.account_low, conversation.account_high)}
    if conversation.kind == Conversation.Kind.GROUP:
        attach_name_cards(conversation.group_id, messages)
    attach_peer_reads(conversation, messages, marks)
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
    seq = sendsql.seq_of(conversation.pk, *parse_message_id(message_id))
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
    before_seq: int | None = None,
    before_id: str = "",
    limit: int,
    after_seq: int = 0,
    viewer: Account | None = None,
) -> list[Message]:
    """Up to ``limit`` messages older than ``before_seq``, or than the message whose ID
    is ``before_id`` (a history cursor: MESSAGE_NOT_FOUND if it names none), and newer
    than ``after_seq`` (newest first), but those ``viewer`` deleted; keyset, no OFFSET.

    ``conversation`` must come with what serialising needs (see permissions.access_conversation).
    A C2C page, the one every chat pages most, is one hand-written statement (``sendsql``).
    """
    if conversation.kind == Conversation.Kind.C2C:
        found = sendsql.c2c_page(
            conversation,
            before_seq=before_seq,
            before_key=parse_message_id(before_id) if before_id else None,
            after_seq=after_seq,
            viewer_pk=None if viewer is None else viewer.pk,
            limit=limit,
        )
        if found is None:
            raise IMError(MESSAGE_NOT_FOUND, f"message {before_id!r} not found")
        page, marks = found
        return _attach_conversation(conversation, page, marks)
    if before_id:
        before_seq = message_seq(conversation, before_id)
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
    """The account's messageRemindType: its membership's in a group conversation, the
    participant's own elsewhere (a C2C one's, "" until set)."""
    remind = GroupMember.objects.filter(
        group=OuterRef("conversation__group"), account=account
    ).values("message_remind_type")[:1]
    return Coalesce(Subquery(remind, output_field=CharField()), F("message_remind_type"))


def _peer_read_subquery(account: Account) -> Coalesce:
    """The other side's read mark in a C2C conversation (0 elsewhere, and for a chat
    with oneself)."""
    peer = (
        Participant.objects.filter(
            conversation=OuterRef("conversation"), conversation__kind=Conversation.Kind.C2C
        )
        .exclude(account=account)
        .values("read_seq")[:1]
    )
    return Coalesce(Subquery(peer, output_field=IntegerField()), Value(0))


def _participant_select(queryset: QuerySet[Participant]) -> QuerySet[Participant]:
    return queryset.select_related(
        "conversation__group",
        "conversation__account_low",
        "conversation__account_high",
        "conversation__last_message__sender",
        "conversation__last_message__revoked_by",
    )


def conversation_list(account: Account) -> list[Participant]:
    """The account's visible conversations, pinned ones first, then the most recent: 100
    of them, each with ``unread`` annotated and its unread @mentions attached."""
    queryset = Participant.objects.filter(
        account=account, is_hidden=False, conversation__last_message__isnull=False
    ).annotate(
        unread=_unread_subquery(account),
        remind_type=_remind_subquery(account),
        peer_read_seq=_peer_read_subquery(account),
    )
    participants = list(
        _participant_select(queryset).order_by(
            "-is_pinned", "-conversation__last_message_at", "-conversation_id"
        )[:CONVERSATION_LIST_SIZE]
    )
    attach_group_at_info(account, participants)
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
        unread=_unread_subquery(account),
        remind_type=_remind_subquery(account),
        peer_read_seq=_peer_read_subquery(account),
    )
    participant = one_or_none(_participant_select(queryset))
    if participant is not None:
        attach_group_at_info(account, [participant])
        attach_own_last_messages(account, [participant])
    return participant


def attach_group_at_info(account: Account, participants: list[Participant]) -> None:
    """Give each group participant its unread @mentions of ``account`` (by name or
    @all, after its read mark, not recalled, not its own), in one query."""
    by_conversation = {
        p.conversation_id: p for p in participants if p.conversation.kind == Conversation.Kind.GROUP
    }
    if not by_conversation:
        return
    rows = (
        Mention.objects.filter(
            Q(account=account) | Q(account__isnull=True),
            conversation_id__in=by_conversation,
            conversation__participants__account=account,
            seq__gt=F("conversation__participants__read_seq"),
            message__is_revoked=False,
        )
        .exclude(message__sender=account)
        .order_by("-seq")
        .values_list("conversation_id", "seq", "account_id", "message__sender__user_id")
    )[:AT_INFO_ROWS]
    found: dict[int, dict[int, AtInfo]] = {}
    for conversation_id, seq, account_id, sender in rows:
        # A message naming the account and everyone is two rows: one AtInfo.
        infos = found.setdefault(conversation_id, {})
        if seq not in infos and len(infos) >= AT_INFO_PER_CONVERSATION:
            continue
        info = infos.get(seq, AtInfo(sender, seq, at_me=False, at_all=False))
        if account_id is None:
            infos[seq] = replace(info, at_all=True)
        else:
            infos[seq] = replace(info, at_me=True)
    for conversation_id, infos in found.items():
        by_conversation[conversation_id].group_at_info = tuple(infos[seq] for seq in sorted(infos))


def message_at(conversation: Conversation, *, seq: int, random: int) -> Message | None:
    """The message numbered ``seq`` whose random is ``random`` (TIM's REST MsgKey)."""
    queryset = Message.objects.filter(conversation=conversation, seq=seq, random=random)
    found = _in_conversation(conversation, queryset)
    return found[0] if found else None


def messages_in_period(
    conversation: Conversation, *, since: datetime, until: datetime, after_seq: int, limit: int
) -> list[Message]:
    """Up to ``limit`` messages sent in [``since``, ``until``] and numbered after
    ``after_seq``, oldest first (the REST API's roaming messages)."""
    queryset = Message.objects.filter(
        conversation=conversation, created_at__gte=since, created_at__lte=until, seq__gt=after_seq
    ).order_by("seq")[:limit]
    return _in_conversation(conversation, queryset)


def c2c_unread_counts(account: Account) -> dict[str, int]:
    """Each C2C peer's userID → the messages from it ``account`` has not read (those
    with any)."""
    participants = (
        Participant.objects.filter(account=account, conversation__kind=Conversation.Kind.C2C)
        .annotate(unread=_unread_subquery(account))
        .filter(unread__gt=0)
        .select_related("conversation__account_low", "conversation__account_high")
    )
    counts = {}
    for participant in participants:
        c = participant.conversation
        peer = c.account_high if c.account_low_id == account.pk else c.account_low
        counts[peer.user_id] = participant.unread
    return counts


def app_groups(app: App, *, after_pk: int, limit: int, group_type: str = "") -> list[Group]:
    """Up to ``limit`` of the app's groups created after the one numbered ``after_pk``,
    oldest first (keyset paging for TIM's REST ``get_appid_group_list``)."""
    groups = Group.objects.filter(app=app, pk__gt=after_pk)
    if group_type:
        groups = groups.filter(type=group_type)
    return list(groups.order_by("pk")[:limit])


def muted_members(group: Group, now: datetime) -> list[GroupMember]:
    """The members whose mute has not ended, soonest end first."""
    return list(
        GroupMember.objects.filter(group=group, mute_until__gt=now)
        .select_related("account")
        .order_by("mute_until", "pk")
    )


def message_at_seq(conversation: Conversation, seq: int) -> Message | None:
    """The message numbered ``seq`` in a group conversation."""
    found = _in_conversation(
        conversation, Message.objects.filter(conversation=conversation, seq=seq)
    )
    return found[0] if found else None


def c2c_message_by_key(
    conversation: Conversation, *, sender_user_id: str, seq: int, random: int
) -> Message | None:
    """The message of ``conversation`` its sender numbered ``seq`` (its client sequence,
    or the conversation's when it gave none) with ``random``, as serialised."""
    matches = message_select(
        Message.objects.filter(
            conversation=conversation, sender__user_id=sender_user_id, random=random
        ).filter(Q(client_seq=seq) | Q(client_seq=0, seq=seq))
    )
    return matches.first()


def peer_read_time(conversation: Conversation, account: Account) -> int:
    """When the newest message the other side of a C2C conversation has read was sent
    (epoch seconds; 0 when it has read nothing)."""
    read_seq = (
        Participant.objects.filter(conversation=conversation)
        .exclude(account=account)
        .values_list("read_seq", flat=True)
        .first()
    )
    if not read_seq:
        return 0
    sent = (
        Message.objects.filter(conversation=conversation, seq__lte=read_seq)
        .order_by("-seq")
        .values_list("created_at", flat=True)
        .first()
    )
    return int(sent.timestamp()) if sent else 0


def group_progress(account: Account) -> dict[int, GroupProgress]:
    """``GroupProgress`` of each group ``account`` is in, by group pk, in one query."""
    rows = Participant.objects.filter(
        account=account, conversation__kind=Conversation.Kind.GROUP
    ).values_list(
        "conversation__group_id",
        "conversation__last_seq",
        "conversation__last_message_at",
        "read_seq",
    )
    return {group: GroupProgress(*rest) for group, *rest in rows}
