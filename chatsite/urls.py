from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from im.admin.overview import overview_view
from im.rest.views import v4

urlpatterns = [
    # Before the admin's own URLs, whose catch-all would take it for an app's index.
    path("admin/overview/", admin.site.admin_view(overview_view), name="admin-overview"),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Django's default LOGIN_REDIRECT_URL, which links and tools written for Django sites
    # assume; this site signs in to the chat (settings.LOGIN_REDIRECT_URL), so it goes there.
    path("accounts/profile/", RedirectView.as_view(pattern_name="chat"), name="profile"),
    # TIM's REST API for an app's own back end (im/rest/, docs/rest-api.md).
    path("v4/<str:service>/<str:name>", v4, name="rest-api"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("im.urls")),
]
