"""Tencent TLS 2.0 UserSig: make one, read one, check one.

A UserSig is a JSON object, zlib-compressed, then base64 with ``+/=``
swapped for ``*-_`` so it survives URLs. Its ``TLS.sig`` field is an
HMAC-SHA256 over a fixed text built from the other fields.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from im.errors import (
    USERSIG_BAD_SIGNATURE,
    USERSIG_EMPTY,
    USERSIG_EXPIRED,
    USERSIG_IDENTIFIER_MISMATCH,
    USERSIG_MALFORMED,
    USERSIG_SDKAPPID_MISMATCH,
    IMError,
)

DEFAULT_EXPIRE = 180 * 86400
# A real sig inflates to a few hundred bytes; the cap stops zlib bombs.
_MAX_JSON_BYTES = 16 * 1024
MAX_UINT32 = 2**32 - 1

_TO_URL = str.maketrans("+/=", "*-_")
_FROM_URL = str.maketrans("*-_", "+/=")


@dataclass(frozen=True)
class UserSigInfo:
    """What a verified UserSig says."""

    user_id: str
    sdkappid: int
    time: int
    expire: int
    userbuf: bytes | None = None

    @property
    def expires_at(self) -> int:
        return self.time + self.expire


def _signature(
    secret_key: str, user_id: str, sdkappid: int, t: int, expire: int, userbuf_b64: str | None
) -> str:
    content = (
        f"TLS.identifier:{user_id}\nTLS.sdkappid:{sdkappid}\nTLS.time:{t}\nTLS.expire:{expire}\n"
    )
    if userbuf_b64 is not None:
        content += f"TLS.userbuf:{userbuf_b64}\n"
    digest = hmac.new(secret_key.encode(), content.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _b64decode(text: str) -> bytes:
    # Some SDKs drop the padding; put it back before strict decoding.
    text = text.rstrip("=")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def gen_usersig(
    *,
    sdkappid: int,
    secret_key: str,
    user_id: str,
    expire: int = DEFAULT_EXPIRE,
    userbuf: bytes | None = None,
    now: int | None = None,
) -> str:
    """Sign ``user_id`` for ``expire`` seconds from ``now``."""
    t = int(time.time()) if now is None else int(now)
    # Same key order and json.dumps spacing as Tencent's Python package, so
    # for the same time the output is byte-identical to theirs.
    doc: dict[str, Any] = {
        "TLS.ver": "2.0",
        "TLS.identifier": str(user_id),
        "TLS.sdkappid": int(sdkappid),
        "TLS.expire": int(expire),
        "TLS.time": t,
    }
    userbuf_b64 = None
    if userbuf is not None:
        userbuf_b64 = base64.b64encode(userbuf).decode()
        doc["TLS.userbuf"] = userbuf_b64
    doc["TLS.sig"] = _signature(
        secret_key, str(user_id), int(sdkappid), t, int(expire), userbuf_b64
    )
    packed = zlib.compress(json.dumps(doc).encode())
    return base64.b64encode(packed).decode().translate(_TO_URL)


def _malformed(why: str) -> IMError:
    return IMError(USERSIG_MALFORMED, f"UserSig is malformed: {why}")


def decode_usersig(user_sig: str) -> dict[str, Any]:
    """Unpack a UserSig into its JSON fields, checking shape but not signature."""
    if user_sig is None or user_sig == "":
        raise IMError(USERSIG_EMPTY, "UserSig is empty")
    if not isinstance(user_sig, str):
        raise _malformed("not a string")
    try:
        packed = _b64decode(user_sig.strip().translate(_FROM_URL))
    except (binascii.Error, ValueError):
        raise _malformed("not base64") from None
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, _MAX_JSON_BYTES)
    except zlib.error:
        raise _malformed("not zlib data") from None
    if inflater.unconsumed_tail:
        raise _malformed("too large")
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):  # 16 KiB of "[" nests past Python's limit
        raise _malformed("not JSON") from None
    if not isinstance(doc, dict):
        raise _malformed("not a JSON object")

    if doc.get("TLS.ver") != "2.0":
        raise _malformed("TLS.ver is not 2.0")
    for field in ("TLS.identifier", "TLS.sig"):
        if not isinstance(doc.get(field), str):
            raise _malformed(f"{field} missing or not a string")
        # JSON may escape lone surrogates, which cannot be hashed as UTF-8.
        try:
            doc[field].encode()
        except UnicodeEncodeError:
            raise _malformed(f"{field} is not valid Unicode") from None
    for field in ("TLS.sdkappid", "TLS.time", "TLS.expire"):
        value = doc.get(field)
        # bool is an int in Python, but JSON true is no number.
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise _malformed(f"{field} missing or not a non-negative integer")
        # Tencent's libraries write 32-bit unsigned seconds; anything larger cannot be
        # a date (2**70 overflowed the expiry's datetime and its column).
        if value > MAX_UINT32:
            raise _malformed(f"{field} is out of range")
    if "TLS.userbuf" in doc:
        userbuf = doc["TLS.userbuf"]
        if not isinstance(userbuf, str):
            raise _malformed("TLS.userbuf is not a string")
        try:
            _b64decode(userbuf)
        except (binascii.Error, ValueError):
            raise _malformed("TLS.userbuf is not base64") from None
    return doc


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def verify_usersig(
    user_sig: str, *, sdkappid: int, secret_key: str, user_id: str, now: int | None = None
) -> UserSigInfo:
    """Check ``user_sig`` was made with ``secret_key`` for this app and user, and is live."""
    doc = decode_usersig(user_sig)
    sig_appid: int = doc["TLS.sdkappid"]
    identifier: str = doc["TLS.identifier"]
    if sig_appid != sdkappid:
        raise IMError(
            USERSIG_SDKAPPID_MISMATCH,
            f"UserSig is for SDKAppID {sig_appid}, not {sdkappid}",
        )
    if identifier != user_id:
        raise IMError(
            USERSIG_IDENTIFIER_MISMATCH,
            f"UserSig is for userID {identifier!r}, not {user_id!r}",
        )
    userbuf_b64: str | None = doc.get("TLS.userbuf")
    expected = _signature(
        secret_key, identifier, sig_appid, doc["TLS.time"], doc["TLS.expire"], userbuf_b64
    )
    if not hmac.compare_digest(expected.encode(), doc["TLS.sig"].encode()):
        raise IMError(
            USERSIG_BAD_SIGNATURE,
            "UserSig signature does not match; was it made with this app's secret key?",
        )
    info = UserSigInfo(
        user_id=identifier,
        sdkappid=sig_appid,
        time=doc["TLS.time"],
        expire=doc["TLS.expire"],
        userbuf=None if userbuf_b64 is None else _b64decode(userbuf_b64),
    )
    t = int(time.time()) if now is None else int(now)
    if t > info.expires_at:
        raise IMError(USERSIG_EXPIRED, f"UserSig expired at {_iso(info.expires_at)}; get a new one")
    return info
