"""Reads for the operators' overview: per app, what is happening now.

A fixed number of queries whatever the number of apps, each an aggregate the database
computes (nothing is counted in Python), and the message counts read only the past day's
rows through the index on ``created_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, DateTimeField, Func, IntegerField, Value
from django.utils import timezone

from im.models import App, Group, Instance, Message

HOURS = 24


@dataclass(frozen=True)
class AppActivity:
    app: App
    online_accounts: int
    groups: int
    # Messages stored per hour over the past day, oldest first: ``per_hour[-1]`` is the
    # past hour, and the hours end at ``now``, so they add up to the past day.
    per_hour: tuple[int, ...]

    @property
    def messages_last_hour(self) -> int:
        return self.per_hour[-1]

    @property
    def messages_last_day(self) -> int:
        return sum(self.per_hour)


class HoursAgo(Func):
    """Whole hours from a datetime column back to ``now`` (0: the past hour), computed by
    the database: Django's portable datetime arithmetic calls back into Python for
    every row on SQLite, which at a million rows is seconds."""

    output_field = IntegerField()
    SQL = {
        "sqlite": "CAST((julianday({now}) - julianday({column})) * 24 AS INTEGER)",
        "postgresql": "FLOOR(EXTRACT(EPOCH FROM ({now} - {column})) / 3600)::integer",
    }

    def __init__(self, column: str, now: datetime) -> None:
        super().__init__(column, Value(now, output_field=DateTimeField()))

    def as_sql(self, compiler, connection, **extra) -> tuple[str, tuple]:
        column, column_params = compiler.compile(self.source_expressions[0])
        now, now_params = compiler.compile(self.source_expressions[1])
        sql = self.SQL[connection.vendor].format(now=now, column=column)
        return sql, (*now_params, *column_params)


def hour_starts(now: datetime) -> list[datetime]:
    """Where each of the past day's hours begins, oldest first."""
    return [now - timedelta(hours=HOURS - i) for i in range(HOURS)]


def app_activity(now: datetime | None = None) -> list[AppActivity]:
    """Every app's activity, in SDKAppID order: four queries, however many apps."""
    now = now or timezone.now()
    starts = hour_starts(now)
    apps = list(App.objects.order_by("sdkappid"))
    online = dict(
        Instance.objects.filter(is_online=True)
        .values_list("account__app_id")
        .annotate(n=Count("account_id", distinct=True))
        .order_by()
    )
    groups = dict(Group.objects.values_list("app_id").annotate(n=Count("pk")).order_by())
    # One pass over the past day's messages, counted by app and hour.
    per_app: dict[int, list[int]] = {}
    rows = (
        Message.objects.filter(created_at__gt=starts[0], created_at__lte=now)
        .annotate(hours_ago=HoursAgo("created_at", now))
        .values_list("conversation__app_id", "hours_ago")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for app_id, hours_ago, n in rows:
        per_app.setdefault(app_id, [0] * HOURS)[HOURS - 1 - min(hours_ago, HOURS - 1)] += n
    return [
        AppActivity(
            app=app,
            online_accounts=online.get(app.pk, 0),
            groups=groups.get(app.pk, 0),
            per_hour=tuple(per_app.get(app.pk, [0] * HOURS)),
        )
        for app in apps
    ]
