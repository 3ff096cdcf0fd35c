"""The registry of logged-in instances, and kicking them out (TIM's KICKED_OUT).

Every process writes here, so the limit "web instances online at once" holds
across processes; the kick itself travels over the channel layer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from im import hooks, instancesql
from im.errors import ACCOUNT_NOT_FOUND, INVALID_PARAMS, KICKED_OUT, IMError
from im.events import KICKED_OUT as KICKED_OUT_EVENT
from im.events import Event, Kick, send_event_on_commit
from im.models import Account, App, Instance
from im.selectors import one_or_none
from im.services.accounts import (
    LoginResult,
    check_account_enabled,
    check_account_flags,
    check_app_enabled,
    check_login,
)
from im.services.limits import check_login_rate
from im.services.tickets import check_ticket
from im.transactions import in_callers_transaction
from im.usersig import UserSigInfo, verify_usersig

# TIM's KICKED_OUT types (TIM.TYPES.KICKED_OUT_*).
KICKED_MULTIPLE_ACCOUNT = "multipleAccount"
KICKED_USERSIG_EXPIRED = "userSigExpired"
KICKED_REST_API = "REST_API_Kick"

MAX_INSTANCE_ID = 64


class InstanceKickedOut(IMError):
    """A reconnect of an instance that was kicked while it was away."""

    def __init__(self, reason: str) -> None:
        super().__init__(KICKED_OUT, f"this instance was kicked out ({reason}): log in again")
        self.reason = reason


def do_register_instance(
    *,
    account: Account,
    channel_name: str,
    sig_expires_at: datetime,
    instance_id: str = "",
    site_session: str = "",
) -> list[str]:
    """Record a login; kick the oldest sessions past the app's limit. Returns the
    channels of the connections kicked.

    Takes the account's row lock so two simultaneous logins count each other (on any
    process); the limit and the disabled flags are read under it. The registry's
    statements are ``im.instancesql``'s, hand-written: a login's hot path.

    An ``instance_id`` seen before is a reconnect: its row takes the new connection
    and keeps its place in login order; if it was kicked meanwhile the login is
    refused with ``InstanceKickedOut``. A disabled account is refused (70051).
    """
    now = timezone.now()
    with transaction.atomic():
        limit = _lock_for_login(account)
        rows = instancesql.drop_expired_and_list(account.pk, now)
        row = next((r for r in rows if instance_id and r.instance_id == instance_id), None)
        if row is not None:
            if row.kicked_reason:
                raise InstanceKickedOut(row.kicked_reason)
            if row.is_online and row.channel_name != channel_name:
                # One instance, one live connection: a second socket naming the same
                # instanceID takes the session over and the first one is told to go,
                # else any number of sockets could share one place under the limit.
                _tell_kicked([account.pk], [row.channel_name], KICKED_MULTIPLE_ACCOUNT)
            instancesql.reconnect_instance(
                row.pk,
                channel_name=channel_name,
                sig_expires_at=sig_expires_at,
                site_session=site_session,
            )
            # A reconnect keeps its place in login order.
            sessions = [r.pk for r in rows if not r.kicked_reason]
        else:
            instancesql.insert_instance(
                account_pk=account.pk,
                channel_name=channel_name,
                instance_id=instance_id,
                logged_in_at=now,
                sig_expires_at=sig_expires_at,
                site_session=site_session,
            )
            # The new login is the newest: every other was recorded under this lock
            # before it (so by lock order, whatever another process's clock said).
            sessions = [None, *(r.pk for r in rows if not r.kicked_reason)]
        over = sessions[limit:]
        if not over:
            return []
        return _kick(Instance.objects.filter(account=account, pk__in=over), KICKED_MULTIPLE_ACCOUNT)


def _lock_for_login(account: Account) -> int:
    """Take ``account``'s row lock and read again what may refuse a login: the account
    disabled (70051) or its site user deactivated, its app disabled (60016). An operator
    disabling the account takes the same lock, so a login racing that is either kicked
    by it or refused here (a disabled app's kick is not locked per account: see
    ``do_kick_app``). Returns the app's limit of instances online, as it is now."""
    state = instancesql.lock_account(account.pk)
    if state is None:
        raise IMError(ACCOUNT_NOT_FOUND, f"account {account.user_id!r} was removed")
    check_account_flags(
        account, disabled=state.account_disabled, site_user_active=state.site_user_active
    )
    account.app.is_disabled = state.app_disabled
    check_app_enabled(account.app)
    return state.max_web_instances


def _lock_enabled(account: Account) -> Account:
    """``account`` read again under its row lock, with its app and site user: refused
    (70051, 60016) if it or its app is disabled. An operator disabling the account takes
    the same lock, so a login racing that is either kicked by it or refused here (a
    disabled app's kick is not locked per account: see ``do_kick_app``)."""
    locked = one_or_none(
        Account.objects.select_for_update(of=("self",))
        .select_related("app", "site_user")
        .filter(pk=account.pk)
    )
    check_account_enabled(locked)
    check_app_enabled(locked.app)
    return locked


def _kick(rows: QuerySet[Instance], reason: str) -> list[str]:
    """Kick these instances: the connected ones hear it after commit.

    Sessions (an ``instance_id``) are remembered as kicked until their sig expires, so
    ``do_register_instance`` refuses their reconnects; the rest are forgotten. The
    caller holds the accounts' row locks (or, for a whole app, has refused its logins
    first). Returns the channels told.
    """
    online = list(rows.filter(is_online=True).values_list("account_id", "channel_name"))
    if online:
        _tell_kicked((a for a, _ in online), (channel for _, channel in online), reason)
    rows.filter(instance_id="").delete()
    rows.update(kicked_reason=reason, is_online=False)
    return [channel for _, channel in online]


def _tell_kicked(account_ids: Iterable[int], channels: Iterable[str], reason: str) -> None:
    """After commit, tell these connections that they are kicked out (they then close)."""
    send_event_on_commit(
        Event(
            KICKED_OUT_EVENT,
            Kick(reason),
            account_ids=frozenset(account_ids),
            channels=frozenset(channels),
        )
    )


@dataclass(frozen=True)
class OpenedSession:
    login: LoginResult
    group_pks: list[int]  # the IM groups whose pushes the connection must hear


def check_open_session(
    *,
    sdkappid: int,
    user_id: str,
    user_sig: str,
    channel_name: str,
    instance_id: str = "",
    address: str | None = None,
) -> OpenedSession:
    """Log a connection from network ``address`` in: count the address's logins,
    verify the UserSig, register the instance (kicking the oldest past the app's limit)
    and list the account's groups."""
    check_login_rate(address)
    if len(instance_id) > MAX_INSTANCE_ID:
        raise IMError(INVALID_PARAMS, f"instanceID is over {MAX_INSTANCE_ID} characters")
    login = check_login(sdkappid=sdkappid, user_id=user_id, user_sig=user_sig)
    return _open_session(login, channel_name=channel_name, instance_id=instance_id)


def check_resume_session(
    *, ticket: str, account_pk: int, channel_name: str, address: str | None = None
) -> OpenedSession:
    """Log a connection in by a session ticket (``tickets.issue_ticket``) instead of a
    UserSig: the instance the ticket names reconnects, refused if it was kicked
    meanwhile (``InstanceKickedOut``); the session expires with the ticket's sig."""
    check_login_rate(address)
    login, instance_id = check_ticket(ticket=ticket, account_pk=account_pk)
    return _open_session(login, channel_name=channel_name, instance_id=instance_id)


def _open_session(login: LoginResult, *, channel_name: str, instance_id: str) -> OpenedSession:
    do_register_instance(
        account=login.account,
        channel_name=channel_name,
        sig_expires_at=datetime.fromtimestamp(login.usersig.expires_at, tz=UTC),
        instance_id=instance_id,
        site_session=site_session_of(login.usersig),
    )
    account = login.account
    hooks.tell_on_commit(
        account.app, hooks.STATE_CHANGE, hooks.StateChanged(account, "Login", "Register")
    )
    return OpenedSession(login=login, group_pks=instancesql.member_group_pks(account.pk))


def check_renew_usersig(*, account: Account, channel_name: str, user_sig: str) -> UserSigInfo:
    """Give a logged-in connection a fresh UserSig for the same account, so the session
    carries on past its first sig's expiry without logging in again (Hutong's own; the
    chat page renews its short-lived sigs this way).

    The sig is checked as a login's is, against the app's current key; the account
    and its app must still be enabled, and the connection's instance not kicked. The
    instance then expires with the new sig and belongs to the browser session that
    issued it."""
    with transaction.atomic():
        app = _lock_enabled(account).app  # its key as it is now, not at the login
        info = verify_usersig(
            user_sig, sdkappid=app.sdkappid, secret_key=app.secret_key, user_id=account.user_id
        )
        row = one_or_none(Instance.objects.filter(channel_name=channel_name))
        if row is None or row.kicked_reason:
            raise InstanceKickedOut(row.kicked_reason if row else KICKED_REST_API)
        row.sig_expires_at = datetime.fromtimestamp(info.expires_at, tz=UTC)
        row.site_session = site_session_of(info)
        row.save(update_fields=["sig_expires_at", "site_session"])
    return info


def do_unregister_instance(
    *, channel_name: str, logout: bool = False, account: Account | None = None
) -> None:
    """A connection closed (or, with ``logout``, its session ended on purpose); the
    app's back end is told, if it asked (State.StateChange), when ``account`` is given.

    A session whose connection merely dropped stays, offline, for its reconnect; a
    kicked one stays to refuse it (see ``_kick``).
    """
    if account is not None:
        action, reason = ("Logout", "Unregister") if logout else ("Disconnect", "LinkClose")
        hooks.tell_on_commit(
            account.app, hooks.STATE_CHANGE, hooks.StateChanged(account, action, reason)
        )
    rows = Instance.objects.filter(channel_name=channel_name, kicked_reason="")
    if logout:
        rows.delete()
        return
    rows.filter(instance_id="").delete()
    rows.update(is_online=False)


SITE_SESSION_PREFIX = b"hutong-site-session:"


def site_session_of(usersig: UserSigInfo) -> str:
    """The chat site's session tag a sig carries in its userbuf (``site_session_tag``),
    or "" for a sig made elsewhere."""
    userbuf = usersig.userbuf or b""
    if not userbuf.startswith(SITE_SESSION_PREFIX):
        return ""
    tag = userbuf.removeprefix(SITE_SESSION_PREFIX)
    return tag.decode() if len(tag) == 32 and tag.isalnum() else ""


def do_end_site_session(tag: str) -> int:
    """The chat site's browser session ``tag`` signed out: kick every instance its sigs
    logged in (``REST_API_Kick``), connected or away. Returns how many."""
    if not tag:
        return 0
    with transaction.atomic():
        rows = Instance.objects.filter(site_session=tag, kicked_reason="")
        count = rows.count()
        _kick(rows, KICKED_REST_API)
    return count


def do_kick_account(
    *, account: Account, reason: str = KICKED_REST_API, keep_site_session: str = ""
) -> int:
    """Log every session of ``account`` out (the admin's and the REST API's kick), but
    those the chat site's browser session ``keep_site_session`` logged in, if given (a
    password change keeps the browser that made it). Returns how many were kicked."""
    with transaction.atomic():
        one_or_none(Account.objects.select_for_update().filter(pk=account.pk))
        rows = Instance.objects.filter(account=account, kicked_reason="")
        if keep_site_session:
            rows = rows.exclude(site_session=keep_site_session)
        count = rows.count()
        _kick(rows, reason)
    return count


def do_set_account_disabled(*, account: Account, disabled: bool) -> int:
    """Disable ``account`` (its sessions are kicked at once, its logins refused with
    70051) or enable it again. Returns how many sessions were kicked.

    Under the account's row lock, which ``do_register_instance`` takes too: a login
    either registers first and is kicked here, or sees the flag and is refused.
    """
    with transaction.atomic():
        one_or_none(Account.objects.select_for_update().filter(pk=account.pk))
        Account.objects.filter(pk=account.pk).update(is_disabled=disabled)
        account.is_disabled = disabled
        return do_kick_account(account=account) if disabled else 0


@in_callers_transaction
def do_kick_app(app: App, reason: str = KICKED_REST_API) -> int:
    """Kick every session of every account of ``app`` (the app is being disabled).
    Returns how many were kicked.

    One event for all of them, and no account row locks: the caller has set the app's
    ``is_disabled`` in this transaction, and ``do_register_instance`` reads it again, so
    only a login in flight at the very moment of the commit could slip past."""
    rows = Instance.objects.filter(account__app=app, kicked_reason="")
    count = rows.count()
    _kick(rows, reason)
    return count
