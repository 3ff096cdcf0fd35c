"""Logging in with a UserSig, and the accounts that logins create."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from im.errors import ACCOUNT_DISABLED, INVALID_PARAMS, SDKAPPID_DISABLED, IMError
from im.models import Account, App
from im.selectors import find_account, get_app
from im.services.profiles import check_update_profile
from im.usersig import UserSigInfo, verify_usersig

MAX_USER_ID_BYTES = 32


@dataclass(frozen=True)
class LoginResult:
    account: Account
    usersig: UserSigInfo
    server_time: int


def check_user_id(user_id: str) -> None:
    """TIM's userID rule: 1-32 bytes; no control characters or spaces (they break ids)."""
    size = len(user_id.encode())
    if not 1 <= size <= MAX_USER_ID_BYTES:
        raise IMError(INVALID_PARAMS, f"userID must be 1-{MAX_USER_ID_BYTES} bytes, got {size}")
    if any(ch.isspace() or not ch.isprintable() for ch in user_id):
        raise IMError(INVALID_PARAMS, "userID must not contain spaces or control characters")


def check_app_enabled(app: App) -> None:
    if app.is_disabled:
        raise IMError(SDKAPPID_DISABLED, f"SDKAppID {app.sdkappid} is disabled")


def check_account_enabled(account: Account) -> None:
    """Refuse an account an operator disabled, or whose chat-site user was deactivated
    (reads ``account.site_user``: select it with the account where it matters)."""
    site_user_active = None if account.site_user_id is None else account.site_user.is_active
    check_account_flags(account, disabled=account.is_disabled, site_user_active=site_user_active)


def check_account_flags(account: Account, *, disabled: bool, site_user_active: bool | None) -> None:
    """``check_account_enabled`` with the flags read elsewhere (a login's, under the
    account's lock); ``site_user_active`` None: the account has no site user."""
    if disabled:
        raise IMError(
            ACCOUNT_DISABLED,
            f"account {account.user_id!r} is disabled by an operator: it cannot log in",
        )
    if site_user_active is False:
        raise IMError(
            ACCOUNT_DISABLED,
            f"account {account.user_id!r} belongs to a deactivated site user: it cannot log in",
        )


def check_login(
    *, sdkappid: int, user_id: str, user_sig: str, now: int | None = None
) -> LoginResult:
    """Verify a login and return the account, creating it on its first login."""
    check_user_id(user_id)
    app = get_app(sdkappid)
    check_app_enabled(app)
    now = int(time.time()) if now is None else now
    info = verify_usersig(
        user_sig, sdkappid=app.sdkappid, secret_key=app.secret_key, user_id=user_id, now=now
    )
    account = do_ensure_account(app=app, user_id=user_id)
    check_account_enabled(account)
    if account.deleted_at is not None:  # TIM imports an account at its first login
        do_restore_account(account)
    return LoginResult(account=account, usersig=info, server_time=now)


def do_ensure_account(*, app: App, user_id: str, nick: str = "") -> Account:
    """Get or create ``user_id`` in ``app``; safe when two first logins race."""
    account = find_account(app, user_id)
    if account is not None:  # every login but the first: no transaction needed
        account.app = app
        return account
    try:
        with transaction.atomic():
            account, _ = Account.objects.get_or_create(
                app=app, user_id=user_id, defaults={"nick": nick}
            )
    except IntegrityError:
        account = Account.objects.get(app=app, user_id=user_id)
    return account


def do_restore_account(account: Account) -> None:
    """Bring back an account the REST API deleted (its login or a new import)."""
    Account.objects.filter(pk=account.pk).update(deleted_at=None)
    account.deleted_at = None


def do_set_app_admin(*, app: App, user_id: str, is_admin: bool = True) -> Account:
    """Make ``user_id`` (created if new) an app administrator of ``app``, or not."""
    check_user_id(user_id)
    account = do_ensure_account(app=app, user_id=user_id)
    if account.is_admin != is_admin:
        Account.objects.filter(pk=account.pk).update(is_admin=is_admin)
        account.is_admin = is_admin
    return account


def do_update_account(
    *, account: Account, nick: str | None = None, avatar: str | None = None
) -> Account:
    """An operator's edit of the nick and avatar URL (TIM's Nick and FaceUrl): the
    profile service's checks and PROFILE_UPDATED, as the account's own change."""
    changes = {f: v for f, v in (("nick", nick), ("avatar", avatar)) if v is not None}
    if changes:
        check_update_profile(account=account, changes=changes)
    return account


# TIM's default app administrator: what the operators' console acts as in an app.
CONSOLE_OPERATOR = "administrator"


def do_ensure_console_operator(app: App) -> Account:
    """The account the operators' console acts as in ``app`` (its tips and notices name
    it as the operator), an app administrator from its first use."""
    return do_set_app_admin(app=app, user_id=CONSOLE_OPERATOR)
