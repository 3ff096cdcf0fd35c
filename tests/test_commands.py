"""The ``imapp`` and ``usersig`` management commands."""

from __future__ import annotations

import json
import types
from io import StringIO
from typing import Any

import pytest
import TLSSigAPIv2 as tls_module
from django.core.management import call_command
from django.core.management.base import CommandError
from TLSSigAPIv2 import TLSSigAPIv2

from im import usersig as usersig_module
from im.models import App
from im.usersig import verify_usersig

APPID = 1400000123
NOW = 1_700_000_000


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


def _imapp(*args: str) -> dict[str, Any]:
    return json.loads(_run("imapp", *args))


@pytest.mark.django_db
def test_imapp_creates_with_random_key() -> None:
    result = _imapp("--sdkappid", str(APPID), "--name", "Demo")
    assert result["created"] is True
    assert result["sdkappid"] == APPID
    assert result["name"] == "Demo"
    assert result["maxWebInstances"] == 1
    assert len(result["secretKey"]) == 64
    int(result["secretKey"], 16)
    app = App.objects.get(sdkappid=APPID)
    assert app.secret_key == result["secretKey"]
    # Two new apps never share a key.
    assert _imapp("--sdkappid", str(APPID + 1))["secretKey"] != result["secretKey"]


@pytest.mark.django_db
def test_imapp_creates_with_given_key() -> None:
    result = _imapp(
        "--sdkappid",
        str(APPID),
        "--secret-key",
        "k" * 40,
        "--max-web-instances",
        "3",
        "--group-message-rate",
        "100",
    )
    assert result == {
        "sdkappid": APPID,
        "secretKey": "k" * 40,
        "name": "",
        "maxWebInstances": 3,
        "groupMessageRate": 100,
        "callbackUrl": "",
        "callbackCommands": [],
        "callbackFailClosed": False,
        "created": True,
    }
    assert App.objects.get(sdkappid=APPID).group_message_rate == 100


@pytest.mark.django_db
def test_imapp_update_keeps_key_when_not_given() -> None:
    first = _imapp("--sdkappid", str(APPID), "--name", "Old")
    second = _imapp("--sdkappid", str(APPID), "--name", "New", "--max-web-instances", "5")
    assert second == {**first, "name": "New", "maxWebInstances": 5, "created": False}
    app = App.objects.get(sdkappid=APPID)
    assert (app.secret_key, app.name, app.max_web_instances) == (first["secretKey"], "New", 5)
    assert App.objects.count() == 1

    third = _imapp("--sdkappid", str(APPID), "--secret-key", "rotated")
    assert third == {**second, "secretKey": "rotated"}


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0", "11", "-1"])
def test_imapp_rejects_bad_max_web_instances(value: str) -> None:
    with pytest.raises(CommandError, match="6017"):
        _run("imapp", "--sdkappid", str(APPID), "--max-web-instances", value)
    assert not App.objects.exists()


@pytest.mark.django_db
def test_imapp_rejects_bad_sdkappid() -> None:
    with pytest.raises(CommandError, match="6017"):
        _run("imapp", "--sdkappid", "0")
    assert not App.objects.exists()


@pytest.mark.django_db
def test_usersig_verifies_and_matches_package(monkeypatch: pytest.MonkeyPatch) -> None:
    key = _imapp("--sdkappid", str(APPID))["secretKey"]
    clock = types.SimpleNamespace(time=lambda: NOW)
    monkeypatch.setattr(usersig_module, "time", clock)
    monkeypatch.setattr(tls_module, "time", clock)

    sig = _run("usersig", "alice", "--sdkappid", str(APPID), "--expire", "3600")
    info = verify_usersig(sig, sdkappid=APPID, secret_key=key, user_id="alice", now=NOW + 1)
    assert (info.user_id, info.time, info.expire) == ("alice", NOW, 3600)
    assert sig == TLSSigAPIv2(APPID, key).gen_sig("alice", 3600)

    # Without --expire the lifetime is Tencent's default of 180 days.
    sig = _run("usersig", "alice", "--sdkappid", str(APPID))
    assert sig == TLSSigAPIv2(APPID, key).gen_sig("alice")


@pytest.mark.django_db
def test_usersig_unknown_app() -> None:
    with pytest.raises(CommandError, match=r"70020: no app with SDKAppID 999"):
        _run("usersig", "alice", "--sdkappid", "999")


@pytest.mark.django_db
def test_imapp_makes_app_administrators() -> None:
    from im.models import Account

    result = _imapp("--sdkappid", str(APPID), "--admin", "ops", "--admin", "robot")
    assert result["admins"] == ["ops", "robot"]
    admins = Account.objects.filter(app__sdkappid=APPID, is_admin=True)
    assert sorted(admins.values_list("user_id", flat=True)) == ["ops", "robot"]
    with pytest.raises(CommandError, match="6017"):
        _imapp("--sdkappid", str(APPID), "--admin", "has space")


@pytest.mark.django_db
def test_imapp_sets_the_callbacks() -> None:
    result = _imapp(
        "--sdkappid",
        str(APPID),
        "--callback-url",
        "https://backend.example.com/im",
        "--callback-command",
        "Group.CallbackAfterSendMsg",
        "--callback-command",
        "C2C.CallbackBeforeSendMsg",
        "--callback-fail-closed",
    )
    # In TIM's order of commands, whatever the order given.
    assert result["callbackCommands"] == ["C2C.CallbackBeforeSendMsg", "Group.CallbackAfterSendMsg"]
    assert (result["callbackUrl"], result["callbackFailClosed"]) == (
        "https://backend.example.com/im",
        True,
    )
    again = _imapp("--sdkappid", str(APPID), "--no-callback-fail-closed", "--callback-url", "")
    assert (again["callbackUrl"], again["callbackFailClosed"]) == ("", False)
    assert again["callbackCommands"] == result["callbackCommands"]  # kept when not given


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        ["--callback-url", "ftp://backend.example.com/im"],
        ["--callback-command", "C2C.CallbackNoSuchThing"],
    ],
)
def test_imapp_refuses_bad_callback_settings(args) -> None:
    with pytest.raises(CommandError):
        _run("imapp", "--sdkappid", str(APPID), *args)
    assert not App.objects.filter(sdkappid=APPID).exists()
