"""Apps in the operators' admin.

The secret key is typed (or left blank to be generated) only when an app is added, and
shown once: on the page right after the add or a rotation, never in a form field,
message cookie or later page. Saving an app disabled kicks its open sessions.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.validators import URLValidator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from im import hooks
from im.admin.guarded import RefusedActionsMixin
from im.models import App
from im.services.apps import do_rotate_app_secret, do_upsert_app

SETTINGS = [
    "name",
    "max_web_instances",
    "revoke_window",
    "message_retention_days",
    "send_rate",
    "send_burst",
    "max_message_bytes",
    "group_message_rate",
    "callback_url",
    "callback_token",
    "callback_commands",
    "callback_fail_closed",
]


class AppSettingsForm(forms.ModelForm):
    callback_url = forms.URLField(
        label=_("callback URL"),
        required=False,
        max_length=500,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("Where the app's back end hears TIM's callbacks (http or https)."),
    )
    callback_commands = forms.MultipleChoiceField(
        label=_("callback commands"),
        choices=[(command, command) for command in hooks.COMMANDS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The events the callback URL hears (TIM's CallbackCommand). Before-callbacks may "
            "refuse the action; after-callbacks are sent once it happened, with retries."
        ),
    )

    class Meta:
        model = App
        fields = ["sdkappid", *SETTINGS, "is_disabled"]


class AppAddForm(AppSettingsForm):
    secret_key = forms.CharField(
        label=_("secret key"),
        required=False,
        max_length=128,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave blank to have a random key generated. It is shown once, after saving."),
    )

    class Meta:
        model = App
        fields = ["sdkappid", "secret_key", *SETTINGS, "is_disabled"]


@admin.register(App)
class AppAdmin(RefusedActionsMixin, admin.ModelAdmin):
    list_display = ["sdkappid", "name", "max_web_instances", "is_disabled", "created_at"]
    list_filter = ["is_disabled"]
    search_fields = ["sdkappid", "name"]
    change_form_template = "admin/im/app/change_form.html"

    def get_fields(self, request: HttpRequest, obj: App | None = None) -> list[str]:
        if obj is None:
            return AppAddForm.Meta.fields
        return ["sdkappid", "secret", *SETTINGS, "is_disabled"]

    def get_readonly_fields(self, request: HttpRequest, obj: App | None = None) -> list[str]:
        return ["sdkappid", "secret"] if obj else []

    def get_form(self, request: HttpRequest, obj: App | None = None, **kwargs) -> type:
        kwargs["form"] = AppSettingsForm if obj else AppAddForm
        return super().get_form(request, obj, **kwargs)

    @admin.display(description=_("secret key"))
    def secret(self, app: App) -> str:
        return gettext("Hidden. Rotate it to get a new one; the old one then stops working.")

    def save_model(self, request: HttpRequest, obj: App, form, change: bool) -> None:
        app, _ = do_upsert_app(
            sdkappid=obj.sdkappid,
            # Only a new app takes a key from the form; a change keeps the stored one.
            secret_key=None if change else form.cleaned_data["secret_key"] or None,
            name=obj.name,
            max_web_instances=obj.max_web_instances,
            revoke_window=obj.revoke_window,
            message_retention_days=obj.message_retention_days,
            send_rate=obj.send_rate,
            send_burst=obj.send_burst,
            max_message_bytes=obj.max_message_bytes,
            group_message_rate=obj.group_message_rate,
            callback_url=obj.callback_url,
            callback_token=obj.callback_token,
            callback_commands=list(obj.callback_commands),
            callback_fail_closed=obj.callback_fail_closed,
            is_disabled=obj.is_disabled,
        )
        obj.pk, obj.secret_key = app.pk, app.secret_key

    def response_add(
        self, request: HttpRequest, obj: App, post_url_continue: str | None = None
    ) -> HttpResponse:
        # Rendered, not redirected with a message: the key never rides in the message
        # cookie or session, and reloading the next page does not show it again.
        return self._show_secret(
            request, obj, gettext("The app “%(app)s” was added.") % {"app": obj}
        )

    # --- rotating the secret key ---

    def get_urls(self) -> list:
        rotate = self.admin_site.admin_view(self.rotate_secret_view)
        name = f"{self.opts.app_label}_{self.opts.model_name}_rotate_secret"
        return [path("<path:object_id>/rotate-secret/", rotate, name=name), *super().get_urls()]

    def has_rotate_secret_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("im.rotate_app_secret")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_rotate_secret": self.has_rotate_secret_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def rotate_secret_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: the confirmation page; POST: a new key, shown once."""
        if not self.has_rotate_secret_permission(request):
            raise PermissionDenied
        app = self.get_object(request, unquote(object_id))
        if app is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if request.method == "POST":
            with transaction.atomic():
                do_rotate_app_secret(app)
                self.log_change(request, app, gettext("Rotated the secret key."))
            return self._show_secret(
                request, app, gettext("The secret key of “%(app)s” was rotated.") % {"app": app}
            )
        return self._app_page(request, app, "rotate_secret.html", _("Rotate the secret key"))

    def _show_secret(self, request: HttpRequest, app: App, done: str) -> HttpResponse:
        return self._app_page(request, app, "secret_key.html", _("The app's secret key"), done=done)

    def _app_page(
        self, request: HttpRequest, app: App, template: str, title: str, **context: object
    ) -> HttpResponse:
        context.update(self.admin_site.each_context(request), opts=self.opts, app=app, title=title)
        return TemplateResponse(request, f"admin/im/app/{template}", context)
