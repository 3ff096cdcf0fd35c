"""Reads for the operators' overview: per app, what is happening now.

Messages are counted by clock hour over the past day: the hour now running and the 23
before it. A past hour is settled once it ended a little while ago (no process can still
store a message stamped inside it); its per-app counts are computed once, in one
aggregate, and kept in ``MessageHourCount``. A load then counts only the rows of the past
hour (and of any hour not yet settled), so its cost follows the past hour's messages,
not the past day's or the table's. A fixed number of queries whatever the number of
apps: a few more on the first load after an hour settles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Count, DateTimeField, Func, IntegerField, Value, When
from django.utils import timezone

from im.models import App, Group, Instance, Message, MessageHourCount

HOURS = 24
HOUR = timedelta(hours=1)
# How long after its end an hour is settled: more than any clock skew between the
# processes that stamp messages, and than the longest send transaction.
SETTLE = timedelta(minutes=2)


@dataclass(frozen=True)
class AppActivity:
    app: App
    online_accounts: int
    groups: int
    # Messages per clock hour, oldest first; ``per_hour[-1]`` is the hour now running.
    per_hour: tuple[int, ...]
    # Messages in the 60 minutes ending now.
    messages_last_hour: int

    @property
    def messages_last_day(self) -> int:
        return sum(self.per_hour)


class HoursBefore(Func):
    """Whole hours from a datetime column back to ``moment`` (0: the hour before it),
    computed by the database: Django's portable datetime arithmetic calls back into
    Python for every row on SQLite, which at a million rows is seconds."""

    output_field = IntegerField()
    SQL = {
        "sqlite": "CAST((julianday({moment}) - julianday({column})) * 24 AS INTEGER)",
        "postgresql": "FLOOR(EXTRACT(EPOCH FROM ({moment} - {column})) / 3600)::integer",
    }

    def __init__(self, column: str, moment: datetime) -> None:
        super().__init__(column, Value(moment, output_field=DateTimeField()))

    def as_sql(self, compiler, connection, **extra) -> tuple[str, tuple]:
        column, column_params = compiler.compile(self.source_expressions[0])
        moment, moment_params = compiler.compile(self.source_expressions[1])
        sql = self.SQL[connection.vendor].format(moment=moment, column=column)
        return sql, (*moment_params, *column_params)


def hour_starts(now: datetime) -> list[datetime]:
    """Where each of the chart's hours begins, oldest first; the last is running."""
    current = now.replace(minute=0, second=0, microsecond=0)
    return [current - (HOURS - 1 - i) * HOUR for i in range(HOURS)]


def app_activity(now: datetime | None = None) -> list[AppActivity]:
    """Every app's activity, in SDKAppID order."""
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
    settled = [start for start in starts if start + HOUR + SETTLE <= now]
    per_hour = {app.pk: [0] * HOURS for app in apps}
    for (app_id, start), n in _settled_counts(apps, settled).items():
        if app_id in per_hour:
            per_hour[app_id][starts.index(start)] = n
    last_hour = dict.fromkeys(per_hour, 0)
    # The rest, counted now: the hours not settled, and the 60 minutes ending now.
    live_from = min(now - HOUR, starts[len(settled)])
    rows = (
        Message.objects.filter(created_at__gte=live_from, created_at__lte=now)
        .annotate(
            bucket=HoursBefore("created_at", starts[-1] + HOUR),
            recent=Case(When(created_at__gte=now - HOUR, then=1), default=0),
        )
        .values_list("conversation__app_id", "bucket", "recent")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for app_id, bucket, recent, n in rows:
        if app_id not in per_hour:
            continue
        index = HOURS - 1 - min(bucket, HOURS - 1)
        if index >= len(settled):
            per_hour[app_id][index] += n
        if recent:
            last_hour[app_id] += n
    return [
        AppActivity(
            app=app,
            online_accounts=online.get(app.pk, 0),
            groups=groups.get(app.pk, 0),
            per_hour=tuple(per_hour[app.pk]),
            messages_last_hour=last_hour[app.pk],
        )
        for app in apps
    ]


def _settled_counts(apps: list[App], hours: list[datetime]) -> dict[tuple[int, datetime], int]:
    """Per (app, hour start), the messages of these settled hours: kept counts, and
    those not kept yet counted in one aggregate and kept."""
    if not hours:
        return {}
    kept = {
        (app_id, hour): n
        for app_id, hour, n in MessageHourCount.objects.filter(
            hour__gte=hours[0], hour__lte=hours[-1]
        ).values_list("app_id", "hour", "count")
    }
    counted = {hour for _, hour in kept}
    missing = [hour for hour in hours if hour not in counted]
    if not missing:
        return kept
    end = missing[-1] + HOUR
    found: dict[tuple[int, datetime], int] = {}
    rows = (
        Message.objects.filter(created_at__gte=missing[0], created_at__lt=end)
        .annotate(bucket=HoursBefore("created_at", end))
        .values_list("conversation__app_id", "bucket")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for app_id, bucket, n in rows:
        hour = end - (bucket + 1) * HOUR
        if hour in missing:
            found[app_id, hour] = found.get((app_id, hour), 0) + n
    fresh = [
        MessageHourCount(app=app, hour=hour, count=found.get((app.pk, hour), 0))
        for app in apps
        for hour in missing
    ]
    # Two loads at once may both count an hour: the same numbers, kept once.
    MessageHourCount.objects.bulk_create(fresh, ignore_conflicts=True)
    MessageHourCount.objects.filter(hour__lt=hours[0]).delete()
    return {**kept, **{(c.app_id, c.hour): c.count for c in fresh}}
