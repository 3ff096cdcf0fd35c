"""The chat pages' own app: signed-in site users get an account and a UserSig.

The secret key stays on the server; the page only ever sees the sig.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from im.errors import INVALID_PARAMS, IMError
from im.models import MAX_WEB_INSTANCES, Account, App
from im.results import PeoplePage
from im.selectors import find_site_people, one_or_none
from im.services.accounts import check_account_enabled, check_app_enabled, check_user_id
from im.services.instances import SITE_SESSION_PREFIX, do_end_site_session, do_kick_account
from im.services.profiles import MAX_TEXT_BYTES
from im.usersig import gen_usersig

# The site app's web instances online at once: people open the chat in several tabs and
# on several devices, and with TIM's default of 1 each new tab would sign the others out.
SITE_WEB_INSTANCES = MAX_WEB_INSTANCES
# Finding people on the chat page: a page of matches, the longest search text, how far
# the pages go (past that, a longer text narrows it down).
PEOPLE_PAGE_SIZE = 20
MAX_PEOPLE_PAGE_SIZE = 50
MAX_PEOPLE_QUERY = 100
MAX_PEOPLE_OFFSET = 10_000


def ensure_site_app() -> App:
    """The app of ``IM_SITE_SDKAPPID``, created with a fresh key on first use, allowing
    ``SITE_WEB_INSTANCES`` tabs at once (an operator may lower it in the admin)."""
    try:
        with transaction.atomic():
            app, _ = App.objects.get_or_create(
                sdkappid=settings.IM_SITE_SDKAPPID,
                defaults={
                    "secret_key": secrets.token_hex(32),
                    "name": "Hutong",
                    "max_web_instances": SITE_WEB_INSTANCES,
                },
            )
    except IntegrityError:
        app = App.objects.get(sdkappid=settings.IM_SITE_SDKAPPID)
    return app


def do_link_site_account(*, app: App, user: AbstractBaseUser) -> Account:
    """The account of ``user`` in the site app, created with it (``ImConfig.ready``
    connects this to the user model's ``post_save``) or on its first use before that.

    The userID is chosen once: the username, then kept through renames (the account is
    found by its site user, not by name). A username TIM cannot take as a userID (over
    32 bytes), or one whose account belongs to another site user (renamed away from
    it), gets ``user~<pk>``, which no username can be. The nick starts as the full name,
    or the username.
    """
    linked = one_or_none(Account.objects.filter(app=app, site_user=user).order_by("pk"))
    if linked is not None:
        return linked
    username = user.get_username()
    nick = user.get_full_name() if hasattr(user, "get_full_name") else ""
    nick = (nick or username)[: MAX_TEXT_BYTES // 4]  # 500 bytes however wide the letters
    for user_id in _user_ids(username, user.pk):
        try:
            with transaction.atomic():
                account, created = Account.objects.select_for_update().get_or_create(
                    app=app, user_id=user_id, defaults={"site_user": user, "nick": nick}
                )
                if created or account.site_user_id == user.pk:
                    return account
                if account.site_user_id is None:  # made by a login before the user linked
                    account.site_user = user
                    account.save(update_fields=["site_user"])
                    return account
        except IntegrityError:  # another request created it first: look again
            account = Account.objects.get(app=app, user_id=user_id)
            if account.site_user_id == user.pk:
                return account
    raise IMError(INVALID_PARAMS, f"no userID is free for site user {user.pk}")


def _user_ids(username: str, pk: object) -> list[str]:
    """The userIDs a site user may get, best first."""
    try:
        check_user_id(username)
    except IMError:
        return [f"user~{pk}"]
    return [username, f"user~{pk}"]


def do_ensure_site_account(user: AbstractBaseUser) -> Account:
    """The one way a site user gets its IM account: for every new user, whoever creates
    it (the admin, ``createsuperuser``, ``imdemo``, a sign-up)."""
    return do_link_site_account(app=ensure_site_app(), user=user)


def on_user_saved(sender: type, instance: AbstractBaseUser, created: bool, raw: bool, **_) -> None:
    """``post_save`` of the user model: a new user has its account at once, so it can
    be messaged before it ever opens the chat; a deactivated one's sessions are kicked
    (its logins are refused by ``check_account_enabled``). Fixtures loaded raw are left
    alone."""
    if raw:
        return
    if created:
        do_ensure_site_account(instance)
    elif not instance.is_active:
        for account in Account.objects.filter(site_user=instance):
            do_kick_account(account=account)


def site_session_tag(session_key: str) -> str:
    """A browser session's tag, carried in the sigs issued to it: a keyed hash, so the
    sig (which the page can read) does not reveal the session key."""
    return salted_hmac("im.site-session", session_key).hexdigest()[:32]


def on_user_logged_out(sender: type, request: HttpRequest | None, **_) -> None:
    """``user_logged_out``: the IM sessions this browser session logged in end with it
    (the signal comes before the session is flushed)."""
    session_key = request.session.session_key if request is not None else None
    if session_key:
        do_end_site_session(site_session_tag(session_key))


def do_end_other_site_sessions(user: AbstractBaseUser, *, keep_session_key: str | None) -> int:
    """``user``'s password changed (or was reset): Django signs its other browser
    sessions out, since their session hash no longer matches; this kicks the IM sessions
    they logged in too, which would otherwise stay until their sig expires. The browser
    session ``keep_session_key`` (the one that changed it, its key from before the change
    cycled it) keeps its own. Returns how many were kicked."""
    keep = site_session_tag(keep_session_key) if keep_session_key else ""
    return sum(
        do_kick_account(account=account, keep_site_session=keep)
        for account in Account.objects.filter(site_user=user)
    )


def site_credentials(user: AbstractBaseUser, session_key: str | None = None) -> dict[str, Any]:
    """What the chat page needs to log its SDK in: SDKAppID, userID, userSig. Given the
    browser session's key, the sig names that session, so signing out ends the IM
    sessions it opened."""
    app = ensure_site_app()
    check_app_enabled(app)
    account = do_link_site_account(app=app, user=user)
    check_account_enabled(account)  # the page then says why, rather than failing to log in
    expire = settings.IM_SITE_USERSIG_EXPIRE
    now = int(time.time())
    return {
        "SDKAppID": app.sdkappid,
        "userID": account.user_id,
        "userSig": gen_usersig(
            sdkappid=app.sdkappid,
            secret_key=app.secret_key,
            user_id=account.user_id,
            expire=expire,
            now=now,
            userbuf=SITE_SESSION_PREFIX + site_session_tag(session_key).encode()
            if session_key
            else None,
        ),
        "expireTime": now + expire,
    }


def check_find_people(
    *, user: AbstractBaseUser, query: str, offset: int = 0, limit: int = PEOPLE_PAGE_SIZE
) -> PeoplePage:
    """A page of the chat site's users whose userID or nick contains ``query``, for a
    signed-in site user whose account may log in (the searcher is left out: one starts
    a chat with someone else). Refused with 6017 for a text over ``MAX_PEOPLE_QUERY``
    characters or holding NUL, or an offset or size out of range."""
    query = query.strip()
    if len(query) > MAX_PEOPLE_QUERY:
        raise IMError(INVALID_PARAMS, f"q is over {MAX_PEOPLE_QUERY} characters")
    if "\x00" in query:
        raise IMError(INVALID_PARAMS, "q may not contain NUL")
    if not 0 <= offset <= MAX_PEOPLE_OFFSET:
        raise IMError(INVALID_PARAMS, f"offset must be from 0 to {MAX_PEOPLE_OFFSET}")
    if not 1 <= limit <= MAX_PEOPLE_PAGE_SIZE:
        raise IMError(INVALID_PARAMS, f"limit must be from 1 to {MAX_PEOPLE_PAGE_SIZE}")
    app = ensure_site_app()
    check_app_enabled(app)
    account = do_link_site_account(app=app, user=user)
    check_account_enabled(account)
    found = find_site_people(app, query, exclude=account, offset=offset, limit=limit + 1)
    more = len(found) > limit
    return PeoplePage(people=found[:limit], next_offset=offset + limit if more else None)
