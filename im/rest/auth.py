"""Who a REST request comes from: its query string names the app and an administrator
account, and carries that account's UserSig."""

from __future__ import annotations

from collections.abc import Mapping

from im.errors import USERSIG_EMPTY, IMError
from im.rest.api import Caller
from im.rest.codes import HTTP_PARSE_ERROR, NEEDS_ADMIN, NEEDS_SDKAPPID
from im.selectors import find_account, get_app
from im.services.accounts import check_account_enabled, check_app_enabled
from im.usersig import verify_usersig

MAX_RANDOM = 2**32 - 1


def authenticate(query: Mapping[str, str]) -> Caller:
    """The app and administrator the query names, once its UserSig is verified and the
    account is (still) an administrator of the app; refused with TIM's codes."""
    sdkappid, identifier = query.get("sdkappid", ""), query.get("identifier", "")
    if not (sdkappid.isascii() and sdkappid.isdigit() and len(sdkappid) <= 15):
        raise IMError(NEEDS_SDKAPPID, "the query must carry sdkappid, the app's SDKAppID")
    if not identifier:
        raise IMError(NEEDS_SDKAPPID, "the query must carry identifier, an app administrator")
    random = query.get("random", "")
    if not (random.isascii() and random.isdigit() and int(random[:11]) <= MAX_RANDOM):
        raise IMError(HTTP_PARSE_ERROR, f"random must be a number 0-{MAX_RANDOM}")
    if query.get("contenttype", "json") != "json":
        raise IMError(HTTP_PARSE_ERROR, "contenttype must be json")
    user_sig = query.get("usersig", "")
    if not user_sig:
        raise IMError(USERSIG_EMPTY, "the query must carry usersig")
    app = get_app(int(sdkappid))
    check_app_enabled(app)
    verify_usersig(user_sig, sdkappid=app.sdkappid, secret_key=app.secret_key, user_id=identifier)
    admin = find_account(app, identifier)
    if admin is None or not admin.is_admin:
        raise IMError(
            NEEDS_ADMIN,
            f"{identifier!r} is not an administrator of this app (make it one with "
            f"`manage.py imapp --sdkappid {app.sdkappid} --admin {identifier}` or in the admin)",
        )
    check_account_enabled(admin)
    return Caller(app=app, admin=admin)
