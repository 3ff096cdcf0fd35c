"""Profiles: TIM's ``Tag_Profile_IM_*`` fields and ``Tag_Profile_Custom_*`` fields of an
account, read by anyone in its app and changed by the account itself (or an operator).

Limits are TIM's: nick, signature, avatar URL and custom values at most 500 bytes
(40601), a location at most 16 bytes, numbers TIM's uint32, choices TIM's strings
(40603 outside them), a value of the wrong type 40604, custom keys
``Tag_Profile_Custom_`` and 1-8 letters, digits or underscores (40009). TIM has an app
define its custom fields first, at most 20; Hutong has no such console and takes any
well-formed key, at most 20 per account.

A change tells, after commit, ``PROFILE_UPDATED`` to the account's other connections
and to everyone who sees its nick and avatar: its C2C peers with a stored conversation
and the members of its groups (``selectors.profile_audience``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from im.errors import (
    PROFILE_NOTHING_TO_UPDATE,
    PROFILE_TAG_NOT_FOUND,
    PROFILE_UNKNOWN_FIELD,
    PROFILE_VALUE_INVALID,
    PROFILE_VALUE_TOO_LONG,
    PROFILE_VALUE_TYPE,
    IMError,
)
from im.events import Event, send_event_on_commit
from im.models import Account
from im.selectors import profile_audience, profiles_by_user_id
from im.services import uploads
from im.transactions import in_callers_transaction

MAX_USERS = 100  # getUserProfile: the first 100 userIDs are read, as TIM's SDK does
MAX_TEXT_BYTES = 500
MAX_LOCATION_BYTES = 16
MAX_CUSTOM_FIELDS = 20
UINT32_MAX = 2**32 - 1
CUSTOM_KEY = re.compile(r"Tag_Profile_Custom_[A-Za-z0-9_]{1,8}")
PROFILE_UPDATED = "PROFILE_UPDATED"


def _type_error(field: str, expected: str, value: object) -> IMError:
    return IMError(PROFILE_VALUE_TYPE, f"{field} must be {expected}, not {type(value).__name__}")


def _text(max_bytes: int) -> Callable[[str, object], str]:
    def check(field: str, value: object) -> str:
        if not isinstance(value, str):
            raise _type_error(field, "a string", value)
        size = len(value.encode())
        if size > max_bytes:
            code = PROFILE_VALUE_TOO_LONG if max_bytes == MAX_TEXT_BYTES else PROFILE_VALUE_INVALID
            raise IMError(code, f"{field} is {size} bytes; at most {max_bytes}")
        if any(not ch.isprintable() and ch not in "\n\t" for ch in value):
            raise IMError(PROFILE_VALUE_INVALID, f"{field} must not contain control characters")
        return value

    return check


def _uint32(field: str, value: object) -> int:
    # bool is an int subclass in Python; true is not a number on the wire.
    if not isinstance(value, int) or isinstance(value, bool):
        raise _type_error(field, "an integer", value)
    if not 0 <= value <= UINT32_MAX:
        raise IMError(PROFILE_VALUE_INVALID, f"{field} must be 0-{UINT32_MAX}")
    return value


def _one_of(*allowed: object) -> Callable[[str, object], object]:
    kinds = {type(a) for a in allowed}

    def check(field: str, value: object) -> object:
        if type(value) not in kinds:
            raise _type_error(field, " or ".join(sorted(k.__name__ for k in kinds)), value)
        if value not in allowed:
            raise IMError(PROFILE_VALUE_INVALID, f"{field} must be one of {list(allowed)}")
        return value

    return check


# The columns updateMyProfile may change and how each value is checked. ``avatar`` and
# ``profile_custom_fields`` have their own checks below.
CHECKS: dict[str, Callable[[str, object], object]] = {
    "nick": _text(MAX_TEXT_BYTES),
    "gender": _one_of(*Account.Gender.values),
    "self_signature": _text(MAX_TEXT_BYTES),
    "allow_type": _one_of(*Account.AllowType.values),
    "birthday": _uint32,
    "location": _text(MAX_LOCATION_BYTES),
    "language": _uint32,
    "message_settings": _one_of(0, 1),
    "admin_forbid_type": _one_of(*Account.AdminForbidType.values),
    "level": _uint32,
    "role": _uint32,
}
FIELDS = frozenset({*CHECKS, "avatar", "profile_custom_fields"})


def check_avatar_url(value: object) -> str:
    """An avatar link: "" (none), or an http(s) URL of at most 500 bytes."""
    url = _text(MAX_TEXT_BYTES)("avatar", value)
    if url == "":
        return url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise IMError(PROFILE_VALUE_INVALID, "avatar must be an http or https URL")
    return url


def _custom_fields(value: object) -> dict[str, str]:
    """``[{key, value}]`` as a mapping; an empty value removes the key."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise IMError(PROFILE_UNKNOWN_FIELD, "profileCustomField must be an array of {key, value}")
    changes: dict[str, str] = {}
    for item in value:
        key = item.get("key")
        if not isinstance(key, str) or not CUSTOM_KEY.fullmatch(key):
            raise IMError(
                PROFILE_TAG_NOT_FOUND,
                f"profileCustomField key {key!r} must be Tag_Profile_Custom_ and 1-8 letters, "
                "digits or underscores",
            )
        changes[key] = _text(MAX_TEXT_BYTES)(key, item.get("value", ""))
    return changes


def _avatar(account: Account, value: object) -> dict[str, str]:
    """The avatar columns for a URL, or for ``{"uuid"}`` of a finished avatar upload."""
    if isinstance(value, dict):
        uuid = value.get("uuid")
        if not isinstance(uuid, str):
            raise _type_error("avatar.uuid", "a string", uuid)
        upload = uploads.ready_avatar(account, uuid)
        return {"avatar": "", "avatar_upload": upload.uuid}
    if not isinstance(value, str):
        raise _type_error("avatar", "a URL or {uuid}", value)
    return {"avatar": check_avatar_url(value), "avatar_upload": ""}


def check_update_profile(
    *, account: Account, changes: dict[str, object], origin_channel: str | None = None
) -> Account:
    """Change ``account``'s profile fields named in ``changes`` (column names); an entry
    point, one transaction under the account's row lock. Every value is checked before
    anything is written: a bad one changes nothing. Returns ``account``, updated."""
    if not changes:
        raise IMError(PROFILE_NOTHING_TO_UPDATE, "updateMyProfile needs at least one field")
    unknown = sorted(set(changes) - FIELDS)
    if unknown:
        raise IMError(PROFILE_UNKNOWN_FIELD, f"not profile fields: {', '.join(unknown)}")
    columns: dict[str, object] = {}
    for field, value in changes.items():
        if field == "avatar":
            columns.update(_avatar(account, value))
        elif field != "profile_custom_fields":
            columns[field] = CHECKS[field](field, value)
    custom = None
    if "profile_custom_fields" in changes:
        custom = _custom_fields(changes["profile_custom_fields"])
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        if custom is not None:
            merged = {**locked.profile_custom_fields, **custom}
            merged = {k: v for k, v in merged.items() if v != ""}
            if len(merged) > MAX_CUSTOM_FIELDS:
                raise IMError(
                    PROFILE_VALUE_INVALID, f"at most {MAX_CUSTOM_FIELDS} profileCustomField keys"
                )
            columns["profile_custom_fields"] = merged
        return do_update_profile(
            account=account,
            columns=columns,
            old_avatar_upload=locked.avatar_upload,
            origin_channel=origin_channel,
        )


@in_callers_transaction
def do_update_profile(
    *,
    account: Account,
    columns: dict[str, object],
    old_avatar_upload: str,
    origin_channel: str | None,
) -> Account:
    """Write checked profile columns (the caller holds the account's row lock) and
    schedule PROFILE_UPDATED. An uploaded avatar that is replaced loses its objects once
    this commits."""
    columns = {**columns, "profile_updated_at": timezone.now()}
    Account.objects.filter(pk=account.pk).update(**columns)
    for field, value in columns.items():
        setattr(account, field, value)
    new_avatar = columns.get("avatar_upload", old_avatar_upload)
    if new_avatar != old_avatar_upload:
        if new_avatar:
            uploads.do_attach_avatar(new_avatar)
        if old_avatar_upload:
            uploads.do_remove_avatar(old_avatar_upload)
    send_event_on_commit(
        Event(
            PROFILE_UPDATED,
            account,
            account_ids=profile_audience(account),
            exclude_channel=origin_channel,
            profile_of=account.pk,
        )
    )
    return account


def get_my_profile(*, account: Account) -> Account:
    """The account as stored now (a session's copy may predate a change elsewhere)."""
    return Account.objects.get(pk=account.pk)


def get_user_profiles(*, account: Account, user_ids: list[str]) -> list[Account]:
    """The profiles of the first 100 ``user_ids`` in ``account``'s app, in the order
    asked; userIDs with no account are left out, as TIM does."""
    wanted = list(dict.fromkeys(user_ids[:MAX_USERS]))
    found = profiles_by_user_id(account.app_id, wanted)
    return [found[user_id] for user_id in wanted if user_id in found]
