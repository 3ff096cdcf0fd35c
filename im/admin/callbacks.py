"""Callbacks an app's back end never took (``im.hooks``), and how many are waiting."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

from im import hooks
from im.models import CallbackFailure


@admin.register(CallbackFailure)
class CallbackFailureAdmin(admin.ModelAdmin):
    list_display = ["created_at", "app", "command", "error", "attempts"]
    list_filter = ["app", "command"]
    list_select_related = ["app"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "app", "command", "error", "attempts", "body"]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        title = gettext("Callback failures: %(count)d callbacks waiting to be sent") % {
            "count": hooks.backlog_size()
        }
        return super().changelist_view(request, {**(extra_context or {}), "title": title})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
