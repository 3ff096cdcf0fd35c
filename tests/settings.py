"""The settings every test runs on: the site's own, with a fast password hasher.

Django's default hasher spends ~0.6 s of CPU per password on purpose; the suite creates
and signs in users hundreds of times (in the test process and in the live daphne
processes it starts), so it uses MD5 as Django's testing guide suggests. Nothing else
differs from chatsite.settings.
"""

from chatsite.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
