"""Reading typed fields out of a request's ``data`` object.

Type errors become ``IMError(INVALID_PARAMS)`` naming the field, so a client
author sees exactly what was wrong.
"""

from __future__ import annotations

from typing import Any

from im.errors import INVALID_PARAMS, IMError

_MISSING = object()


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _field(data: dict, name: str, default: Any) -> Any:
    """The field's value, or ``_MISSING`` when it is absent and has a default."""
    value = data.get(name, _MISSING)
    if value is _MISSING and default is _MISSING:
        raise IMError(INVALID_PARAMS, f"{name} is required")
    return value


def get_str(data: dict, name: str, *, default: Any = _MISSING) -> str:
    value = _field(data, name, default)
    if value is _MISSING:
        return default
    if not isinstance(value, str):
        raise IMError(INVALID_PARAMS, f"{name} must be a string, not {_type_name(value)}")
    return value


def get_int(data: dict, name: str, *, default: Any = _MISSING, numeric_str: bool = False) -> int:
    value = _field(data, name, default)
    if value is _MISSING:
        return default
    # At most 19 digits: Python refuses to parse over 4,300 (a ValueError), and no
    # column here holds more than a signed 64-bit integer.
    if numeric_str and isinstance(value, str) and value.isascii() and value.isdigit():
        if len(value) > 19 or int(value) >= 2**63:
            raise IMError(INVALID_PARAMS, f"{name} is out of range")
        return int(value)
    # bool is an int subclass in Python; true is not a number on the wire.
    if not isinstance(value, int) or isinstance(value, bool):
        raise IMError(INVALID_PARAMS, f"{name} must be an integer, not {_type_name(value)}")
    return value


def get_dict(data: dict, name: str) -> dict:
    value = data.get(name, _MISSING)
    if value is _MISSING:
        raise IMError(INVALID_PARAMS, f"{name} is required")
    if not isinstance(value, dict):
        raise IMError(INVALID_PARAMS, f"{name} must be an object, not {_type_name(value)}")
    return value


def get_bool(data: dict, name: str, *, default: Any = _MISSING) -> bool:
    value = _field(data, name, default)
    if value is _MISSING:
        return default
    if not isinstance(value, bool):
        raise IMError(INVALID_PARAMS, f"{name} must be true or false, not {_type_name(value)}")
    return value


def get_str_list(data: dict, name: str, *, default: Any = _MISSING) -> list[str]:
    value = _field(data, name, default)
    if value is _MISSING:
        return default
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise IMError(INVALID_PARAMS, f"{name} must be an array of strings")
    return value
