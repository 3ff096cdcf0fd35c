"""The fixed cast: app 1400000001 with alice, bob and carol, and an app admin."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.sync_api import Browser

from im.models import Account, App
from im.usersig import gen_usersig
from tests.browser import chromium
from tests.live import LiveServer, sharing_redis
from tests.media import media_store, s3_server  # noqa: F401 (fixtures for the upload tests)

SDKAPPID = 1400000001
# The chat site's app in tests: every Django user a test creates gets an account in it
# (im/services/site.py), so it must not be the cast's app.
SITE_SDKAPPID = 1400000099
SECRET_KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
CAST = ("alice", "bob", "carol")


def make_sig(user_id: str, *, app: App | None = None, expire: int = 86400, **kwargs) -> str:
    return gen_usersig(
        sdkappid=app.sdkappid if app else SDKAPPID,
        secret_key=app.secret_key if app else SECRET_KEY,
        user_id=user_id,
        expire=expire,
        **kwargs,
    )


@pytest.fixture(scope="session", autouse=True)
def _static_files() -> None:
    """What WhiteNoise serves, as ``make run`` collects it (about a second, less when
    nothing changed): the live servers' pages load their scripts from it."""
    from django.conf import settings
    from django.core.management import call_command

    bundle = settings.BASE_DIR / "static/im/dist/tim.global.js"
    assert bundle.exists(), "the classic-script SDK is not built: run `make sdk` first"
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _site_app_apart(settings) -> None:
    settings.IM_SITE_SDKAPPID = SITE_SDKAPPID


@pytest.fixture
def im_app(db) -> App:
    """The test app; it lets an account be online on several connections at once, and
    send as fast as a test does, to a person or a group (tests/test_limits.py sets the
    rates it tests)."""
    return App.objects.create(
        sdkappid=SDKAPPID,
        secret_key=SECRET_KEY,
        name="test",
        max_web_instances=5,
        send_rate=0,
        group_message_rate=0,
    )


async def allow_instances(limit: int) -> None:
    """Let an account of the test app be online on ``limit`` connections at once (TIM's
    max_web_instances): one login more kicks the oldest."""
    await App.objects.filter(sdkappid=SDKAPPID).aupdate(max_web_instances=limit)


@pytest.fixture
def cast(im_app: App) -> dict[str, Account]:
    """Accounts for alice, bob and carol (as if each had logged in once)."""
    return {uid: Account.objects.create(app=im_app, user_id=uid, nick=uid.title()) for uid in CAST}


@pytest.fixture
def rest_admin(cast) -> Account:
    """The app administrator the REST API tests sign requests as (TIM's default name)."""
    return Account.objects.create(app=cast["alice"].app, user_id="administrator", is_admin=True)


@pytest.fixture
def app_admin(db, django_user_model):
    return django_user_model.objects.create_superuser("appadmin", "admin@example.com", "pw-admin-1")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Close connections after each use so no worker thread holds the test DB at teardown.
    (Overriding pytest-django's fixture, it keeps what that one does: each pytest-xdist
    worker's test database has its own name.)"""
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True)
async def _close_worker_thread_connections():
    """Async ORM calls run in asgiref's shared worker thread and leave its connection open;
    close it after each test so the test database can be dropped at the end."""
    yield
    from asgiref.sync import sync_to_async
    from django.db import connections

    await sync_to_async(connections.close_all)()


# --- the chat site and real servers and browsers, for the Playwright tests ---


@pytest.fixture
def site_app(transactional_db) -> App:
    from im.services.site import ensure_site_app

    return ensure_site_app()


@pytest.fixture
def one_instance_app(site_app: App) -> App:
    """The site app set back to TIM's default of one instance (a second tab kicks the first)."""
    site_app.max_web_instances = 1
    site_app.save(update_fields=["max_web_instances"])
    return site_app


@pytest.fixture
def two_instance_app(site_app: App) -> App:
    """The site app allowing an account two instances online at once (two tabs)."""
    site_app.max_web_instances = 2
    site_app.save(update_fields=["max_web_instances"])
    return site_app


@pytest.fixture
def live(transactional_db) -> Iterator[LiveServer]:
    server = LiveServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def live_pair(
    request: pytest.FixtureRequest, im_app: App
) -> AsyncIterator[tuple[LiveServer, LiveServer]]:
    """Two daphne processes sharing the test database and Redis, as a deployment runs
    them. A module's ``pytest.mark.live_pair(kinds=..., instances=...)`` says which
    server class each runs (``LiveServer`` by default) and how many instances an account
    may have online, set before they start."""
    mark = request.node.get_closest_marker("live_pair")
    options = mark.kwargs if mark else {}
    if "instances" in options:
        await allow_instances(options["instances"])
    async with sharing_redis(options.get("kinds", (LiveServer, LiveServer))) as (one, two):
        yield one, two


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser
