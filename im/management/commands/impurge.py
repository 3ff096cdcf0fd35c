"""``manage.py impurge``: delete messages past their app's retention. Safe to run from cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from im.services.retention import do_purge_expired_messages
from im.services.uploads import do_clean_uploads


class Command(BaseCommand):
    help = "Delete messages older than each app's message retention (0 days keeps them)."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = do_purge_expired_messages()
        # The purged messages' files go with them (and what nobody ever sent).
        removed = do_clean_uploads()
        self.stdout.write(f"deleted {deleted} messages and {removed} uploads")
