"""Reading one text frame of the Hutong protocol into a request object.

Everything no op could take is refused here, once, before any op sees the frame, so a
bad value gets the same parameter error on SQLite and PostgreSQL instead of failing
deep in a driver, an encoder or Python's own recursion limit:

- a frame over ``IM_MAX_FRAME_BYTES`` (93000), text that is not JSON or not an object
  (60003), and JSON's non-standard ``NaN``/``Infinity`` (60003);
- nesting deeper than ``MAX_DEPTH`` (no request has more than a few levels; Python's
  parser gives up near 1,000, and a structure that deep cannot be stored or sent back);
- a string with a NUL character (PostgreSQL cannot store one in text or jsonb, SQLite
  can: refusing it everywhere keeps the two configurations alike) or a lone UTF-16
  surrogate (``"\\ud800"`` parses, but cannot be encoded as UTF-8 to be stored or sent);
- an integer outside a signed 64-bit column, or a number too large to be finite.
"""

from __future__ import annotations

import json
import math

from im.errors import FRAME_TOO_LARGE, INVALID_JSON, INVALID_PARAMS, IMError

MAX_DEPTH = 32
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


class BadFrame(Exception):
    """A frame refused whole: ``error`` to answer with, under ``request_id``."""

    def __init__(self, error: IMError, request_id: int | str | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.request_id = request_id


def _int(literal: str) -> int:
    # 19 digits and a sign fit; past that, Python's int() itself refuses 4,301 digits.
    value = int(literal) if len(literal) <= 20 else INT_MAX + 1
    if not INT_MIN <= value <= INT_MAX:
        raise IMError(INVALID_PARAMS, "an integer in the frame is out of range")
    return value


def _float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise IMError(INVALID_PARAMS, "a number in the frame is out of range")
    return value


def _no_constant(name: str) -> float:
    raise IMError(INVALID_JSON, f"{name} is not JSON")


# Numbers are checked as they are parsed (a call per number, cheaper than a walk).
_decoder = json.JSONDecoder(parse_int=_int, parse_float=_float, parse_constant=_no_constant)


def parse_frame(text: str, *, max_bytes: int) -> dict:
    """The request object in ``text``; ``BadFrame`` if there is none to take."""
    if len(text) * 4 > max_bytes:  # a cheap bound before encoding
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > max_bytes:
            raise BadFrame(
                IMError(FRAME_TOO_LARGE, f"frame is {size} bytes; the limit is {max_bytes}")
            )
    try:
        frame = _decoder.decode(text)
    except RecursionError:
        raise BadFrame(_too_deep()) from None
    except ValueError:
        raise BadFrame(IMError(INVALID_JSON, "frame is not valid JSON")) from None
    except IMError as error:  # a number out of range: answer under the frame's id
        raise BadFrame(error, _lenient_request_id(text)) from None
    if not isinstance(frame, dict):
        raise BadFrame(IMError(INVALID_JSON, "frame must be a JSON object"))
    # JSON text carries a NUL or a lone surrogate only as a \u escape, and is nested
    # deeper than the limit only with more brackets than that: most frames skip the walk.
    if "\\u" in text or text.count("{") + text.count("[") > MAX_DEPTH:
        try:
            check_values(frame)
        except IMError as error:
            raise BadFrame(error, request_id(frame)) from None
    return frame


def _lenient_request_id(text: str) -> int | str | None:
    """The id of a frame refused for one of its numbers: parsed again with every number
    taken for null but those that could be an id."""
    try:
        frame = json.loads(
            text,
            parse_int=lambda literal: int(literal) if len(literal) <= 20 else None,
            parse_float=lambda literal: None,
            parse_constant=lambda name: None,
        )
    except (ValueError, RecursionError):
        return None
    return request_id(frame) if isinstance(frame, dict) else None


def request_id(frame: dict) -> int | str | None:
    """The frame's ``id`` to answer with: an integer or a string that can be sent back,
    else None."""
    value = frame.get("id")
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
        return None
    if isinstance(value, str):
        try:
            check_text(value)
        except IMError:
            return None
    return value


def _too_deep() -> IMError:
    return IMError(INVALID_PARAMS, f"the frame nests deeper than {MAX_DEPTH} levels")


def check_values(document: dict | list) -> None:
    """Refuse the first string in ``document`` that cannot be stored, or nesting past
    ``MAX_DEPTH``. Iterative, so a deep document costs no Python recursion."""
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            check_text(value)
        elif isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                raise _too_deep()
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    check_text(key)
                stack.append((item, depth + 1))


def check_text(text: str) -> None:
    """Refuse a string that cannot be stored or sent back: a NUL, or a lone surrogate
    (which only a non-ASCII string can hold, so ASCII skips the encoding)."""
    if "\x00" in text:
        raise IMError(INVALID_PARAMS, "strings must not contain NUL characters")
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            raise IMError(
                INVALID_PARAMS, "strings must be valid Unicode (a lone surrogate was sent)"
            ) from None
