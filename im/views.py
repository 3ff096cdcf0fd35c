"""HTTP adapters: the chat page, the UserSig endpoint it logs in with, and the file
system default's download of message media (``im.storage``; its upload endpoint is
``im.uploadapp``, in front of Django)."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from im import storage
from im.errors import NOT_LOGGED_IN, IMError
from im.services.site import ensure_site_app, site_credentials


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
