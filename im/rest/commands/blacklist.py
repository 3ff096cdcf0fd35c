"""``sns``: an account's blacklist, kept by the app's back end."""

from __future__ import annotations

from typing import Any

from im import params
from im.errors import FRIENDSHIP_ACCOUNT_NOT_FOUND, IMError
from im.models import Account
from im.rest.api import Caller, command, items
from im.rest.codes import SNS_INVALID
from im.selectors import accounts_by_user_id, find_account
from im.services import blacklist

SERVICE = "sns"
MAX_USERS = 1000


def _owner(caller: Caller, body: dict[str, Any]) -> Account:
    account = find_account(caller.app, params.get_str(body, "From_Account"))
    if account is None or account.deleted_at is not None:
        raise IMError(FRIENDSHIP_ACCOUNT_NOT_FOUND, "From_Account is not an account of this app")
    return account


def _change(caller: Caller, body: dict[str, Any], change: Any) -> dict[str, Any]:
    """Add or remove: the accounts that exist in one call of the service, each other
    userID reported in ``ResultItem`` with 30003 (TIM answers per item)."""
    owner = _owner(caller, body)
    user_ids = items(body, "To_Account", most=MAX_USERS, code=SNS_INVALID)
    if not all(isinstance(u, str) for u in user_ids):
        raise IMError(SNS_INVALID, "To_Account is an array of userIDs")
    wanted = list(dict.fromkeys(user_ids))
    existing = accounts_by_user_id(caller.app, wanted)
    known = [u for u in wanted if u in existing]
    if known:
        change(account=owner, user_ids=known)
    return {
        "ResultItem": [
            {
                "To_Account": u,
                "ResultCode": 0 if u in existing else FRIENDSHIP_ACCOUNT_NOT_FOUND,
                "ResultInfo": "" if u in existing else "not an account of this app",
            }
            for u in wanted
        ],
        "Fail_Account": [u for u in wanted if u not in existing],
    }


@command(SERVICE, "black_list_add", invalid_code=SNS_INVALID)
def black_list_add(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    return _change(caller, body, blacklist.check_add_to_blacklist)


@command(SERVICE, "black_list_delete", invalid_code=SNS_INVALID)
def black_list_delete(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    return _change(caller, body, blacklist.check_remove_from_blacklist)


@command(SERVICE, "black_list_get", invalid_code=SNS_INVALID)
def black_list_get(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    owner = _owner(caller, body)
    start = params.get_int(body, "StartIndex", default=0)
    limit = params.get_int(body, "MaxLimited", default=MAX_USERS)
    if start < 0 or not 1 <= limit <= MAX_USERS:
        raise IMError(SNS_INVALID, f"StartIndex >= 0 and MaxLimited 1-{MAX_USERS}")
    entries = blacklist.get_blacklist(account=owner).user_ids
    page = entries[start : start + limit]
    after = start + len(page)
    return {
        "BlackListItem": [{"To_Account": u} for u in page],
        "StartIndex": after if after < len(entries) else 0,
        "CurruentSequence": len(entries),
    }
