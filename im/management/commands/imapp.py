"""``manage.py imapp``: create or update a TIM app and print it as JSON."""

from __future__ import annotations

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
                    "created": created,
                    **({"admins": admins} if admins else {}),
                }
            )
        )
