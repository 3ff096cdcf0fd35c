"""Reads. Adapters and services fetch through these, never with ad-hoc queries."""

from __future__ import annotations

from im.errors import SDKAPPID_NOT_FOUND, IMError
from im.models import Account, App


def get_app(sdkappid: int) -> App:
    try:
        return App.objects.get(sdkappid=sdkappid)
    except App.DoesNotExist:
        raise IMError(SDKAPPID_NOT_FOUND, f"no app with SDKAppID {sdkappid}") from None


def find_account(app: App, user_id: str) -> Account | None:
    return Account.objects.filter(app=app, user_id=user_id).first()
