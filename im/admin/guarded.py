"""What the operators' admins share: actions refused, not ignored, without permission."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


class RefusedActionsMixin:
    """Django leaves an action the user may not run out of the list, and answers a POST
    naming it with "No action selected" (a redirect, nothing done). A console whose
    staff have different rights should say no plainly: such a POST is a 403."""

    def changelist_view(
        self: admin.ModelAdmin, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        action = request.POST.get("action") if request.method == "POST" else None
        if action and action not in self.get_actions(request):
            raise PermissionDenied
        return super().changelist_view(request, extra_context)


class ParentViewInline(admin.TabularInline):
    """A read-only inline shown to whoever may view the parent object: the rows it lists
    (instances, memberships) have no admin of their own to grant view rights on."""

    extra = 0
    max_num = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        opts = self.parent_model._meta
        return any(
            request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")
            for action in ("view", "change")
        )

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
