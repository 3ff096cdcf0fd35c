"""Accounts in the operators' admin.

Accounts come from logins and the chat site, so they are never added or deleted here.
An operator edits the nick and avatar, kicks an account's sessions out, and disables an
account (kicked at once, logins refused with 70051) or enables it again.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from im.admin.guarded import ParentViewInline, RefusedActionsMixin
from im.models import Account, GroupMember, Instance
from im.services.accounts import do_set_app_admin, do_update_account
from im.services.instances import do_kick_account, do_set_account_disabled


class OnlineFilter(admin.SimpleListFilter):
    title = _("online")
    parameter_name = "online"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", _("Online")), ("no", _("Offline"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(online=self.value() == "yes")
        return queryset


class InstanceInline(ParentViewInline):
    model = Instance
    verbose_name = _("instance")
    verbose_name_plural = _("live instances")
    fields = readonly_fields = ["instance", "logged_in", "online", "kicked", "sig_expiry"]
    ordering = ["-logged_in_at", "-pk"]

    @admin.display(description=_("instanceID"))
    def instance(self, row: Instance) -> str:
        return row.instance_id or "—"

    @admin.display(description=_("logged in"))
    def logged_in(self, row: Instance):
        return row.logged_in_at

    @admin.display(description=_("online"), boolean=True)
    def online(self, row: Instance) -> bool:
        return row.is_online

    @admin.display(description=_("kicked out because"))
    def kicked(self, row: Instance) -> str:
        return row.kicked_reason or "—"

    @admin.display(description=_("UserSig expires"))
    def sig_expiry(self, row: Instance):
        return row.sig_expires_at


class MembershipInline(ParentViewInline):
    model = GroupMember
    verbose_name = _("chat group membership")
    verbose_name_plural = _("chat groups")
    fields = readonly_fields = ["group_link", "group_name", "group_type", "role", "joined"]
    ordering = ["joined_at", "pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("group")

    @admin.display(description=_("groupID"))
    def group_link(self, member: GroupMember) -> str:
        try:
            url = reverse("admin:im_group_change", args=[member.group.pk])
        except NoReverseMatch:  # no chat-group admin registered
            return member.group.group_id
        return format_html('<a href="{}">{}</a>', url, member.group.group_id)

    @admin.display(description=_("name"))
    def group_name(self, member: GroupMember) -> str:
        return member.group.name

    @admin.display(description=_("type"))
    def group_type(self, member: GroupMember) -> str:
        return member.group.type

    @admin.display(description=_("joined"))
    def joined(self, member: GroupMember):
        return member.joined_at


@admin.register(Account)
class AccountAdmin(RefusedActionsMixin, admin.ModelAdmin):
    list_display = [
        "user_id",
        "app",
        "nick",
        "online",
        "is_admin",
        "is_disabled",
        "site_user",
        "created_at",
    ]
    list_filter = ["app", OnlineFilter, "is_admin", "is_disabled"]
    search_fields = ["user_id", "nick"]
    list_select_related = ["app", "site_user"]
    fields = ["user_id", "app", "nick", "avatar", "is_admin", "is_disabled", "site_user"]
    fields += ["created_at"]
    readonly_fields = ["user_id", "app", "is_admin", "is_disabled", "site_user", "created_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [InstanceInline, MembershipInline]
    actions = ["kick_out", "disable", "enable", "make_app_admin", "remove_app_admin"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        live = Instance.objects.filter(account=OuterRef("pk"), is_online=True)
        return super().get_queryset(request).annotate(online=Exists(live))

    @admin.display(description=_("online"), boolean=True, ordering="online")
    def online(self, account: Account) -> bool:
        return account.online

    def save_model(self, request: HttpRequest, obj: Account, form, change: bool) -> None:
        # Only what the operator changed: saving an untouched empty avatar URL must not
        # drop an uploaded avatar.
        changed = {f: form.cleaned_data[f] for f in ("nick", "avatar") if f in form.changed_data}
        do_update_account(account=obj, **changed)

    @admin.action(description=_("Kick out every online instance"), permissions=["kick"])
    def kick_out(self, request: HttpRequest, queryset: QuerySet) -> None:
        kicked = 0
        for account in queryset:
            count = do_kick_account(account=account)
            kicked += count
            self.log_change(
                request, account, gettext("Kicked out %(count)d instances.") % {"count": count}
            )
        self.message_user(request, _("%(count)d instances kicked out.") % {"count": kicked})

    @admin.action(description=_("Disable: kick out and refuse logins"), permissions=["disable"])
    def disable(self, request: HttpRequest, queryset: QuerySet) -> None:
        changed = kicked = 0
        for account in queryset.filter(is_disabled=False):
            count = do_set_account_disabled(account=account, disabled=True)
            changed, kicked = changed + 1, kicked + count
            self.log_change(
                request,
                account,
                gettext("Disabled; %(count)d instances kicked out.") % {"count": count},
            )
        self.message_user(
            request,
            _("%(accounts)d accounts disabled, %(count)d instances kicked out.")
            % {"accounts": changed, "count": kicked},
        )

    @admin.action(description=_("Enable again: allow logins"), permissions=["disable"])
    def enable(self, request: HttpRequest, queryset: QuerySet) -> None:
        changed = 0
        for account in queryset.filter(is_disabled=True):
            do_set_account_disabled(account=account, disabled=False)
            changed += 1
            self.log_change(request, account, gettext("Enabled again."))
        self.message_user(request, _("%(accounts)d accounts enabled.") % {"accounts": changed})

    @admin.action(
        description=_("Make app administrator (REST API, every group)"), permissions=["change_app"]
    )
    def make_app_admin(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_app_admin(request, queryset, True, gettext("Made an app administrator."))

    @admin.action(description=_("No longer app administrator"), permissions=["change_app"])
    def remove_app_admin(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_app_admin(request, queryset, False, gettext("No longer an app administrator."))

    def _set_app_admin(
        self, request: HttpRequest, queryset: QuerySet, is_admin: bool, note: str
    ) -> None:
        changed = 0
        for account in queryset.filter(is_admin=not is_admin).select_related("app"):
            do_set_app_admin(app=account.app, user_id=account.user_id, is_admin=is_admin)
            changed += 1
            self.log_change(request, account, note)
        self.message_user(request, _("%(accounts)d accounts changed.") % {"accounts": changed})

    def has_change_app_permission(self, request: HttpRequest) -> bool:
        # Who is an app's administrator is a setting of the app.
        return request.user.has_perm("im.change_app")

    def has_kick_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("im.kick_account")

    def has_disable_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("im.disable_account")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Account | None = None) -> bool:
        return False
