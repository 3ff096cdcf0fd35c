"""Accounts in the operators' admin."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from im.models import Account
from im.services.instances import do_kick_account


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
