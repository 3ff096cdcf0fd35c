"""What the REST API tests share: signed request URLs, and posting a body to a command."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.test import AsyncClient, Client
from TLSSigAPIv2 import TLSSigAPIv2

from tests.conftest import SDKAPPID, SECRET_KEY

ADMIN = "administrator"


def url(
    command: str,
    *,
    identifier: str = ADMIN,
    sig: str | None = None,
    sdkappid: int | str = SDKAPPID,
    **extra: str,
) -> str:
    if sig is None:
        sig = TLSSigAPIv2(SDKAPPID, SECRET_KEY).gen_sig(identifier)
    query = {
        "sdkappid": sdkappid,
        "identifier": identifier,
        "usersig": sig,
        "random": "99999999",
        "contenttype": "json",
        **extra,
    }
    return f"/v4/{command}?{urlencode(query)}"


def post(command: str, body: Any, **kw: Any) -> dict[str, Any]:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    response = Client().post(url(command, **kw), data, content_type="application/json")
    assert response.status_code == 200
    return response.json()


async def apost(command: str, body: Any) -> dict[str, Any]:
    response = await AsyncClient().post(url(command), json.dumps(body), "application/json")
    assert response.status_code == 200
    return response.json()


def ok(command: str, body: Any, **kw: Any) -> dict[str, Any]:
    answer = post(command, body, **kw)
    assert (answer["ActionStatus"], answer["ErrorCode"]) == ("OK", 0), answer
    return answer


def fails(command: str, body: Any, code: int, **kw: Any) -> dict[str, Any]:
    answer = post(command, body, **kw)
    assert (answer["ActionStatus"], answer["ErrorCode"]) == ("FAIL", code), answer
    assert answer["ErrorInfo"]
    return answer
