"""``manage.py usersig``: print a UserSig for a userID, signed with the app's key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from im.errors import IMError
from im.selectors import get_app
from im.usersig import DEFAULT_EXPIRE, gen_usersig


class Command(BaseCommand):
    help = "Print a UserSig for USERID made with the secret key of app --sdkappid."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user_id", metavar="USERID")
        parser.add_argument("--sdkappid", type=int, required=True)
        parser.add_argument(
            "--expire",
            type=int,
            default=DEFAULT_EXPIRE,
            help=f"lifetime in seconds (default {DEFAULT_EXPIRE})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sdkappid: int = options["sdkappid"]
        if not options["user_id"]:
            raise CommandError("USERID must not be empty")
        if options["expire"] <= 0:
            raise CommandError("--expire must be a positive number of seconds")
        try:
            app = get_app(sdkappid)
        except IMError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(
            gen_usersig(
                sdkappid=app.sdkappid,
                secret_key=app.secret_key,
                user_id=options["user_id"],
                expire=options["expire"],
            )
        )
