"""Time the admin's overview page and messages list over a seeded history.

Run with the server's settings (``DATABASE_URL`` chooses the database; the bench's
``bench.seed.seed_history`` fills one C2C conversation with ``--rows`` messages, a
millisecond apart and ending now, so all of them fall in the overview's past day: its
worst case)::

    HUTONG_VAR_DIR=/tmp/ov .venv/bin/python -m bench.overview --rows 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hutong_overview \
        .venv/bin/python -m bench.overview --rows 1000000

It migrates, seeds once (a second run reuses the rows), then prints the median of
``--runs`` loads of each page, through Django's test client as a superuser.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

SDKAPPID = 1400990002


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--hours",
        type=float,
        default=0,
        help="first spread the app's messages evenly over this many hours ending now "
        "(the seeder puts them a millisecond apart: all in the past 17 minutes)",
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from bench.seed import ensure_app, seed_history
    from im.models import App, Message

    call_command("migrate", verbosity=0)
    setup_test_environment()
    ensure_app(sdkappid=SDKAPPID, secret_key="b" * 64)
    have = Message.objects.filter(conversation__app__sdkappid=SDKAPPID).count()
    if have < args.rows:
        print(f"seeding {args.rows - have} messages ...", flush=True)
        missing = args.rows - have
        print(seed_history(sdkappid=SDKAPPID, sender="ov-a", receiver="ov-b", rows=missing))
    if args.hours:
        spread(SDKAPPID, args.hours)
        print(f"spread over the past {args.hours:g} hours", flush=True)
    user, _ = get_user_model().objects.get_or_create(
        username="bench-overview", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    print(f"{connection.vendor}, {Message.objects.count()} messages")
    pages = {
        "overview": reverse("admin-overview"),
        "messages list": reverse("admin:im_message_changelist"),
        "messages list, app filter": reverse("admin:im_message_changelist")
        + f"?conversation__app__id__exact={App.objects.get(sdkappid=SDKAPPID).pk}",
        "messages list, from:ov-b": reverse("admin:im_message_changelist") + "?q=from:ov-b",
    }
    for name, url in pages.items():
        times = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
        slowest = max(queries.captured_queries, key=lambda q: float(q["time"]))
        print(
            f"{name}: median {statistics.median(times) * 1000:.0f} ms over {args.runs}, "
            f"{len(queries)} queries, slowest {float(slowest['time']) * 1000:.0f} ms: "
            f"{slowest['sql'][:160]}"
        )


def spread(sdkappid: int, hours: float) -> None:
    """Date the app's messages evenly over ``hours`` ending now, newest last, in one
    UPDATE (per-row Python through the ORM would take minutes at a million rows)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from im.models import App, Message

    app = App.objects.get(sdkappid=sdkappid)
    ids = Message.objects.filter(conversation__app=app)
    newest = ids.order_by("-pk").values_list("pk", flat=True).first()
    step = hours * 3600 / max(1, ids.count())
    now = timezone.now()
    scope = "conversation_id IN (SELECT id FROM im_conversation WHERE app_id = %s)"
    if connection.vendor == "sqlite":
        sql = (
            "UPDATE im_message SET created_at = strftime('%%Y-%%m-%%d %%H:%%M:%%f', "
            f"julianday(%s) - (%s - id) * %s / 86400.0) WHERE {scope}"
        )
        params = [now.strftime("%Y-%m-%d %H:%M:%S.%f"), newest, step, app.pk]
    else:
        sql = (
            "UPDATE im_message SET created_at = %s::timestamptz - (%s - id) * %s "
            f"* interval '1 second' WHERE {scope}"
        )
        params = [now, newest, step, app.pk]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


if __name__ == "__main__":
    main()
