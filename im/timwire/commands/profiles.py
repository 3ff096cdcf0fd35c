"""TIM's ``profile`` and ``sns`` services: profiles and the blacklist."""

from __future__ import annotations

from typing import Any

from im import params
from im.errors import INVALID_PARAMS, IMError
from im.services import blacklist, profiles
from im.timwire.commands import Call, command
from im.timwire.serializers import profile_item


def _user_ids(items: object, key: str) -> list[str]:
    if not isinstance(items, list):
        raise IMError(INVALID_PARAMS, f"{key} must be an array")
    found = []
    for item in items:
        value = item.get("To_Account") if isinstance(item, dict) else item
        if not isinstance(value, str):
            raise IMError(INVALID_PARAMS, f"{key} names users by To_Account")
        found.append(value)
    return found


@command("profile.portrait_get_all")
def portrait_get_all(call: Call) -> dict[str, Any]:
    body = call.body
    user_ids = _user_ids(body.get("UserItem", body.get("To_Account", [])), "UserItem")
    tags = params.get_str_list(body, "TagList", default=None)
    found = profiles.get_user_profiles(account=call.account, user_ids=user_ids)
    return {"UserProfileItem": [profile_item(a, tags) for a in found]}


def _blacklist_body(user_ids: tuple[str, ...]) -> dict[str, Any]:
    return {
        "BlackListItem": [{"To_Account": u} for u in user_ids],
        "StartIndex": 0,
        "CurruentSequence": 0,  # (sic) TIM's spelling
    }


@command("sns.black_list_get")
def black_list_get(call: Call) -> dict[str, Any]:
    return _blacklist_body(blacklist.get_blacklist(account=call.account).user_ids)


def _result_items(user_ids: list[str]) -> dict[str, Any]:
    return {"ResultItem": [{"To_Account": u, "ResultCode": 0, "ResultInfo": ""} for u in user_ids]}


@command("sns.black_list_add")
def black_list_add(call: Call) -> dict[str, Any]:
    user_ids = params.get_str_list(call.body, "To_Account")
    blacklist.check_add_to_blacklist(
        account=call.account, user_ids=user_ids, origin_channel=call.channel
    )
    return _result_items(user_ids)


@command("sns.black_list_delete")
def black_list_delete(call: Call) -> dict[str, Any]:
    user_ids = params.get_str_list(call.body, "To_Account")
    blacklist.check_remove_from_blacklist(
        account=call.account, user_ids=user_ids, origin_channel=call.channel
    )
    return _result_items(user_ids)
