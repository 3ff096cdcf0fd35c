"""Group membership: joining and applications, adding and removing, quitting, and the
member's role, mute and name card. Rules are in ``im.permissions``.

Every entry point (``check_*``) owns its transaction and takes the group's row lock
first, so membership changes of one group run one after another (the member limit and
"already a member" hold); the group's conversation is locked after it when a tip is
stored. Each change tells exactly who it concerns: the members, by the group (a tip),
the accounts that joined or left (GROUP_JOINED, GROUP_LEFT), and notices to the people
named (``im.services.notices``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from im import hooks
from im.errors import (
    APPLICATION_HANDLED,
    GROUP_FULL,
    GROUP_INVALID_PARAMS,
    IMError,
)
from im.events import Event, send_event_on_commit
from im.models import Account, Conversation, Group, GroupApplication, GroupMember, Participant
from im.permissions import (
    access_group,
    access_manager,
    access_member,
    check_can_add_members,
    check_can_handle_applications,
    check_can_join,
    check_can_mute,
    check_can_quit,
    check_can_remove,
    check_can_set_name_card,
    check_can_set_role,
    needs_approval,
    own_membership,
    shows_history_to_newcomers,
)
from im.results import (
    AddMembersResult,
    GroupJoined,
    GroupLeft,
    GroupView,
    JoinResult,
    MemberChange,
    RemindTypeChanged,
)
from im.selectors import (
    find_account,
    group_managers,
    group_member_count,
    group_members,
    members_by_user_id,
    one_or_none,
    pending_applications,
)
from im.services import notices, tips
from im.services.custom_fields import MEMBER_FIELDS, check_fields, merged
from im.services.messages import lock_group_conversation
from im.transactions import in_callers_transaction

MAX_BATCH = 500  # userIDs per addGroupMember / deleteGroupMember
MAX_MEMBER_PAGE = 100
MAX_PROFILE_USERS = 50
MAX_NOTE_BYTES = 300  # applyMessage, handleMessage, reason
MAX_NAME_CARD_BYTES = 50
MAX_MUTE_SECONDS = 2**32 - 1
JOINED, WAITING, ALREADY_IN = "JoinedSuccess", "WaitAdminApproval", "AlreadyInGroup"
AGREE, REJECT = "Agree", "Reject"


def _check_note(what: str, text: str) -> None:
    if len(text.encode()) > MAX_NOTE_BYTES:
        raise IMError(GROUP_INVALID_PARAMS, f"{what} is over {MAX_NOTE_BYTES} bytes")


def _check_user_ids(user_ids: list[str]) -> None:
    if not 1 <= len(user_ids) <= MAX_BATCH:
        raise IMError(GROUP_INVALID_PARAMS, f"userIDList must have 1-{MAX_BATCH} userIDs")


def _view(group: Group, member: GroupMember | None) -> GroupView:
    return GroupView(group=group, member=member, member_count=group_member_count(group))


def _membership(group: Group, account: Account) -> GroupMember | None:
    member = one_or_none(GroupMember.objects.filter(group=group, account=account))
    if member is not None:
        member.account = account
    return member


def _target(group: Group, user_id: str) -> GroupMember:
    member = members_by_user_id(group, [user_id]).get(user_id)
    if member is None:
        raise IMError(GROUP_INVALID_PARAMS, f"{user_id!r} is not a member of this group")
    return member


# --- joining and leaving: the writes every path shares ---


@dataclass(frozen=True)
class AddedMembers:
    rows: list[GroupMember]
    member_count: int  # the group's, after the addition


@in_callers_transaction
def do_add_members(
    *, group: Group, conversation: Conversation, accounts: list[Account], operator: Account
) -> AddedMembers:
    """Make ``accounts`` (none of them members) members, with a join tip from
    ``operator``; each account's sessions hear the group from its GROUP_JOINED on.

    The caller holds the group's and the conversation's row locks. New members start
    with nothing unread (their read mark is the conversation's newest message) and, but
    in ChatRoom and AVChatRoom groups, see no history from before they came.
    """
    if not accounts:
        return AddedMembers(rows=[], member_count=group_member_count(group))
    floor = 0 if shows_history_to_newcomers(group) else conversation.last_seq
    rows = [GroupMember(group=group, account=a, visible_after_seq=floor) for a in accounts]
    GroupMember.objects.bulk_create(rows)
    # Added meanwhile by someone else: an application of theirs has nothing left to ask.
    GroupApplication.objects.filter(group=group, applicant__in=accounts).delete()
    # A conversation row left from an earlier membership would block the fresh one.
    Participant.objects.filter(conversation=conversation, account__in=accounts).delete()
    Participant.objects.bulk_create(
        [
            Participant(conversation=conversation, account=a, read_seq=conversation.last_seq)
            for a in accounts
        ]
    )
    # Catch-up starts before the tip, so a member that hears the group only after the
    # tip went out still gets it through syncMessages.
    member_count = group_member_count(group)
    joined = GroupJoined(
        group=GroupView(group=group, member=None, member_count=member_count),
        change_seq=conversation.change_seq,
        members={row.account_id: row for row in rows},
    )
    send_event_on_commit(
        Event(
            "GROUP_JOINED",
            joined,
            account_ids=frozenset(a.pk for a in accounts),
            joins_group=group.pk,
        )
    )
    tips.do_send_group_tip(
        conversation=conversation,
        operator=operator,
        operation_type=tips.TIP_MEMBER_JOIN,
        user_ids=[a.user_id for a in accounts],
    )
    return AddedMembers(rows=rows, member_count=member_count)


@in_callers_transaction
def do_remove_members(*, group: Group, accounts: Iterable[Account], reason: str) -> None:
    """End these accounts' memberships; their sessions stop hearing the group at once
    (GROUP_LEFT, to exactly them). Their conversation with the group goes too."""
    accounts = list(accounts)
    if not accounts:
        return
    ids = [a.pk for a in accounts]
    GroupMember.objects.filter(group=group, account_id__in=ids).delete()
    Participant.objects.filter(conversation__group=group, account_id__in=ids).delete()
    GroupApplication.objects.filter(group=group, applicant_id__in=ids).delete()
    send_event_on_commit(
        Event(
            "GROUP_LEFT",
            GroupLeft(group_id=group.group_id, reason=reason),
            account_ids=frozenset(ids),
            leaves_group=group.pk,
        )
    )


def _check_room(group: Group, adding: int) -> int:
    """How many of ``adding`` still fit (``max_member_num`` 0: no limit)."""
    if not group.max_member_num:
        return adding
    return max(0, min(adding, group.max_member_num - group_member_count(group)))


# --- joinGroup and applications ---


def check_join_group(*, account: Account, group_id: str, apply_message: str = "") -> JoinResult:
    """Join (FreeAccess, AVChatRoom) or apply (NeedPermission); an entry point."""
    _check_note("applyMessage", apply_message)
    group, member = access_group(account, group_id)
    if member is None:  # the back end is asked about a join or an application only
        joining = hooks.Joining(group, account, (account.user_id,), "Apply")
        hooks.ask(account.app, hooks.GROUP_BEFORE_APPLY, joining)
    with transaction.atomic():
        group, member = access_group(account, group_id, for_update=True)
        if member is not None:
            return JoinResult(status=ALREADY_IN, group=_view(group, member))
        check_can_join(group)
        if not _check_room(group, 1):
            raise IMError(GROUP_FULL, f"group {group_id!r} is full")
        if needs_approval(group):
            do_apply(group=group, applicant=account, message=apply_message)
            return JoinResult(status=WAITING, group=None)
        conversation = lock_group_conversation(group)
        added = do_add_members(
            group=group, conversation=conversation, accounts=[account], operator=account
        )
        (member,) = added.rows
        if group.owner_id == account.pk:  # an AVChatRoom's creator, joining its room
            member.role = GroupMember.Role.OWNER
            member.save(update_fields=["role"])
        view = GroupView(group=group, member=member, member_count=added.member_count)
        joined = hooks.Joining(group, account, (account.user_id,), "Apply")
        hooks.tell_on_commit(account.app, hooks.GROUP_AFTER_JOIN, joined)
        return JoinResult(status=JOINED, group=view)


@in_callers_transaction
def do_apply(*, group: Group, applicant: Account, message: str) -> None:
    """Record an application and tell the owner and admins; a pending one stays as it is."""
    _, created = GroupApplication.objects.get_or_create(
        group=group, applicant=applicant, defaults={"message": message}
    )
    if created:
        notices.do_send_system_notice(
            accounts=group_managers(group),
            group=group,
            operator=applicant,
            operation_type=notices.NOTICE_JOIN_REQUEST,
            handle_message=message,
        )


def get_application_list(*, account: Account) -> list[GroupApplication]:
    return pending_applications(account)


def check_handle_application(
    *, account: Account, group_id: str, applicant_id: str, action: str, handle_message: str = ""
) -> GroupView:
    """Agree to or reject a pending application, as the owner or an admin; an entry point."""
    if action not in (AGREE, REJECT):
        raise IMError(GROUP_INVALID_PARAMS, f"handleAction must be {AGREE!r} or {REJECT!r}")
    _check_note("handleMessage", handle_message)
    with transaction.atomic():
        group, member = access_manager(account, group_id, for_update=True)
        check_can_handle_applications(member)
        applicant = find_account(account.app, applicant_id)
        application = applicant and one_or_none(
            GroupApplication.objects.filter(group=group, applicant=applicant)
        )
        if application is None:
            raise IMError(APPLICATION_HANDLED, f"no pending application from {applicant_id!r}")
        application.delete()
        if action == AGREE:
            if not _check_room(group, 1):
                raise IMError(GROUP_FULL, f"group {group_id!r} is full")
            conversation = lock_group_conversation(group)
            do_add_members(
                group=group, conversation=conversation, accounts=[applicant], operator=applicant
            )
        notices.do_send_system_notice(
            accounts=[applicant],
            group=group,
            operator=account,
            operation_type=notices.NOTICE_JOIN_ACCEPTED
            if action == AGREE
            else notices.NOTICE_JOIN_REJECTED,
            handle_message=handle_message,
        )
        return _view(group, own_membership(member))


# --- adding, removing, quitting ---


def check_add_members(*, account: Account, group_id: str, user_ids: list[str]) -> AddMembersResult:
    """Add accounts to a Private group as any member, or to a Public or ChatRoom group
    as the app's administrator; an entry point."""
    _check_user_ids(user_ids)
    if hooks.is_enabled(account.app, hooks.GROUP_BEFORE_INVITE):
        group, actor = access_manager(account, group_id)
        check_can_add_members(group, actor)  # asked about an invitation that may happen
        inviting = hooks.Joining(group, account, tuple(dict.fromkeys(user_ids)), "Invited")
        hooks.ask(account.app, hooks.GROUP_BEFORE_INVITE, inviting)
    with transaction.atomic():
        group, actor = access_manager(account, group_id, for_update=True)
        check_can_add_members(group, actor)
        wanted = list(dict.fromkeys(user_ids))
        existing = members_by_user_id(group, wanted)
        accounts = {
            a.user_id: a for a in Account.objects.filter(app=account.app, user_id__in=wanted)
        }
        failed = [uid for uid in wanted if uid not in accounts]
        existed = [uid for uid in wanted if uid in existing]
        new = [accounts[uid] for uid in wanted if uid in accounts and uid not in existing]
        room = _check_room(group, len(new))
        new, over = new[:room], new[room:]
        if new:
            conversation = lock_group_conversation(group)
            do_add_members(group=group, conversation=conversation, accounts=new, operator=account)
            notices.do_send_system_notice(
                accounts=new,
                group=group,
                operator=account,
                operation_type=notices.NOTICE_INVITED,
            )
            invited = hooks.Joining(group, account, tuple(a.user_id for a in new), "Invited")
            hooks.tell_on_commit(account.app, hooks.GROUP_AFTER_JOIN, invited)
        return AddMembersResult(
            group=_view(group, own_membership(actor)),
            added=[a.user_id for a in new],
            failed=failed,
            existed=existed,
            over_limit=[a.user_id for a in over],
        )


def check_delete_members(
    *, account: Account, group_id: str, user_ids: list[str], reason: str = ""
) -> tuple[GroupView, list[str]]:
    """Remove members, as the owner or an admin; an entry point. Returns the group and
    the userIDs removed."""
    _check_user_ids(user_ids)
    _check_note("reason", reason)
    with transaction.atomic():
        group, member = access_manager(account, group_id, for_update=True)
        targets = members_by_user_id(group, list(dict.fromkeys(user_ids)))
        missing = sorted(set(user_ids) - set(targets))
        if missing:
            raise IMError(GROUP_INVALID_PARAMS, f"not members: {', '.join(missing)}")
        for target in targets.values():
            check_can_remove(group, member, target)
        removed = [t.account for t in targets.values()]
        do_remove_members(group=group, accounts=removed, reason="kicked")
        conversation = lock_group_conversation(group)
        tips.do_send_group_tip(
            conversation=conversation,
            operator=account,
            operation_type=tips.TIP_MEMBER_KICKED_OUT,
            user_ids=[a.user_id for a in removed],
        )
        notices.do_send_system_notice(
            accounts=removed,
            group=group,
            operator=account,
            operation_type=notices.NOTICE_KICKED,
            handle_message=reason,
        )
        kicked = hooks.Joining(group, account, tuple(a.user_id for a in removed), "Kicked")
        hooks.tell_on_commit(account.app, hooks.GROUP_AFTER_EXIT, kicked)
        return _view(group, own_membership(member)), [a.user_id for a in removed]


def check_quit_group(*, account: Account, group_id: str) -> str:
    """Leave a group; a Private group's owner leaves it ownerless. An entry point."""
    with transaction.atomic():
        group, member = access_group(account, group_id, for_update=True)
        check_can_quit(group, member)
        if group.owner_id == account.pk:
            Group.objects.filter(pk=group.pk).update(owner=None)
            group.owner = None
        do_remove_members(group=group, accounts=[account], reason="quit")
        conversation = lock_group_conversation(group)
        tips.do_send_group_tip(
            conversation=conversation, operator=account, operation_type=tips.TIP_MEMBER_QUIT
        )
        notices.do_send_system_notice(
            accounts=[account], group=group, operator=account, operation_type=notices.NOTICE_QUIT
        )
        left = hooks.Joining(group, account, (account.user_id,), "Quit")
        hooks.tell_on_commit(account.app, hooks.GROUP_AFTER_EXIT, left)
    return group_id


# --- one member: role, mute, name card ---


def _member_change(
    account: Account,
    group_id: str,
    user_id: str,
    check: Callable[[Group, GroupMember, GroupMember], None],
) -> tuple[Group, GroupMember, GroupMember]:
    """The group (row-locked), the acting member and the member acted on, once
    ``check`` allows it."""
    group, actor = access_manager(account, group_id, for_update=True)
    target = _target(group, user_id)
    check(group, actor, target)
    return group, actor, target


def check_set_role(*, account: Account, group_id: str, user_id: str, role: str) -> MemberChange:
    """Make a member an Admin or a plain Member again, as the owner; an entry point."""
    if role not in (GroupMember.Role.ADMIN, GroupMember.Role.MEMBER):
        raise IMError(GROUP_INVALID_PARAMS, "role must be Admin or Member")
    with transaction.atomic():
        group, actor, target = _member_change(account, group_id, user_id, check_can_set_role)
        if target.role != role:
            target.role = role
            target.save(update_fields=["role"])
            to_admin = role == GroupMember.Role.ADMIN
            tips.do_send_group_tip(
                conversation=lock_group_conversation(group),
                operator=account,
                operation_type=tips.TIP_MEMBER_SET_ADMIN
                if to_admin
                else tips.TIP_MEMBER_CANCELED_ADMIN,
                user_ids=[user_id],
            )
            notices.do_send_system_notice(
                accounts=[target.account],
                group=group,
                operator=account,
                operation_type=notices.NOTICE_SET_ADMIN
                if to_admin
                else notices.NOTICE_CANCEL_ADMIN,
            )
        return MemberChange(group=_view(group, own_membership(actor)), member=target)


def check_set_mute_time(
    *, account: Account, group_id: str, user_id: str, mute_time: int
) -> MemberChange:
    """Mute a member for ``mute_time`` seconds (0 unmutes); an entry point."""
    if not 0 <= mute_time <= MAX_MUTE_SECONDS:
        raise IMError(GROUP_INVALID_PARAMS, f"muteTime must be 0-{MAX_MUTE_SECONDS} seconds")
    with transaction.atomic():
        group, actor, target = _member_change(account, group_id, user_id, check_can_mute)
        target.mute_until = timezone.now() + timedelta(seconds=mute_time) if mute_time else None
        target.save(update_fields=["mute_until"])
        tips.do_send_group_tip(
            conversation=lock_group_conversation(group),
            operator=account,
            operation_type=tips.TIP_MEMBER_PROFILE_UPDATED,
            user_ids=[user_id],
            extra={"memberList": [{"userID": user_id, "muteTime": mute_time}]},
        )
        return MemberChange(group=_view(group, own_membership(actor)), member=target)


def check_set_name_card(
    *, account: Account, group_id: str, user_id: str, name_card: str
) -> MemberChange:
    """Set a member's name card in the group; an entry point."""
    if len(name_card.encode()) > MAX_NAME_CARD_BYTES:
        raise IMError(GROUP_INVALID_PARAMS, f"nameCard is over {MAX_NAME_CARD_BYTES} bytes")
    with transaction.atomic():
        group, actor, target = _member_change(
            account,
            group_id,
            user_id or account.user_id,
            check_can_set_name_card,
        )
        if target.name_card != name_card:
            target.name_card = name_card
            target.save(update_fields=["name_card"])
            tips.do_send_group_tip(
                conversation=lock_group_conversation(group),
                operator=account,
                operation_type=tips.TIP_MEMBER_PROFILE_UPDATED,
                user_ids=[target.account.user_id],
                extra={"memberList": [{"userID": target.account.user_id, "nameCard": name_card}]},
            )
        if target.pk == actor.pk:
            actor = target
        return MemberChange(group=_view(group, own_membership(actor)), member=target)


def check_set_remind_type(*, account: Account, group_id: str, remind_type: str) -> GroupView:
    """How the group's messages reach this member (TIM's messageRemindType); an entry
    point. Discard stops the group's pushes to every session of the account at once,
    leaving Discard starts them again."""
    if remind_type not in GroupMember.RemindType.values:
        raise IMError(
            GROUP_INVALID_PARAMS,
            f"messageRemindType must be one of {GroupMember.RemindType.values}",
        )
    with transaction.atomic():
        group, member = access_member(account, group_id, for_update=True)
        before = member.message_remind_type
        if before != remind_type:
            member.message_remind_type = remind_type
            member.save(update_fields=["message_remind_type"])
            discard = GroupMember.RemindType.DISCARD
            send_event_on_commit(
                Event(
                    "MESSAGE_REMIND_TYPE_UPDATED",
                    RemindTypeChanged(group_id=group.group_id, remind_type=remind_type),
                    account_ids=frozenset({account.pk}),
                    joins_group=group.pk if before == discard else None,
                    leaves_group=group.pk if remind_type == discard else None,
                )
            )
        member.account = account
        return _view(group, member)


def check_set_member_fields(
    *, account: Account, group_id: str, user_id: str, fields: object
) -> MemberChange:
    """Set some of a member's custom fields (empty values remove keys): a member its
    own, an admin also plain members', the owner anyone's. An entry point."""
    changes = check_fields(MEMBER_FIELDS, fields)
    with transaction.atomic():
        group, actor, target = _member_change(
            account,
            group_id,
            user_id or account.user_id,
            check_can_set_name_card,
        )
        target.custom_fields = merged(MEMBER_FIELDS, target.custom_fields, changes)
        target.save(update_fields=["custom_fields"])
        if target.pk == actor.pk:
            actor = target
        return MemberChange(group=_view(group, own_membership(actor)), member=target)


# --- reading members ---


def check_member_list(
    *, account: Account, group_id: str, count: int = 15, offset: int = 0
) -> tuple[list[GroupMember], int]:
    """A page of the group's members, for its members and the app administrator; and
    the next page's offset (0 after the last)."""
    if not 1 <= count <= MAX_MEMBER_PAGE:
        raise IMError(GROUP_INVALID_PARAMS, f"count must be 1-{MAX_MEMBER_PAGE}")
    if offset < 0:
        raise IMError(GROUP_INVALID_PARAMS, "offset must not be negative")
    group, _ = access_manager(account, group_id)
    page = group_members(group, offset=offset, limit=count + 1)
    more = len(page) > count
    return page[:count], offset + count if more else 0


def check_member_profiles(
    *, account: Account, group_id: str, user_ids: list[str]
) -> list[GroupMember]:
    if not 1 <= len(user_ids) <= MAX_PROFILE_USERS:
        raise IMError(GROUP_INVALID_PARAMS, f"userIDList must have 1-{MAX_PROFILE_USERS} userIDs")
    group, _ = access_manager(account, group_id)
    found = members_by_user_id(group, user_ids)
    return [found[uid] for uid in dict.fromkeys(user_ids) if uid in found]
