"""HTTP adapters: the chat page and the UserSig endpoint it logs in with."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from im.errors import NOT_LOGGED_IN, IMError
from im.services.site import ensure_site_app, site_credentials


@login_required
@require_GET
def chat(request: HttpRequest) -> HttpResponse:
    app = ensure_site_app()
    return render(
        request, "im/chat.html", {"sdkappid": app.sdkappid, "revoke_window": app.revoke_window}
    )


@require_GET
@never_cache
def usersig(request: HttpRequest) -> JsonResponse:
    """The signed-in user's credentials; 401 (not a redirect) once the session is gone."""
    if not request.user.is_authenticated:
        return JsonResponse({"code": NOT_LOGGED_IN, "message": "sign in first"}, status=401)
    try:
        return JsonResponse({"code": 0, "data": site_credentials(request.user)})
    except IMError as error:
        return JsonResponse(error.as_dict(), status=403)
