"""The blacklist (TIM's blocklist): reading and changing an account's list.

What a list stops is decided in ``permissions.check_can_send_c2c``. Where TIM documents
a code it is TIM's (2742, 30001, 30003, 30013); where it documents no behaviour the
choice is written down in docs/protocol.md ("Blacklist").
"""

from __future__ import annotations

from django.db import transaction

from im.errors import (
    BLACKLIST_LIMIT,
    BLACKLIST_SELF,
    FRIENDSHIP_ACCOUNT_NOT_FOUND,
    FRIENDSHIP_INVALID_PARAMS,
    IMError,
)
from im.events import Event, send_event_on_commit
from im.models import Account, BlacklistEntry
from im.results import Blacklist
from im.selectors import accounts_by_user_id, blacklisted_user_ids, one_or_none
from im.transactions import in_callers_transaction

MAX_ENTRIES = 1000  # in one account's blacklist
MAX_BATCH = 1000  # userIDs per addToBlacklist / removeFromBlacklist

BLACKLIST_UPDATED = "BLACKLIST_UPDATED"


def get_blacklist(*, account: Account) -> Blacklist:
    return Blacklist(owner_id=account.pk, user_ids=blacklisted_user_ids(account))


def _wanted(user_ids: list[str]) -> list[str]:
    """The userIDs of one call, each once, in the order given."""
    if not 1 <= len(user_ids) <= MAX_BATCH:
        raise IMError(FRIENDSHIP_INVALID_PARAMS, f"userIDList must have 1-{MAX_BATCH} userIDs")
    return list(dict.fromkeys(user_ids))


def check_add_to_blacklist(
    *, account: Account, user_ids: list[str], origin_channel: str | None = None
) -> Blacklist:
    """Add accounts of ``account``'s app to its blacklist, in a transaction of its own
    (an entry point). All or nothing: yourself (2742), a userID with no account (30003)
    or a list that would pass 1,000 entries (30013) refuses the whole call. Those already
    on the list are no error, and a call that adds nobody tells nobody."""
    wanted = _wanted(user_ids)
    if account.user_id in wanted:
        raise IMError(BLACKLIST_SELF, "you cannot put yourself on your blacklist")
    found = accounts_by_user_id(account.app, wanted)
    missing = [uid for uid in wanted if uid not in found]
    if missing:
        raise IMError(FRIENDSHIP_ACCOUNT_NOT_FOUND, f"no such userIDs: {', '.join(missing)}")
    with transaction.atomic():
        return do_add_to_blacklist(
            owner=account, accounts=[found[uid] for uid in wanted], origin_channel=origin_channel
        )


def check_remove_from_blacklist(
    *, account: Account, user_ids: list[str], origin_channel: str | None = None
) -> Blacklist:
    """Take userIDs off ``account``'s blacklist, in a transaction of its own (an entry
    point). A userID that is not on it (unknown, yourself) is no error: there is nothing
    to remove, and a call that removes nobody tells nobody."""
    wanted = _wanted(user_ids)
    with transaction.atomic():
        return do_remove_from_blacklist(
            owner=account, user_ids=wanted, origin_channel=origin_channel
        )


def _lock_owner(owner: Account) -> None:
    """Serialise changes to one account's list, so the 1,000 cap holds and each push
    carries the list as its commit left it."""
    one_or_none(Account.objects.select_for_update().filter(pk=owner.pk))


@in_callers_transaction
def do_add_to_blacklist(
    *, owner: Account, accounts: list[Account], origin_channel: str | None
) -> Blacklist:
    """Put ``accounts`` (of ``owner``'s app, not ``owner``) on its list; those already
    there stay as they are."""
    _lock_owner(owner)
    present = set(BlacklistEntry.objects.filter(owner=owner).values_list("blocked_id", flat=True))
    new = [a for a in accounts if a.pk not in present]
    if len(present) + len(new) > MAX_ENTRIES:
        raise IMError(
            BLACKLIST_LIMIT,
            f"a blacklist holds at most {MAX_ENTRIES} userIDs; yours has {len(present)}"
            f" and this would add {len(new)}",
        )
    BlacklistEntry.objects.bulk_create([BlacklistEntry(owner=owner, blocked=a) for a in new])
    return _changed(owner, changed=bool(new), origin_channel=origin_channel)


@in_callers_transaction
def do_remove_from_blacklist(
    *, owner: Account, user_ids: list[str], origin_channel: str | None
) -> Blacklist:
    _lock_owner(owner)
    entries = BlacklistEntry.objects.filter(owner=owner, blocked__user_id__in=user_ids)
    removed, _ = entries.delete()
    return _changed(owner, changed=bool(removed), origin_channel=origin_channel)


def _changed(owner: Account, *, changed: bool, origin_channel: str | None) -> Blacklist:
    """The list now; if it changed, BLACKLIST_UPDATED with it to the owner's other
    connections (the one that acted has it in its answer). Nobody else hears of it:
    TIM never tells an account that it was blacklisted."""
    blacklist = get_blacklist(account=owner)
    if changed:
        send_event_on_commit(
            Event(
                BLACKLIST_UPDATED,
                blacklist,
                account_ids=frozenset({owner.pk}),
                exclude_channel=origin_channel,
            )
        )
    return blacklist
