"""Session tickets: a logged-in session's proof that lets a new connection resume it
without the UserSig (TIM's A2 key, which Tencent's SDK alone sends when it reconnects).

A ticket names the account, the instance and the UserSig it was opened with (its time,
lifetime and userbuf), signed with the server's ``SECRET_KEY`` and the app's secret key:
any process can verify it, it expires with the sig, and rotating the app's key (which
refuses old UserSigs) refuses its tickets too.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core import signing

from im.errors import (
    USERSIG_BAD_SIGNATURE,
    USERSIG_EXPIRED,
    USERSIG_IDENTIFIER_MISMATCH,
    USERSIG_MALFORMED,
    IMError,
)
from im.models import Account
from im.selectors import one_or_none
from im.services.accounts import LoginResult, check_account_enabled, check_app_enabled
from im.usersig import UserSigInfo

_SALT = "hutong.session-ticket"


def _key(account: Account) -> str:
    return f"{settings.SECRET_KEY}:{account.app.secret_key}"


def issue_ticket(*, account: Account, instance_id: str, usersig: UserSigInfo) -> str:
    """A ticket for the session ``account`` opened with ``usersig`` (``account.app`` loaded)."""
    userbuf = usersig.userbuf.decode("latin-1") if usersig.userbuf else ""
    content = {
        "a": account.pk,
        "i": instance_id,
        "t": usersig.time,
        "e": usersig.expire,
        "u": userbuf,
    }
    return signing.dumps(content, key=_key(account), salt=_SALT, compress=True)


def check_ticket(
    *, ticket: str, account_pk: int, now: int | None = None
) -> tuple[LoginResult, str]:
    """Verify a ticket presented as account ``account_pk``'s (TIM's tinyid): the account
    and its app must still be enabled, the signature the server's with the app's current
    key (70009), the sig it carries unexpired (70001). Returns the login and the
    instance the ticket was issued for."""
    if not ticket:
        raise IMError(USERSIG_MALFORMED, "the session ticket is empty")
    account = one_or_none(Account.objects.select_related("app", "site_user").filter(pk=account_pk))
    if account is None:
        raise IMError(USERSIG_IDENTIFIER_MISMATCH, "the session ticket names no account")
    check_app_enabled(account.app)
    try:
        content = signing.loads(ticket, key=_key(account), salt=_SALT)
    except signing.BadSignature:
        raise IMError(USERSIG_BAD_SIGNATURE, "the session ticket is not valid") from None
    if content.get("a") != account.pk:
        raise IMError(USERSIG_IDENTIFIER_MISMATCH, "the session ticket is another account's")
    check_account_enabled(account)
    userbuf = content["u"].encode("latin-1") if content["u"] else None
    info = UserSigInfo(
        user_id=account.user_id,
        sdkappid=account.app.sdkappid,
        time=content["t"],
        expire=content["e"],
        userbuf=userbuf,
    )
    now = int(time.time()) if now is None else now
    if info.expires_at <= now:
        raise IMError(USERSIG_EXPIRED, "the UserSig this session was opened with has expired")
    return LoginResult(account=account, usersig=info, server_time=now), str(content["i"])
