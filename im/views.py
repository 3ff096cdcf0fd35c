"""HTTP adapters: the chat page, the UserSig endpoint it logs in with, the people
search it starts chats from, the sign-in and sign-up pages, and the file system
default's download of message media (``im.storage``; its upload endpoint is
``im.uploadapp``, in front of Django)."""

from __future__ import annotations

import math

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from im import storage
from im.errors import INVALID_PARAMS, NOT_LOGGED_IN, IMError
from im.params import get_int, get_str
from im.serializers import people_page_to_dict
from im.services.site import (
    PEOPLE_PAGE_SIZE,
    check_find_people,
    do_end_other_site_sessions,
    ensure_site_app,
    site_credentials,
)

# Django 5.2's wording of MinimumLengthValidator's error, which its own Chinese catalog
# does not have yet: the site's catalog carries it, and naming it here keeps
# makemessages from dropping it.
PASSWORD_TOO_SHORT = ngettext_lazy(
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
    "min_length",
)


@login_required
@require_GET
def chat(request: HttpRequest) -> HttpResponse:
    app = ensure_site_app()
    return render(
        request,
        "im/chat.html",
        {
            "sdkappid": app.sdkappid,
            "revoke_window": app.revoke_window,
            "max_message_bytes": app.max_message_bytes,
        },
    )


@require_GET
@never_cache
def usersig(request: HttpRequest) -> JsonResponse:
    """The signed-in user's credentials; 401 (not a redirect) once the session is gone."""
    if not request.user.is_authenticated:
        return JsonResponse({"code": NOT_LOGGED_IN, "message": "sign in first"}, status=401)
    try:
        credentials = site_credentials(request.user, request.session.session_key)
        return JsonResponse({"code": 0, "data": credentials})
    except IMError as error:
        return JsonResponse(error.as_dict(), status=403)


@require_GET
@never_cache
def people(request: HttpRequest) -> JsonResponse:
    """``GET /im/people/?q=&offset=&limit=``: a page of the site's users whose userID or
    nick contains ``q``, for the chat page's "new chat" search. Like ``usersig``, 401
    (not a redirect) without a signed-in user; bad parameters 400 with TIM's 6017."""
    if not request.user.is_authenticated:
        return JsonResponse({"code": NOT_LOGGED_IN, "message": "sign in first"}, status=401)
    try:
        data = request.GET.dict()
        page = check_find_people(
            user=request.user,
            query=get_str(data, "q", default=""),
            offset=get_int(data, "offset", default=0, numeric_str=True),
            limit=get_int(data, "limit", default=PEOPLE_PAGE_SIZE, numeric_str=True),
        )
    except IMError as error:
        return JsonResponse(error.as_dict(), status=400 if error.code == INVALID_PARAMS else 403)
    return JsonResponse({"code": 0, "data": people_page_to_dict(page)})


class SignInView(auth_views.LoginView):
    """Django's sign-in, whose page links to the sign-up page when it is open."""

    template_name = "registration/login.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"signup_enabled": settings.HUTONG_SIGNUP}


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change; the user's IM sessions in other browsers end with
    their site sessions, this browser's stay."""

    template_name = "accounts/password_change.html"

    def form_valid(self, form):
        session_key = self.request.session.session_key  # before the change cycles it
        response = super().form_valid(form)
        do_end_other_site_sessions(form.user, keep_session_key=session_key)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset link; the new password ends every IM session of the user."""

    template_name = "accounts/password_reset_confirm.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        do_end_other_site_sessions(form.user, keep_session_key=None)
        return response


class SignUpForm(UserCreationForm):
    """Django's own, with the email a password reset goes to (one person's per address)."""

    email = forms.EmailField(label=_("Email"), max_length=254)

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("Someone has already signed up with this email."))
        return email


@never_cache
def signup(request: HttpRequest) -> HttpResponse:
    """The sign-up page, there only with ``HUTONG_SIGNUP``: Django's user creation form
    (the password checked by ``AUTH_PASSWORD_VALIDATORS``); the new user gets its IM
    account as every new user does (``site.on_user_saved``), is signed in and goes to
    the chat."""
    if not settings.HUTONG_SIGNUP:
        raise Http404("sign-up is off")
    if request.user.is_authenticated:
        return redirect("chat")
    form = SignUpForm(request.POST) if request.method == "POST" else SignUpForm()
    if form.is_bound and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("chat")
    return render(request, "accounts/signup.html", {"form": form})


def locked_out(request: HttpRequest, credentials: dict | None, *args, **kwargs) -> HttpResponse:
    """django-axes' answer to a sign-in while its username or address is locked out
    (``AXES_LOCKOUT_CALLABLE``): the site's page, saying how long to wait."""
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)


@require_GET
def media_file(request: HttpRequest) -> HttpResponse:
    """The file system default's download link: a signed, expiring token naming one
    object. Files are always attachments (one may be HTML); nothing is sniffed. Images,
    videos and voice are shown, with no Content-Disposition at all, as the object store
    answers them: FileResponse would name them after the stored file, "original" with no
    extension, which is what a browser's "Save image as" would then offer."""
    if storage.is_s3():
        raise Http404("media are served by the object store")
    try:
        found = storage.download(request.GET.get("t", ""))
    except signing.BadSignature:
        return HttpResponse("the link is invalid or expired", status=403, content_type="text/plain")
    try:
        opened = storage.open_local(found.key)
    except FileNotFoundError:
        raise Http404("no such file") from None
    response = FileResponse(
        opened,
        content_type=found.content_type,
        as_attachment=found.download_name is not None,
        filename=found.download_name or "",
    )
    if found.download_name is None:
        response.headers.pop("Content-Disposition", None)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
