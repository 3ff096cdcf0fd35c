"""The registry of logged-in instances, and kicking them out (TIM's KICKED_OUT).

Every process writes here, so the limit "web instances online at once" holds
across processes; the kick itself travels over the channel layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from im.events import kick_channels_on_commit
from im.models import Account, Instance
from im.selectors import member_group_pks
from im.services.accounts import LoginResult, check_login

# TIM's KICKED_OUT types (TIM.TYPES.KICKED_OUT_*).
KICKED_MULTIPLE_ACCOUNT = "multipleAccount"
KICKED_USERSIG_EXPIRED = "userSigExpired"
KICKED_REST_API = "REST_API_Kick"


def do_register_instance(
    *, account: Account, channel_name: str, sig_expires_at: datetime
) -> list[str]:
    """Record a login; kick the oldest instances past the app's limit. Returns those kicked.

    Takes the account's row lock so two simultaneous logins count each other. The
    limit is read from ``account.app``, which the login has just fetched. Channel names
    are new for every connection, and a connection's row goes at its logout, so the row
    is a plain insert.
    """
    limit = account.app.max_web_instances
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=account.pk).first()
        Instance.objects.create(
            channel_name=channel_name,
            account=account,
            logged_in_at=timezone.now(),
            sig_expires_at=sig_expires_at,
        )
        live = list(
            Instance.objects.filter(account=account)
            .order_by("-logged_in_at", "-pk")
            .values_list("pk", "channel_name")
        )
        over = live[limit:]
        if over:
            Instance.objects.filter(pk__in=[pk for pk, _ in over]).delete()
            kick_channels_on_commit([name for _, name in over], KICKED_MULTIPLE_ACCOUNT)
    return [name for _, name in over]


@dataclass(frozen=True)
class Session:
    login: LoginResult
    group_pks: list[int]  # the IM groups whose pushes the connection must hear


def check_open_session(*, sdkappid: int, user_id: str, user_sig: str, channel_name: str) -> Session:
    """Log a connection in: verify the UserSig, register the instance (kicking the
    oldest past the app's limit) and list the account's groups."""
    login = check_login(sdkappid=sdkappid, user_id=user_id, user_sig=user_sig)
    do_register_instance(
        account=login.account,
        channel_name=channel_name,
        sig_expires_at=datetime.fromtimestamp(login.usersig.expires_at, tz=UTC),
    )
    return Session(login=login, group_pks=member_group_pks(login.account))


def do_unregister_instance(*, channel_name: str) -> None:
    Instance.objects.filter(channel_name=channel_name).delete()


def do_kick_account(*, account: Account, reason: str = KICKED_REST_API) -> int:
    """Log every instance of ``account`` out (the admin's and the REST API's kick)."""
    with transaction.atomic():
        names = list(
            Instance.objects.select_for_update()
            .filter(account=account)
            .values_list("channel_name", flat=True)
        )
        Instance.objects.filter(channel_name__in=names).delete()
        kick_channels_on_commit(names, reason)
    return len(names)
