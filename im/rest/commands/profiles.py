"""``profile``: an account's profile read and written by the app's back end, with TIM's
``Tag_Profile_IM_*`` tags."""

from __future__ import annotations

from typing import Any

from im import params
from im.errors import IMError
from im.models import Account
from im.rest.api import Caller, command, items
from im.rest.codes import PROFILE_INVALID
from im.selectors import find_account, profiles_by_user_id
from im.services.profiles import CUSTOM_KEY, check_update_profile

SERVICE = "profile"
MAX_USERS = 100
MAX_TAGS = 64  # more than the standard tags and custom fields together
# TIM's standard tags and the profile columns they are.
TAGS = {
    "Tag_Profile_IM_Nick": "nick",
    "Tag_Profile_IM_Gender": "gender",
    "Tag_Profile_IM_BirthDay": "birthday",
    "Tag_Profile_IM_Location": "location",
    "Tag_Profile_IM_SelfSignature": "self_signature",
    "Tag_Profile_IM_AllowType": "allow_type",
    "Tag_Profile_IM_Language": "language",
    "Tag_Profile_IM_Image": "avatar",
    "Tag_Profile_IM_MsgSettings": "message_settings",
    "Tag_Profile_IM_AdminForbidType": "admin_forbid_type",
    "Tag_Profile_IM_Level": "level",
    "Tag_Profile_IM_Role": "role",
}


def _tag_value(account: Account, tag: str) -> object:
    if tag in TAGS:
        return getattr(account, TAGS[tag])
    return account.profile_custom_fields.get(tag, "")


def _check_tag(tag: object) -> str:
    if not isinstance(tag, str) or not (tag in TAGS or CUSTOM_KEY.fullmatch(tag)):
        raise IMError(PROFILE_INVALID, f"{tag!r} is not a profile tag")
    return tag


@command(SERVICE, "portrait_get", invalid_code=PROFILE_INVALID)
def portrait_get(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    user_ids = items(body, "To_Account", most=MAX_USERS, code=PROFILE_INVALID)
    tag_list = items(body, "TagList", most=MAX_TAGS, code=PROFILE_INVALID)
    tags = [_check_tag(t) for t in tag_list]
    if not all(isinstance(u, str) for u in user_ids):
        raise IMError(PROFILE_INVALID, "To_Account is an array of userIDs")
    found = profiles_by_user_id(caller.app.pk, user_ids)
    profiles, failed = [], []
    for user_id in dict.fromkeys(user_ids):
        account = found.get(user_id)
        if account is None or account.deleted_at is not None:
            failed.append(user_id)
            continue
        profiles.append(
            {
                "To_Account": user_id,
                "ProfileItem": [{"Tag": t, "Value": _tag_value(account, t)} for t in tags],
                "ResultCode": 0,
                "ResultInfo": "",
            }
        )
    return {"UserProfileItem": profiles, "FailAccount": failed}


@command(SERVICE, "portrait_set", invalid_code=PROFILE_INVALID)
def portrait_set(caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
    account = find_account(caller.app, params.get_str(body, "From_Account"))
    if account is None or account.deleted_at is not None:
        raise IMError(PROFILE_INVALID, "From_Account is not an account of this app")
    changes: dict[str, object] = {}
    custom: dict[str, object] = {}
    for item in items(body, "ProfileItem", most=MAX_TAGS, code=PROFILE_INVALID):
        if not isinstance(item, dict) or "Value" not in item:
            raise IMError(PROFILE_INVALID, 'each ProfileItem is {"Tag": "...", "Value": ...}')
        tag = _check_tag(item.get("Tag"))
        if tag in TAGS:
            changes[TAGS[tag]] = item["Value"]
        else:
            custom[tag] = item["Value"]
    if custom:
        changes["profile_custom_fields"] = [{"key": k, "value": v} for k, v in custom.items()]
    check_update_profile(account=account, changes=changes)
    return {}
