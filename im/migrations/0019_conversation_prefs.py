"""Participants: pinned conversations, and a C2C conversation's messageRemindType."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("im", "0018_callbacks"),
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
