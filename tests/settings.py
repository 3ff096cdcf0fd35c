"""The settings every test runs on: the site's own, with a fast password hasher.

Django's default hasher spends ~0.6 s of CPU per password on purpose; the suite creates
and signs in users hundreds of times (in the test process and in the live daphne
processes it starts), so it uses MD5 as Django's testing guide suggests. Nothing else
differs from chatsite.settings.
"""

import os

from chatsite.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Under pytest-xdist each worker is a run of its own: its own Redis namespace (the cast's
# accounts and groups have the same names in every worker); the databases are apart already
# (pytest-django suffixes the PostgreSQL test database, the SQLite file is named by pid).
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _WORKER:
    REDIS_PREFIX = f"{REDIS_PREFIX}-{_WORKER}"  # noqa: F405
    if "prefix" in CHANNEL_LAYERS["default"].get("CONFIG", {}):  # noqa: F405
        CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = REDIS_PREFIX  # noqa: F405
