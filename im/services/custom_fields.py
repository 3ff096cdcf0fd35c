"""Group and member custom fields: TIM's ``groupCustomField`` / ``memberCustomField``,
``[{key, value}]`` lists kept as a key → value mapping. An empty value removes a key."""

from __future__ import annotations

import re
from dataclasses import dataclass

from im.errors import GROUP_INVALID_PARAMS, IMError

_KEY = re.compile(r"[A-Za-z0-9_]{1,16}")


@dataclass(frozen=True)
class FieldLimits:
    what: str
    max_keys: int
    max_value_bytes: int


GROUP_FIELDS = FieldLimits("groupCustomField", max_keys=10, max_value_bytes=4096)
MEMBER_FIELDS = FieldLimits("memberCustomField", max_keys=5, max_value_bytes=64)


def check_fields(limits: FieldLimits, fields: object) -> dict[str, str]:
    """``[{"key", "value"}]`` as a mapping, or 10004 naming what is wrong."""
    if not isinstance(fields, list):
        raise IMError(GROUP_INVALID_PARAMS, f"{limits.what} must be an array of {{key, value}}")
    clean: dict[str, str] = {}
    for item in fields:
        if not isinstance(item, dict):
            raise IMError(GROUP_INVALID_PARAMS, f"{limits.what} items must be objects")
        key, value = item.get("key"), item.get("value", "")
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise IMError(
                GROUP_INVALID_PARAMS,
                f"{limits.what} key {key!r} must be 1-16 letters, digits or underscores",
            )
        if not isinstance(value, str) or len(value.encode()) > limits.max_value_bytes:
            raise IMError(
                GROUP_INVALID_PARAMS,
                f"{limits.what} {key!r} must be a string of at most {limits.max_value_bytes} bytes",
            )
        clean[key] = value
    return clean


def merged(limits: FieldLimits, current: dict[str, str], changes: dict[str, str]) -> dict[str, str]:
    """``current`` with ``changes`` applied; more keys than the limit is 10004."""
    result = {**current, **changes}
    result = {k: v for k, v in result.items() if v != ""}
    if len(result) > limits.max_keys:
        raise IMError(GROUP_INVALID_PARAMS, f"at most {limits.max_keys} {limits.what} keys")
    return result
