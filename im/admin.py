"""The operators' admin: an adapter over im/services like every other entry point."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from im.models import Account, App
from im.services.apps import do_upsert_app
from im.services.instances import do_kick_account


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


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    """Read-only: accounts come from logins and the chat site, not from the admin."""

    list_display = ["user_id", "app", "nick", "site_user", "created_at"]
    list_filter = ["app"]
    search_fields = ["user_id", "nick"]
    list_select_related = ["app", "site_user"]
    actions = ["kick_out"]

    @admin.action(description=_("Kick out every online instance"))
    def kick_out(self, request: HttpRequest, queryset) -> None:
        kicked = sum(do_kick_account(account=account) for account in queryset)
        self.message_user(request, _("%(count)d instances kicked out.") % {"count": kicked})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Account | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Account | None = None) -> bool:
        return False
