"""Apps in the operators' admin."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from im.models import App
from im.services.apps import do_upsert_app


@admin.register(App)
class AppAdmin(admin.ModelAdmin):
    list_display = ["sdkappid", "name", "max_web_instances", "is_disabled", "created_at"]
    search_fields = ["sdkappid", "name"]
    fields = [
        "sdkappid",
        "name",
        "secret_key",
        "max_web_instances",
        "revoke_window",
        "message_retention_days",
        "is_disabled",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: App | None = None) -> list[str]:
        return ["sdkappid"] if obj else []

    def save_model(self, request: HttpRequest, obj: App, form, change: bool) -> None:
        app, _ = do_upsert_app(
            sdkappid=obj.sdkappid,
            secret_key=obj.secret_key,
            name=obj.name,
            max_web_instances=obj.max_web_instances,
            revoke_window=obj.revoke_window,
            message_retention_days=obj.message_retention_days,
            is_disabled=obj.is_disabled,
        )
        obj.pk = app.pk
