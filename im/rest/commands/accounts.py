"""``im_open_login_svc`` (accounts) and ``openim/querystate``-style online status."""

from __future__ import annotations

from typing import Any

from im import params
from im.errors import IMError
from im.rest.api import Caller, command, items
from im.rest.codes import ACCOUNT_INVALID, OPENIM_INVALID
from im.selectors import find_account
from im.services.account_lifecycle import (
    check_import_account,
    do_delete_account,
    imported_user_ids,
    online_states,
)
from im.services.instances import do_kick_account

SERVICE = "im_open_login_svc"
MAX_BATCH = 100  # multiaccount_import, account_delete, account_check
MAX_STATUS_QUERY = 500


@command(SERVICE, "account_import", invalid_code=ACCOUNT_INVALID)
def account_import(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    check_import_account(
        app=caller.app,
        user_id=params.get_str(body, "UserID"),
        nick=params.get_str(body, "Nick", default=None),
        avatar=params.get_str(body, "FaceUrl", default=None),
    )
    return {}


@command(SERVICE, "multiaccount_import", invalid_code=ACCOUNT_INVALID)
def multiaccount_import(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    user_ids = items(body, "Accounts", most=MAX_BATCH, code=ACCOUNT_INVALID)
    failed = []
    for user_id in user_ids:
        try:
            if not isinstance(user_id, str):
                raise IMError(ACCOUNT_INVALID, "a userID is a string")
            check_import_account(app=caller.app, user_id=user_id)
        except IMError:
            failed.append(user_id)
    return {"FailAccounts": failed}


def _user_ids(body: dict[str, Any], name: str) -> list[str]:
    entries = items(body, name, most=MAX_BATCH, code=ACCOUNT_INVALID)
    if not all(isinstance(e, dict) and isinstance(e.get("UserID"), str) for e in entries):
        raise IMError(ACCOUNT_INVALID, f'each {name} item is {{"UserID": "..."}}')
    return [e["UserID"] for e in entries]


@command(SERVICE, "account_delete", invalid_code=ACCOUNT_INVALID)
def account_delete(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    results = []
    for user_id in _user_ids(body, "DeleteItem"):
        account = find_account(caller.app, user_id)
        if account is not None:
            do_delete_account(account)
        # TIM answers 0 for a userID that was never imported too: it is gone either way.
        results.append({"ResultCode": 0, "ResultInfo": "", "UserID": user_id})
    return {"ResultItem": results}


@command(SERVICE, "account_check", invalid_code=ACCOUNT_INVALID)
def account_check(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    user_ids = _user_ids(body, "CheckItem")
    imported = imported_user_ids(caller.app, user_ids)
    return {
        "ResultItem": [
            {
                "UserID": user_id,
                "ResultCode": 0,
                "ResultInfo": "",
                "AccountStatus": "Imported" if user_id in imported else "NotImported",
            }
            for user_id in user_ids
        ]
    }


@command(SERVICE, "kick", invalid_code=ACCOUNT_INVALID)
def kick(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    account = find_account(caller.app, params.get_str(body, "UserID"))
    if account is not None:
        do_kick_account(account=account)
    return {}


@command("openim", "query_online_status", invalid_code=OPENIM_INVALID)
def query_online_status(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    user_ids = items(body, "To_Account", most=MAX_STATUS_QUERY, code=OPENIM_INVALID)
    if not all(isinstance(u, str) for u in user_ids):
        raise IMError(OPENIM_INVALID, "To_Account is an array of userIDs")
    detail = params.get_int(body, "IsNeedDetail", default=0) == 1
    states, missing = online_states(caller.app, user_ids)
    results = []
    for state in states:
        result: dict[str, Any] = {
            "To_Account": state.user_id,
            "Status": "Online" if state.online_instances else "Offline",
        }
        if detail:
            # Every Hutong client is a web page.
            result["Detail"] = [
                {"Platform": "Web", "Status": "Online"} for _ in range(state.online_instances)
            ]
        results.append(result)
    errors = [{"To_Account": user_id, "ErrorCode": 70107} for user_id in missing]
    return {"QueryResult": results, "ErrorList": errors}
