"""What services return and events carry, besides plain models: small frozen dataclasses.

No field here is named for a wire format; each protocol's serialiser decides how a
result looks on its wire (``im/serializers.py`` for the Hutong protocol).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from im.models import Account, Group, GroupMember, Message, Participant


@dataclass(frozen=True)
class HistoryPage:
    """A page of history, oldest first; ``next_cursor`` is the oldest message when more
    remain before it (the next page ends before it)."""

    messages: list[Message]
    is_completed: bool

    @property
    def next_cursor(self) -> Message | None:
        return None if self.is_completed or not self.messages else self.messages[0]


@dataclass(frozen=True)
class PeoplePage:
    """A page of the chat site's users found by a search; ``next_offset`` is where the
    next page starts, None when this is the last."""

    people: list[Account]
    next_offset: int | None


@dataclass(frozen=True)
class AtInfo:
    """A message after the viewer's read mark that @-mentions them (``at_me``), everyone
    (``at_all``), or both (TIM's groupAtInfoList items)."""

    sender_user_id: str
    seq: int
    at_me: bool
    at_all: bool


@dataclass(frozen=True)
class SyncPage:
    """Changes after a change number, in change order; ``change_seq`` is where the next
    page starts."""

    messages: list[Message]
    change_seq: int
    is_completed: bool


@dataclass(frozen=True)
class ConversationView:
    """A conversation as one account sees it. ``participant`` (with ``unread``
    annotated) is None before anything was sent there: then only the peer or group
    is known."""

    conversation_id: str
    kind: str
    participant: Participant | None
    peer: Account | None = None
    group: Group | None = None


@dataclass(frozen=True)
class PeerRead:
    """The payload of MESSAGE_READ_BY_PEER: ``reader_user_id`` has read the C2C
    conversation up to ``read_seq`` (its message of ``read_time``, epoch seconds)."""

    reader_user_id: str
    read_seq: int
    read_time: int


@dataclass(frozen=True)
class ConversationDeleted:
    conversation_id: str


@dataclass(frozen=True)
class MessagesDeleted:
    """Messages one account deleted for itself, in the conversation it calls
    ``conversation_id``."""

    conversation_id: str
    messages: tuple[Message, ...]
    participant: Participant | None  # the conversation as the account now sees it


@dataclass(frozen=True)
class GroupView:
    """A group as ``member`` sees it (``member`` None: someone outside it)."""

    group: Group
    member: GroupMember | None
    member_count: int


@dataclass(frozen=True)
class GroupJoined:
    """The payload of GROUP_JOINED: the group, where the joiner's catch-up starts, and
    each joiner's membership (by account pk) for its own view of the group."""

    group: GroupView
    change_seq: int
    members: dict[int, GroupMember] = field(default_factory=dict)


@dataclass(frozen=True)
class GroupLeft:
    """The payload of GROUP_LEFT: the account no longer hears the group."""

    group_id: str
    reason: str  # "quit", "kicked" or "dismissed"


@dataclass(frozen=True)
class JoinResult:
    """``status`` is TIM's: JoinedSuccess, WaitAdminApproval or AlreadyInGroup."""

    status: str
    group: GroupView | None


@dataclass(frozen=True)
class AddMembersResult:
    group: GroupView
    added: list[str]
    failed: list[str]  # no such account
    existed: list[str]
    over_limit: list[str]


@dataclass(frozen=True)
class MemberChange:
    """A member after a change to it, and its group."""

    group: GroupView
    member: GroupMember


@dataclass(frozen=True)
class RemindTypeChanged:
    """The payload of MESSAGE_REMIND_TYPE_UPDATED, to the account's own sessions: a
    group's (``group_id``) or a C2C conversation's (``user_id``, the peer)."""

    group_id: str
    remind_type: str
    user_id: str = ""


@dataclass(frozen=True)
class RemindTypesSet:
    """setMessageRemindType's C2C form: the peers whose conversations took the type,
    and those refused, each with its code."""

    succeeded: list[str]
    failed: list[tuple[str, int, str]]


@dataclass(frozen=True)
class Blacklist:
    """One account's whole blacklist, oldest entry first: what the blacklist ops answer
    and BLACKLIST_UPDATED carries (TIM sends the whole list, never a difference)."""

    owner_id: int
    user_ids: tuple[str, ...]


@dataclass(frozen=True)
class GroupProgress:
    """Where a member stands in a group's conversation: its newest sequence and time
    (``last_message_at`` None before any message) and the member's read mark."""

    last_seq: int
    last_message_at: datetime | None
    read_seq: int
