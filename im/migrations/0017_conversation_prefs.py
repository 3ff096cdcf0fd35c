"""Participants: pinned conversations, and a C2C conversation's messageRemindType."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("im", "0016_site_app_web_instances"),
    ]

    operations = [
        migrations.AddField(
            model_name="participant",
            name="is_pinned",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="participant",
            name="message_remind_type",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
    ]
