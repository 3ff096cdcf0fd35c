"""``manage.py imcleanuploads``: remove media no message keeps. Safe to run from cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from im.services.uploads import do_clean_uploads


class Command(BaseCommand):
    help = (
        "Remove uploaded media that no message carries: files of purged messages, and "
        "files announced over a day ago that were never sent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        removed = do_clean_uploads()
        self.stdout.write(f"removed {removed} uploads")
