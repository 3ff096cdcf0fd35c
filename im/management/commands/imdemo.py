"""Ensure the demo set-up that ``make run`` serves: the site app and alice, bob, carol."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from im.services.site import do_link_site_account, ensure_site_app

DEMO_USERS = ("alice", "bob", "carol")
DEMO_PASSWORD = "hutong-demo"


class Command(BaseCommand):
    help = "Create the chat site's app and the demo users alice, bob and carol if missing."

    def handle(self, *args, **options) -> None:
        app = ensure_site_app()
        User = get_user_model()
        for username in DEMO_USERS:
            # An email, so "Forgot your password?" can be tried (the link is printed on
            # the console of make run).
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            do_link_site_account(app=app, user=user)
        self.stdout.write(
            f"SDKAppID {app.sdkappid}. Demo users {', '.join(DEMO_USERS)} "
            f"(password {DEMO_PASSWORD!r}) sign in at /accounts/login/.\n"
            "An operator account for /admin/: python manage.py createsuperuser"
        )
