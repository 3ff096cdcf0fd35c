"""The chat site's own app allows several tabs and devices at once.

``ensure_site_app`` now creates it with ``SITE_WEB_INSTANCES``; a site app created before,
still at TIM's default of 1 (each new tab signed the others out), is raised to the same.
One an operator set to anything else is left as it is.
"""

from django.conf import settings
from django.db import migrations

# The value of im.services.site.SITE_WEB_INSTANCES when this was written (a migration
# keeps its own copy: the service's may change later).
SITE_WEB_INSTANCES = 10


def raise_site_app_limit(apps, schema_editor) -> None:
    App = apps.get_model("im", "App")
    App.objects.filter(sdkappid=settings.IM_SITE_SDKAPPID, max_web_instances=1).update(
        max_web_instances=SITE_WEB_INSTANCES
    )


class Migration(migrations.Migration):
    dependencies = [
        ("im", "0015_app_send_limits"),
    ]

    # Going back leaves the limit: 1 or 10 both fit the older schema.
    operations = [migrations.RunPython(raise_site_app_limit, migrations.RunPython.noop)]
