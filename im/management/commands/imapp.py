"""``manage.py imapp``: create or update a TIM app and print it as JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from im.errors import IMError
from im.services.accounts import do_set_app_admin
from im.services.apps import do_upsert_app


class Command(BaseCommand):
    help = (
        "Create the app with this SDKAppID, or update the fields given. "
        "A new app without --secret-key gets a random one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sdkappid", type=int, required=True)
        parser.add_argument("--secret-key", dest="secret_key")
        parser.add_argument("--name")
        parser.add_argument("--max-web-instances", dest="max_web_instances", type=int)
        parser.add_argument(
            "--group-message-rate",
            dest="group_message_rate",
            type=int,
            help="messages a second one group takes (TIM's 40; 0: no limit)",
        )
        parser.add_argument("--callback-url", dest="callback_url", help="'' to stop callbacks")
        parser.add_argument("--callback-token", dest="callback_token")
        parser.add_argument(
            "--callback-command",
            dest="callback_commands",
            action="append",
            metavar="COMMAND",
            help="a CallbackCommand the URL hears, e.g. C2C.CallbackBeforeSendMsg (may be "
            "repeated; the list given replaces the app's)",
        )
        parser.add_argument(
            "--callback-fail-closed",
            dest="callback_fail_closed",
            action=argparse.BooleanOptionalAction,
            help="refuse an action when its before-callback fails (default: let it through)",
        )
        parser.add_argument(
            "--admin",
            action="append",
            default=[],
            metavar="USERID",
            help="make this account an app administrator (may be repeated)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            app, created = do_upsert_app(
                sdkappid=options["sdkappid"],
                secret_key=options["secret_key"],
                name=options["name"],
                max_web_instances=options["max_web_instances"],
                group_message_rate=options["group_message_rate"],
                callback_url=options["callback_url"],
                callback_token=options["callback_token"],
                callback_commands=options["callback_commands"],
                callback_fail_closed=options["callback_fail_closed"],
            )
            admins = [
                do_set_app_admin(app=app, user_id=user_id).user_id for user_id in options["admin"]
            ]
        except IMError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(
            json.dumps(
                {
                    "sdkappid": app.sdkappid,
                    "secretKey": app.secret_key,
                    "name": app.name,
                    "maxWebInstances": app.max_web_instances,
                    "groupMessageRate": app.group_message_rate,
                    "callbackUrl": app.callback_url,
                    "callbackCommands": app.callback_commands,
                    "callbackFailClosed": app.callback_fail_closed,
                    "created": created,
                    **({"admins": admins} if admins else {}),
                }
            )
        )
