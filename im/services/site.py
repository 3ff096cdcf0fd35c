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

from im.models import Account, App
from im.services.accounts import check_account_enabled, check_app_enabled, check_user_id
from im.usersig import gen_usersig


def ensure_site_app() -> App:
    """The app of ``IM_SITE_SDKAPPID``, created with a fresh key on first use."""
    try:
        with transaction.atomic():
            app, _ = App.objects.get_or_create(
                sdkappid=settings.IM_SITE_SDKAPPID,
                defaults={"secret_key": secrets.token_hex(32), "name": "Hutong"},
            )
    except IntegrityError:
        app = App.objects.get(sdkappid=settings.IM_SITE_SDKAPPID)
    return app


def do_link_site_account(*, app: App, user: AbstractBaseUser) -> Account:
    """The account for ``user`` in the site app: userID is the username."""
    user_id = user.get_username()
    check_user_id(user_id)
    with transaction.atomic():
        account, created = Account.objects.select_for_update().get_or_create(
            app=app, user_id=user_id, defaults={"site_user": user, "nick": user_id}
        )
        if not created and account.site_user_id is None:
            account.site_user = user
            account.save(update_fields=["site_user"])
    return account


def site_credentials(user: AbstractBaseUser) -> dict[str, Any]:
    """What the chat page needs to log its SDK in: SDKAppID, userID, userSig."""
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
        ),
        "expireTime": now + expire,
    }
