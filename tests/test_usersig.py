"""UserSig against Tencent's own Python package, both ways, and every refusal."""

from __future__ import annotations

import base64
import json
import types
import zlib
from typing import Any

import pytest
import TLSSigAPIv2 as tls_module
from TLSSigAPIv2 import TLSSigAPIv2

from im import errors
from im.errors import IMError
from im.usersig import UserSigInfo, decode_usersig, gen_usersig, verify_usersig

pytestmark = pytest.mark.once  # pure functions: the configuration changes nothing

APPID = 1400000000
KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
NOW = 1_700_000_000
DAY = 86400

# Made once by the package (time fixed at NOW, expire one day); decoding it
# does not depend on which zlib build compressed it.
FROZEN_SIG = (
    "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkKjIT87NK82CSxSnZiQUFmSlAKUMT"
    "AyiAyqVWFGQWpQJlLMxM4IIlmbkgIUNzNMXFmekg44P93EzccsOcA0qT8yOKnfwLksLcjNPc"
    "nNNMzb0Ccg1Sq6IMs1LDPH1ywpJtlWoBk68y0A__"
)


def _pack(doc: dict[str, Any], **dumps: Any) -> str:
    """Encode a JSON doc the way any TLS 2.0 SDK does."""
    raw = zlib.compress(json.dumps(doc, **dumps).encode())
    return base64.b64encode(raw).decode().replace("+", "*").replace("/", "-").replace("=", "_")


def _unpack(sig: str) -> dict[str, Any]:
    b64 = sig.replace("*", "+").replace("-", "/").replace("_", "=")
    return json.loads(zlib.decompress(base64.b64decode(b64)))


@pytest.fixture
def frozen_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the package read NOW as the current time."""
    monkeypatch.setattr(tls_module, "time", types.SimpleNamespace(time=lambda: NOW))


def _verify(sig: str, **overrides: Any) -> UserSigInfo:
    kwargs: dict[str, Any] = {
        "sdkappid": APPID,
        "secret_key": KEY,
        "user_id": "xiaojun",
        "now": NOW + 10,
    }
    kwargs.update(overrides)
    return verify_usersig(sig, **kwargs)


# --- the package's sigs verify with ours, and ours are byte-identical ---


def test_frozen_vector_verifies() -> None:
    info = _verify(FROZEN_SIG)
    assert info == UserSigInfo(
        user_id="xiaojun", sdkappid=APPID, time=NOW, expire=DAY, userbuf=None
    )
    assert info.expires_at == NOW + DAY


@pytest.mark.usefixtures("frozen_package")
def test_package_sig_verifies_and_matches_ours() -> None:
    theirs = TLSSigAPIv2(APPID, KEY).gen_sig("xiaojun", DAY)
    assert _verify(theirs).userbuf is None
    ours = gen_usersig(sdkappid=APPID, secret_key=KEY, user_id="xiaojun", expire=DAY, now=NOW)
    assert ours == theirs


@pytest.mark.usefixtures("frozen_package")
def test_package_sig_with_userbuf_verifies_and_matches_ours() -> None:
    userbuf = b"\x00abc\xff room 42"
    theirs = TLSSigAPIv2(APPID, KEY).gen_sig_with_userbuf("xiaojun", DAY, userbuf)
    info = _verify(theirs)
    assert info.userbuf == userbuf
    ours = gen_usersig(
        sdkappid=APPID, secret_key=KEY, user_id="xiaojun", expire=DAY, userbuf=userbuf, now=NOW
    )
    assert ours == theirs


@pytest.mark.usefixtures("frozen_package")
def test_package_default_expire_matches_ours() -> None:
    theirs = TLSSigAPIv2(APPID, KEY).gen_sig("user-1")
    ours = gen_usersig(sdkappid=APPID, secret_key=KEY, user_id="user-1", now=NOW)
    assert ours == theirs
    assert _verify(ours, user_id="user-1").expire == 180 * DAY


# --- our sigs verify with the package's own signing code ---


@pytest.mark.parametrize("userbuf", [None, b"abc", b""])
def test_our_sig_passes_package_hmac(userbuf: bytes | None) -> None:
    sig = gen_usersig(
        sdkappid=APPID, secret_key=KEY, user_id="alice", expire=3600, userbuf=userbuf, now=NOW
    )
    doc = _unpack(sig)
    assert doc["TLS.ver"] == "2.0"
    assert (doc["TLS.identifier"], doc["TLS.sdkappid"]) == ("alice", APPID)
    assert (doc["TLS.time"], doc["TLS.expire"]) == (NOW, 3600)
    assert doc.get("TLS.userbuf") == (
        None if userbuf is None else base64.b64encode(userbuf).decode()
    )
    expected = TLSSigAPIv2(APPID, KEY)._TLSSigAPIv2__hmacsha256(  # type: ignore[attr-defined]
        doc["TLS.identifier"], doc["TLS.time"], doc["TLS.expire"], doc.get("TLS.userbuf")
    )
    assert doc["TLS.sig"] == expected.decode()


def test_our_sig_key_order_matches_package() -> None:
    sig = gen_usersig(sdkappid=APPID, secret_key=KEY, user_id="alice", userbuf=b"x", now=NOW)
    assert list(_unpack(sig)) == [
        "TLS.ver",
        "TLS.identifier",
        "TLS.sdkappid",
        "TLS.expire",
        "TLS.time",
        "TLS.userbuf",
        "TLS.sig",
    ]


def test_non_ascii_identifier_round_trips() -> None:
    sig = gen_usersig(sdkappid=APPID, secret_key=KEY, user_id="小明", now=NOW)
    assert _verify(sig, user_id="小明").user_id == "小明"


# --- other SDKs' layouts ---


def _node_style(doc_sig_from: dict[str, Any]) -> dict[str, Any]:
    """Node's key order: ver, identifier, sdkappid, time, expire, [userbuf], sig."""
    order = ["TLS.ver", "TLS.identifier", "TLS.sdkappid", "TLS.time", "TLS.expire"]
    order += ["TLS.userbuf"] if "TLS.userbuf" in doc_sig_from else []
    return {k: doc_sig_from[k] for k in [*order, "TLS.sig"]}


@pytest.mark.parametrize("userbuf", [None, b"abc"])
def test_node_layout_verifies(userbuf: bytes | None) -> None:
    doc = _unpack(
        gen_usersig(
            sdkappid=APPID, secret_key=KEY, user_id="xiaojun", expire=DAY, userbuf=userbuf, now=NOW
        )
    )
    node_doc = _node_style(doc)
    assert list(node_doc) != list(doc)
    sig = _pack(node_doc, separators=(",", ":"))
    assert b'"TLS.sdkappid":1400000000,"TLS.time"' in zlib.decompress(
        base64.b64decode(sig.replace("*", "+").replace("-", "/").replace("_", "="))
    )
    assert _verify(sig).userbuf == userbuf


def test_missing_padding_is_tolerated() -> None:
    for sig in (FROZEN_SIG, _pack(_node_style(_unpack(FROZEN_SIG)), separators=(",", ":"))):
        stripped = sig.rstrip("_")
        assert _verify(stripped).user_id == "xiaojun"


def test_decode_returns_fields_without_checking_signature() -> None:
    doc = decode_usersig(FROZEN_SIG)
    assert doc["TLS.identifier"] == "xiaojun"
    assert doc["TLS.time"] == NOW


# --- every refusal, with its exact code ---


def _code(sig: str, **overrides: Any) -> int:
    with pytest.raises(IMError) as excinfo:
        _verify(sig, **overrides)
    return excinfo.value.code


def _doc(**changes: Any) -> dict[str, Any]:
    doc = _unpack(FROZEN_SIG)
    doc.update(changes)
    return doc


def test_empty() -> None:
    assert _code("") == errors.USERSIG_EMPTY
    with pytest.raises(IMError) as excinfo:
        decode_usersig("")
    assert excinfo.value.code == errors.USERSIG_EMPTY


@pytest.mark.parametrize(
    "sig",
    [
        pytest.param("not a usersig!!", id="garbage"),
        pytest.param("a", id="impossible-base64-length"),
        pytest.param(base64.b64encode(b"hello world, plain").decode(), id="base64-not-zlib"),
        pytest.param(base64.b64encode(zlib.compress(b"{not json")).decode(), id="zlib-not-json"),
        pytest.param(base64.b64encode(zlib.compress(b"\xff\xfe")).decode(), id="zlib-not-utf8"),
        pytest.param(base64.b64encode(zlib.compress(b"[1, 2]")).decode(), id="json-array"),
        pytest.param(base64.b64encode(zlib.compress(b" " * 1_000_000)).decode(), id="zlib-bomb"),
    ],
)
def test_undecodable(sig: str) -> None:
    assert _code(sig) == errors.USERSIG_MALFORMED


@pytest.mark.parametrize(
    "field", ["TLS.ver", "TLS.identifier", "TLS.sdkappid", "TLS.time", "TLS.expire", "TLS.sig"]
)
def test_missing_field(field: str) -> None:
    doc = _doc()
    del doc[field]
    assert _code(_pack(doc)) == errors.USERSIG_MALFORMED


@pytest.mark.parametrize(
    "changes",
    [
        {"TLS.ver": "1.0"},
        {"TLS.identifier": 7},
        {"TLS.sdkappid": str(APPID)},
        {"TLS.time": True},
        {"TLS.expire": -1},
        {"TLS.expire": 1.5},
        {"TLS.sig": None},
        {"TLS.sig": "\ud800"},
        {"TLS.identifier": "\udfff"},
        {"TLS.userbuf": 5},
        {"TLS.userbuf": "not base64!"},
    ],
)
def test_wrongly_typed_field(changes: dict[str, Any]) -> None:
    assert _code(_pack(_doc(**changes))) == errors.USERSIG_MALFORMED


def test_wrong_sdkappid() -> None:
    assert _code(FROZEN_SIG, sdkappid=APPID + 1) == errors.USERSIG_SDKAPPID_MISMATCH


def test_wrong_identifier() -> None:
    assert _code(FROZEN_SIG, user_id="xiaojun2") == errors.USERSIG_IDENTIFIER_MISMATCH


def test_other_key() -> None:
    assert _code(FROZEN_SIG, secret_key=KEY[::-1]) == errors.USERSIG_BAD_SIGNATURE


def test_expired() -> None:
    assert _verify(FROZEN_SIG, now=NOW + DAY).expires_at == NOW + DAY
    with pytest.raises(IMError) as excinfo:
        _verify(FROZEN_SIG, now=NOW + DAY + 1)
    assert excinfo.value.code == errors.USERSIG_EXPIRED
    assert "2023-11-15T22:13:20Z" in excinfo.value.message


@pytest.mark.parametrize(
    "changes",
    [
        {"TLS.expire": 10 * 365 * DAY},
        {"TLS.time": NOW + 1},
        {"TLS.userbuf": "YWJj"},
    ],
)
def test_tampered_field(changes: dict[str, Any]) -> None:
    assert _code(_pack(_doc(**changes))) == errors.USERSIG_BAD_SIGNATURE


def test_checks_run_in_order() -> None:
    # Wrong app and wrong user and expired: the app is reported first.
    assert (
        _code(FROZEN_SIG, sdkappid=1, user_id="bob", now=NOW * 2)
        == errors.USERSIG_SDKAPPID_MISMATCH
    )
    assert _code(FROZEN_SIG, user_id="bob", secret_key="x") == errors.USERSIG_IDENTIFIER_MISMATCH
    assert _code(FROZEN_SIG, secret_key="x", now=NOW * 2) == errors.USERSIG_BAD_SIGNATURE
