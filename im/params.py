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


def get_str(data: dict, name: str, *, default: Any = _MISSING) -> str:
    value = data.get(name, _MISSING)
    if value is _MISSING:
        if default is _MISSING:
            raise IMError(INVALID_PARAMS, f"{name} is required")
        return default
    if not isinstance(value, str):
        raise IMError(INVALID_PARAMS, f"{name} must be a string, not {_type_name(value)}")
    return value


def get_int(data: dict, name: str, *, default: Any = _MISSING, numeric_str: bool = False) -> int:
    value = data.get(name, _MISSING)
    if value is _MISSING:
        if default is _MISSING:
            raise IMError(INVALID_PARAMS, f"{name} is required")
        return default
    if numeric_str and isinstance(value, str) and value.isascii() and value.isdigit():
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
