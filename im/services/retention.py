"""Deleting messages past their app's retention (run by ``manage.py impurge``, e.g. from cron)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from im.models import App, Message

BATCH = 1000


def do_purge_expired_messages(*, now: datetime | None = None) -> int:
    """Delete every app's messages older than its retention; 0 days keeps forever.

    Works in batches so a large backlog never holds one long transaction.
    Conversations whose last message goes lose it and leave the conversation list.
    """
    now = now or timezone.now()
    deleted = 0
    for app in App.objects.filter(message_retention_days__gt=0):
        cutoff = now - timedelta(days=app.message_retention_days)
        while True:
            with transaction.atomic():
                ids = list(
                    Message.objects.filter(
                        conversation__app=app, created_at__lt=cutoff
                    ).values_list("pk", flat=True)[:BATCH]
                )
                if not ids:
                    break
                Message.objects.filter(pk__in=ids).delete()
            deleted += len(ids)
    return deleted
