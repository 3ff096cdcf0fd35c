"""Chat groups in the operators' admin: the console of TIM's groups.

An adapter like every other entry point: each form is parsed here and handed to one
service of ``im.services``, called as the app's console operator (TIM's
``administrator``, an app administrator with the owner's rights in every group), so
members' open pages get the same tips, notices and GROUP_JOINED/GROUP_LEFT as when a
member acts. Member rows are never saved as model rows. A service's ``IMError`` is
shown as an error message and nothing is changed.

Who may do what is Django's permissions: ``view_group`` to look, ``change_group`` for
the profile and muting everyone, ``add_group`` to create, and the custom
``manage_chat_group_members``, ``dismiss_chat_group`` and ``send_chat_group_notice``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import construct_change_message, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from im.errors import IMError
from im.models import Account, Group, GroupMember
from im.selectors import find_account, groups_with_activity, members_in_order
from im.services.accounts import do_ensure_console_operator
from im.services.groups import (
    check_change_owner,
    check_create_group,
    check_dismiss_group,
    check_update_group_profile,
)
from im.services.members import (
    check_add_members,
    check_delete_members,
    check_set_mute_time,
    check_set_role,
)
from im.services.notices import check_send_custom_notice

MANAGE_MEMBERS = "im.manage_chat_group_members"
DISMISS = "im.dismiss_chat_group"
SEND_NOTICE = "im.send_chat_group_notice"

# The chat page's own words for TIM's join options.
JOIN_OPTION_CHOICES = [
    ("FreeAccess", _("Anyone, at once")),
    ("NeedPermission", _("Anyone an admin approves")),
    ("DisableApply", _("Nobody")),
]

MINUTE, HOUR, DAY = 60, 3600, 86400
MUTE_CHOICES = [
    (10 * MINUTE, _("10 minutes")),
    (HOUR, _("1 hour")),
    (12 * HOUR, _("12 hours")),
    (DAY, _("1 day")),
    (7 * DAY, _("7 days")),
    (30 * DAY, _("30 days")),
    (0, _("Unmute")),
]


def refusal(error: IMError) -> str:
    return _("Nothing was changed: %(message)s (code %(code)d)") % {
        "message": error.message,
        "code": error.code,
    }


def user_id_list(text: str) -> list[str]:
    """userIDs typed one per line, or separated by commas or spaces."""
    return list(dict.fromkeys(part for part in re.split(r"[\s,，]+", text) if part))


def user_ids_field(label: str, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, or separated by commas or spaces."),
    )


# --- the operations on one group: a form each, run as the console operator ---


class GroupOperation(forms.Form):
    """One action on a group's change page: its form and the permission it takes.
    Each subclass's ``run(operator)`` calls one service and says what was done (for
    the operator and the group's admin history)."""

    slug: ClassVar[str]
    title: ClassVar[str]
    permission: ClassVar[str] = MANAGE_MEMBERS

    def __init__(self, *args: Any, group: Group, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group = group


class AddMembers(GroupOperation):
    slug, title = "add-members", _("Add members")
    user_ids = user_ids_field(_("userIDs"))

    def run(self, operator: Account) -> str:
        result = check_add_members(
            account=operator,
            group_id=self.group.group_id,
            user_ids=user_id_list(self.cleaned_data["user_ids"]),
        )
        lines = [(_("Added: %(users)s"), result.added)]
        lines += [(_("No such account: %(users)s"), result.failed)]
        lines += [(_("Already members: %(users)s"), result.existed)]
        lines += [(_("Over the member limit: %(users)s"), result.over_limit)]
        return "; ".join(text % {"users": ", ".join(ids)} for text, ids in lines if ids)


class RemoveMembers(GroupOperation):
    slug, title = "remove-members", _("Remove members")
    user_ids = user_ids_field(_("userIDs"))
    reason = forms.CharField(
        label=_("reason"), required=False, help_text=_("Shown to the removed members.")
    )

    def run(self, operator: Account) -> str:
        _view, removed = check_delete_members(
            account=operator,
            group_id=self.group.group_id,
            user_ids=user_id_list(self.cleaned_data["user_ids"]),
            reason=self.cleaned_data["reason"],
        )
        return _("Removed %(users)s from the group") % {"users": ", ".join(removed)}


class SetRole(GroupOperation):
    slug, title = "set-role", _("Set or cancel an admin")
    user_id = forms.CharField(label=_("userID"))
    role = forms.ChoiceField(
        label=_("role"),
        choices=[(GroupMember.Role.ADMIN, _("Admin")), (GroupMember.Role.MEMBER, _("Member"))],
    )

    def run(self, operator: Account) -> str:
        change = check_set_role(
            account=operator,
            group_id=self.group.group_id,
            user_id=self.cleaned_data["user_id"],
            role=self.cleaned_data["role"],
        )
        return _("%(user)s is now %(role)s") % {
            "user": change.member.account.user_id,
            "role": dict(self.fields["role"].choices)[change.member.role],
        }


class Mute(GroupOperation):
    slug, title = "mute", _("Mute or unmute a member")
    user_id = forms.CharField(label=_("userID"))
    mute_time = forms.TypedChoiceField(label=_("for"), choices=MUTE_CHOICES, coerce=int)

    def run(self, operator: Account) -> str:
        user_id, seconds = self.cleaned_data["user_id"], self.cleaned_data["mute_time"]
        check_set_mute_time(
            account=operator, group_id=self.group.group_id, user_id=user_id, mute_time=seconds
        )
        if not seconds:
            return _("Unmuted %(user)s") % {"user": user_id}
        span = dict(MUTE_CHOICES)[seconds]
        return _("Muted %(user)s for %(time)s") % {"user": user_id, "time": span}


class TransferOwnership(GroupOperation):
    slug, title = "transfer", _("Transfer ownership")
    user_id = forms.CharField(label=_("new owner's userID"), help_text=_("A member of the group."))

    def run(self, operator: Account) -> str:
        user_id = self.cleaned_data["user_id"]
        check_change_owner(account=operator, group_id=self.group.group_id, new_owner_id=user_id)
        return _("%(user)s now owns the group") % {"user": user_id}


class SendNotice(GroupOperation):
    slug, title = "notice", _("Send a system notice")
    permission = SEND_NOTICE
    text = forms.CharField(
        label=_("notice"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Every member gets it in their Notifications (TIM's custom notice, 255)."),
    )

    def run(self, operator: Account) -> str:
        sent = check_send_custom_notice(
            account=operator, group_id=self.group.group_id, text=self.cleaned_data["text"]
        )
        return ngettext(
            "Sent a system notice to %(count)d member",
            "Sent a system notice to %(count)d members",
            len(sent),
        ) % {"count": len(sent)}


OPERATIONS: list[type[GroupOperation]] = [
    AddMembers,
    RemoveMembers,
    SetRole,
    Mute,
    TransferOwnership,
    SendNotice,
]
# The operations a member's row links to, with the member filled in.
MEMBER_OPERATIONS: list[type[GroupOperation]] = [Mute, SetRole, TransferOwnership, RemoveMembers]


def operation_url(group_pk: int, operation: type[GroupOperation], user_id: str = "") -> str:
    """The operation's page; with ``user_id``, its form filled in for that member."""
    url = reverse(f"admin:im_group_{operation.slug.replace('-', '_')}", args=[group_pk])
    if not user_id:
        return url
    field = "user_ids" if "user_ids" in operation.base_fields else "user_id"
    return f"{url}?{urlencode({field: user_id})}"


# --- the forms of the change and add pages ---


class GroupProfileForm(forms.ModelForm):
    """The profile as an operator edits it; saved by ``check_update_group_profile``."""

    join_option = forms.ChoiceField(label=_("join option"), choices=JOIN_OPTION_CHOICES)

    class Meta:
        model = Group
        fields = [
            "name",
            "introduction",
            "notification",
            "avatar",
            "join_option",
            "mute_all_members",
        ]


class GroupCreateForm(forms.ModelForm):
    """A new group, made by ``check_create_group`` for the owner named."""

    group_id = forms.CharField(
        label=_("groupID"),
        required=False,
        max_length=48,
        help_text=_("Leave empty for one made up (@TGS#…)."),
    )
    join_option = forms.ChoiceField(label=_("join option"), choices=JOIN_OPTION_CHOICES)
    owner_user_id = forms.CharField(label=_("owner's userID"), max_length=32)
    member_user_ids = user_ids_field(_("initial members' userIDs"), required=False)

    class Meta:
        model = Group
        fields = ["app", "group_id", "name", "type", "join_option"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        app, owner_id = data.get("app"), data.get("owner_user_id")
        if app and owner_id:
            self.owner = find_account(app, owner_id)
            if self.owner is None:
                self.add_error(
                    "owner_user_id", _("There is no account with this userID in the app.")
                )
        return data


# What the change page shows but the profile form does not change.
READ_ONLY_FIELDS = ["group_id", "app", "type", "owner_user_id", "max_member_num"]
READ_ONLY_FIELDS += ["member_count", "last_message_at", "created_at"]


class MemberInline(admin.TabularInline):
    """The group's members, read-only: they change through the operations."""

    model = GroupMember
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name = _("member")
    verbose_name_plural = _("members")
    base_fields = ["member_user_id", "member_role", "member_name_card"]
    base_fields += ["member_mute_until", "member_joined_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[GroupMember]:
        return members_in_order(super().get_queryset(request))

    def get_fields(self, request: HttpRequest, obj: Group | None = None) -> list[str]:
        links = ["member_operations"] if request.user.has_perm(MANAGE_MEMBERS) else []
        return [*self.base_fields, *links]

    def get_readonly_fields(self, request: HttpRequest, obj: Group | None = None) -> list[str]:
        return self.get_fields(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return request.user.has_perm("im.view_group") or request.user.has_perm("im.change_group")

    def has_add_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return False

    @admin.display(description=_("userID"))
    def member_user_id(self, member: GroupMember) -> str:
        return member.account.user_id

    @admin.display(description=_("role"))
    def member_role(self, member: GroupMember) -> str:
        return member.role

    @admin.display(description=_("name card"))
    def member_name_card(self, member: GroupMember) -> str:
        return member.name_card

    @admin.display(description=_("muted until"))
    def member_mute_until(self, member: GroupMember) -> Any:
        return member.mute_until

    @admin.display(description=_("joined"))
    def member_joined_at(self, member: GroupMember) -> Any:
        return member.joined_at

    @admin.display(description=_("operations"))
    def member_operations(self, member: GroupMember) -> str:
        user_id = member.account.user_id
        return format_html_join(
            " · ",
            '<a href="{}" data-testid="member-{}">{}</a>',
            (
                (operation_url(member.group_id, op, user_id=user_id), op.slug, op.title)
                for op in MEMBER_OPERATIONS
            ),
        )


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = [
        "group_id",
        "name",
        "app",
        "type",
        "owner_user_id",
        "member_count",
        "last_message_at",
    ]
    list_filter = ["app", "type", "join_option", "mute_all_members"]
    search_fields = ["group_id", "name", "owner__user_id"]
    inlines = [MemberInline]
    actions = ["mute_all", "unmute_all"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return groups_with_activity(super().get_queryset(request))

    # --- the list ---

    @admin.display(description=_("owner"), ordering="owner__user_id")
    def owner_user_id(self, group: Group) -> str:
        return group.owner.user_id if group.owner else "—"

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, group: Group) -> int:
        return group.member_count

    @admin.display(description=_("last message"), ordering="last_message_at")
    def last_message_at(self, group: Group) -> Any:
        return group.last_message_at

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        # Dismissing tells every member; one group at a time, from its own page.
        actions.pop("delete_selected", None)
        return actions

    @admin.action(
        description=_("Mute all members of the selected chat groups"), permissions=["change"]
    )
    def mute_all(self, request: HttpRequest, queryset: QuerySet[Group]) -> None:
        self._set_mute_all(request, queryset, muted=True)

    @admin.action(
        description=_("Unmute all members of the selected chat groups"), permissions=["change"]
    )
    def unmute_all(self, request: HttpRequest, queryset: QuerySet[Group]) -> None:
        self._set_mute_all(request, queryset, muted=False)

    def _set_mute_all(
        self, request: HttpRequest, queryset: QuerySet[Group], *, muted: bool
    ) -> None:
        done = _("Muted all members") if muted else _("Unmuted all members")
        for group in queryset:
            if group.mute_all_members == muted:
                continue
            try:
                check_update_group_profile(
                    account=do_ensure_console_operator(group.app),
                    group_id=group.group_id,
                    changes={"mute_all_members": muted},
                )
            except IMError as error:
                self.message_user(request, f"{group.group_id}: {refusal(error)}", messages.ERROR)
            else:
                self.log_change(request, group, str(done))
                self.message_user(request, f"{group.group_id}: {done}", messages.SUCCESS)

    # --- the add and change pages ---

    def get_form(self, request: HttpRequest, obj: Group | None = None, **kwargs: Any) -> type:
        kwargs["form"] = GroupProfileForm if obj else GroupCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Group | None = None) -> list:
        if obj is None:
            fields = ["app", "group_id", "name", "type", "join_option"]
            return [(None, {"fields": [*fields, "owner_user_id", "member_user_ids"]})]
        return [
            (None, {"fields": ["group_id", "app", "type", "owner_user_id", "max_member_num"]}),
            (_("Profile"), {"fields": ["name", "introduction", "notification", "avatar"]}),
            (_("Joining and muting"), {"fields": ["join_option", "mute_all_members"]}),
            (None, {"fields": ["member_count", "last_message_at", "created_at"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Group | None = None) -> list[str]:
        if obj is None:
            return []
        return [*READ_ONLY_FIELDS]

    def get_inlines(self, request: HttpRequest, obj: Group | None) -> list:
        return self.inlines if obj else []

    def has_delete_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return request.user.has_perm(DISMISS)

    def save_model(
        self, request: HttpRequest, obj: Group, form: forms.ModelForm, change: bool
    ) -> None:
        if not change:
            data = form.cleaned_data
            view = check_create_group(
                owner=form.owner,
                name=data["name"],
                group_type=data["type"],
                group_id=data["group_id"],
                join_option=data["join_option"],
                members=[
                    (uid, GroupMember.Role.MEMBER) for uid in user_id_list(data["member_user_ids"])
                ],
            )
            obj.pk, obj.group_id = view.group.pk, view.group.group_id
            return
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        if changes:
            check_update_group_profile(
                account=do_ensure_console_operator(obj.app), group_id=obj.group_id, changes=changes
            )

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool
    ) -> None:
        """Members are read-only rows here: nothing of theirs is saved."""

    def construct_change_message(
        self, request: HttpRequest, form: forms.ModelForm, formsets: list, add: bool = False
    ) -> list[dict[str, Any]]:
        return construct_change_message(form, [], add)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The admin's transaction rolls back on the way out of the view, log entry included.
        try:
            return super().changeform_view(
                request,
                object_id,
                form_url,
                {**(extra_context or {}), **self._tools(request, object_id)},
            )
        except IMError as error:
            self.message_user(request, refusal(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def _tools(self, request: HttpRequest, object_id: str | None) -> dict[str, Any]:
        """The operations this staff user may use, as links above the change form."""
        group = self.get_object(request, unquote(object_id)) if object_id else None
        if group is None:
            return {}
        tools = [
            {"url": operation_url(group.pk, op), "title": op.title, "slug": op.slug}
            for op in OPERATIONS
            if request.user.has_perm(op.permission)
        ]
        return {"group_tools": tools}

    # --- dismissing: the delete view ---

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        """What the confirmation lists. The service deletes the group's members and
        messages with it, so no permission on those models is needed."""
        groups = list(objs)
        summary = [
            format_html(
                "{}: {}",
                _("chat group"),
                ngettext(
                    "%(group)s, with %(count)d member",
                    "%(group)s, with %(count)d members",
                    g.member_count,
                )
                % {"group": g.group_id, "count": g.member_count},
            )
            for g in groups
        ]
        return summary, {_("chat groups"): len(groups)}, set(), []

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        check_dismiss_group(account=do_ensure_console_operator(obj.app), group_id=obj.group_id)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except IMError as error:
            self.message_user(request, refusal(error), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:im_group_change", args=[object_id]))

    # --- the operations' pages ---

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                f"<path:object_id>/{op.slug}/",
                self.admin_site.admin_view(self._operation_view(op)),
                name=f"im_group_{op.slug.replace('-', '_')}",
            )
            for op in OPERATIONS
        ]
        return own + super().get_urls()

    def _operation_view(self, operation: type[GroupOperation]):
        def view(request: HttpRequest, object_id: str) -> HttpResponse:
            return self.operation_view(request, object_id, operation)

        return view

    def operation_view(
        self, request: HttpRequest, object_id: str, operation: type[GroupOperation]
    ) -> HttpResponse:
        group = self.get_object(request, unquote(object_id))
        if not request.user.has_perm(operation.permission):
            raise PermissionDenied
        if group is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        form = operation(request.POST or None, group=group, initial=request.GET.dict())
        if request.method == "POST" and form.is_valid():
            try:
                done = form.run(do_ensure_console_operator(group.app))
            except IMError as error:
                self.message_user(request, refusal(error), messages.ERROR)
            else:
                self.log_change(request, group, str(done))
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:im_group_change", args=[group.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": operation.title,
            "subtitle": str(group),
            "opts": self.opts,
            "original": group,
            "form": form,
            "operation": operation,
        }
        return TemplateResponse(request, "admin/im/group/operation.html", context)
