"""Writes to ``App``: the one place apps are created or changed."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from im import hooks
from im.errors import INVALID_PARAMS, IMError
from im.models import MAX_WEB_INSTANCES, App
from im.services.instances import do_kick_app


def new_secret_key() -> str:
    return secrets.token_hex(32)


def do_upsert_app(
    *,
    sdkappid: int,
    secret_key: str | None = None,
    name: str | None = None,
    max_web_instances: int | None = None,
    is_disabled: bool | None = None,
    revoke_window: int | None = None,
    message_retention_days: int | None = None,
    send_rate: int | None = None,
    send_burst: int | None = None,
    max_message_bytes: int | None = None,
    group_message_rate: int | None = None,
    callback_url: str | None = None,
    callback_token: str | None = None,
    callback_commands: list[str] | None = None,
    callback_fail_closed: bool | None = None,
) -> tuple[App, bool]:
    """Create the app ``sdkappid`` or change the fields given; return (app, created).

    A new app without ``secret_key`` gets a random one; an existing app keeps
    its key unless a new one is given. Saved disabled, the app's open sessions are
    kicked (``REST_API_Kick``) in the same transaction; its logins are refused (60016)
    from the commit on.
    """
    if not isinstance(sdkappid, int) or isinstance(sdkappid, bool) or sdkappid <= 0:
        raise IMError(INVALID_PARAMS, f"SDKAppID must be a positive integer, got {sdkappid!r}")
    if secret_key is not None and not 0 < len(secret_key) <= 128:
        raise IMError(INVALID_PARAMS, "secret key must be 1 to 128 characters")
    if name is not None and len(name) > 100:
        raise IMError(INVALID_PARAMS, "name must be at most 100 characters")
    if max_web_instances is not None and not (
        isinstance(max_web_instances, int)
        and not isinstance(max_web_instances, bool)
        and 1 <= max_web_instances <= MAX_WEB_INSTANCES
    ):
        raise IMError(
            INVALID_PARAMS,
            f"max web instances must be 1 to {MAX_WEB_INSTANCES}, got {max_web_instances!r}",
        )

    changes: dict[str, object] = _callback_changes(
        callback_url, callback_token, callback_commands, callback_fail_closed
    )
    if secret_key is not None:
        changes["secret_key"] = secret_key
    if name is not None:
        changes["name"] = name
    if max_web_instances is not None:
        changes["max_web_instances"] = max_web_instances
    if is_disabled is not None:
        changes["is_disabled"] = is_disabled
    for field, value, lowest, highest in (
        ("revoke_window", revoke_window, 0, None),
        ("message_retention_days", message_retention_days, 0, None),
        ("send_rate", send_rate, 0, None),
        ("send_burst", send_burst, 1, None),
        ("max_message_bytes", max_message_bytes, 1024, 64 * 1024),
        ("group_message_rate", group_message_rate, 0, None),
    ):
        if value is not None:
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or value < lowest
                or (highest is not None and value > highest)
            ):
                bounds = f"{lowest}-{highest}" if highest else f"at least {lowest}"
                raise IMError(INVALID_PARAMS, f"{field} must be an integer, {bounds}")
            changes[field] = value
    with transaction.atomic():
        # update_or_create locks the row, and retries the read if a racing
        # creator wins, so two concurrent upserts cannot both insert.
        app, created = App.objects.update_or_create(
            sdkappid=sdkappid,
            defaults=changes,
            create_defaults={"secret_key": new_secret_key(), **changes},
        )
        if app.is_disabled:
            # Also when it was disabled already: a session that slipped in while the
            # flag was committing goes now.
            do_kick_app(app)
    hooks.forget_config(app.pk)
    return app, created


def _callback_changes(
    url: str | None, token: str | None, commands: list[str] | None, fail_closed: bool | None
) -> dict[str, object]:
    """The app's third-party callback settings given, checked (``im.hooks``)."""
    changes: dict[str, object] = {}
    if url is not None:
        if url:
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                raise IMError(
                    INVALID_PARAMS, f"callback URL {url!r} is not an http(s) URL"
                ) from None
        if len(url) > 500:
            raise IMError(INVALID_PARAMS, "callback URL must be at most 500 characters")
        changes["callback_url"] = url
    if token is not None:
        if len(token) > 128:
            raise IMError(INVALID_PARAMS, "callback token must be at most 128 characters")
        changes["callback_token"] = token
    if commands is not None:
        unknown = sorted(set(commands) - set(hooks.COMMANDS))
        if unknown:
            raise IMError(INVALID_PARAMS, f"not callback commands: {', '.join(unknown)}")
        changes["callback_commands"] = [c for c in hooks.COMMANDS if c in commands]
    if fail_closed is not None:
        changes["callback_fail_closed"] = fail_closed
    return changes


def do_rotate_app_secret(app: App) -> str:
    """Give ``app`` a new random secret key and return it (shown once to the operator).

    A key is rotated because it may have leaked: UserSigs made with the old key are
    refused from the commit on (70009), and every session logged in with one (all of
    the app's sessions) is kicked (``REST_API_Kick``) in the same transaction, so
    nobody stays on a sig its holder could have forged. Clients log in again with sigs
    from the app's back end, once it has the new key."""
    key = new_secret_key()
    with transaction.atomic():
        App.objects.filter(pk=app.pk).update(secret_key=key)
        do_kick_app(app)
    app.secret_key = key
    return key
