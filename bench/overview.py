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


if __name__ == "__main__":
    main()
