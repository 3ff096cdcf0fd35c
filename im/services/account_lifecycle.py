"""What an app's back end does to its accounts (TIM's REST account commands): import
with a nick and an avatar, check which exist, delete, and who is online."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from im.models import PROFILE_COLUMNS, Account, App, Instance
from im.selectors import accounts_by_user_id, one_or_none
from im.services.accounts import check_user_id, do_ensure_account, do_restore_account
from im.services.instances import do_kick_account
from im.services.profiles import CHECKS, check_avatar_url, check_update_profile, do_update_profile


def check_import_account(
    *, app: App, user_id: str, nick: str | None = None, avatar: str | None = None
) -> Account:
    """Create ``user_id`` (or bring a deleted one back) with an optional nick and
    avatar URL; an existing account keeps its data and takes the values given. The
    values are checked before anything is created."""
    check_user_id(user_id)
    changes: dict[str, object] = {}
    if nick is not None:
        changes["nick"] = CHECKS["nick"]("nick", nick)
    if avatar is not None:
        changes["avatar"] = check_avatar_url(avatar)
    account = do_ensure_account(app=app, user_id=user_id)
    if account.deleted_at is not None:
        do_restore_account(account)
    if changes:
        check_update_profile(account=account, changes=changes)
    return account


def imported_user_ids(app: App, user_ids: list[str]) -> set[str]:
    """Which of ``user_ids`` are accounts of ``app`` (not deleted)."""
    found = accounts_by_user_id(app, user_ids)
    return {user_id for user_id, account in found.items() if account.deleted_at is None}


def do_delete_account(account: Account) -> None:
    """TIM's account_delete: every session is kicked (REST_API_Kick), the profile goes
    back to a new account's, and the account reads as not imported until it logs in or
    is imported again. Its messages stay in its peers' conversations."""
    with transaction.atomic():
        locked = one_or_none(Account.objects.select_for_update().filter(pk=account.pk))
        if locked is None or locked.deleted_at is not None:
            return
        # A new account's profile (profile_updated_at is set by the write).
        columns: dict[str, object] = {
            column: Account._meta.get_field(column).get_default()
            for column in PROFILE_COLUMNS
            if column != "profile_updated_at"
        }
        columns["deleted_at"] = timezone.now()
        do_update_profile(
            account=account,
            columns=columns,
            old_avatar_upload=locked.avatar_upload,
            origin_channel=None,
        )
        do_kick_account(account=account)


@dataclass(frozen=True)
class OnlineState:
    user_id: str
    online_instances: int


def online_states(app: App, user_ids: list[str]) -> tuple[list[OnlineState], list[str]]:
    """How many live connections each existing account of ``user_ids`` has, in the
    order asked; and the userIDs that are not accounts."""
    found = accounts_by_user_id(app, user_ids)
    live: dict[int, int] = {}
    rows = Instance.objects.filter(
        account__in=[a.pk for a in found.values()], is_online=True, kicked_reason=""
    ).values_list("account_id", flat=True)
    for account_id in rows:
        live[account_id] = live.get(account_id, 0) + 1
    states, missing = [], []
    for user_id in dict.fromkeys(user_ids):
        account = found.get(user_id)
        if account is None or account.deleted_at is not None:
            missing.append(user_id)
        else:
            states.append(OnlineState(user_id, live.get(account.pk, 0)))
    return states, missing
