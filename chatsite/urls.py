from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from im.admin.overview import overview_view
from im.rest.views import v4
from im.views import PasswordChangeView, PasswordResetConfirmView, SignInView, signup

# Django's own password views with the site's pages (under templates/accounts/, not
# registration/, whose names the admin's password change uses for its own pages).
password_urls = [
    path(
        "accounts/password/change/",
        PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_sent.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    # Before the admin's own URLs, whose catch-all would take it for an app's index.
    path("admin/overview/", admin.site.admin_view(overview_view), name="admin-overview"),
    path("admin/", admin.site.urls),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    *password_urls,
    # Answers 404 unless HUTONG_SIGNUP is on.
    path("accounts/signup/", signup, name="signup"),
    # Django's default LOGIN_REDIRECT_URL, which links and tools written for Django sites
    # assume; this site signs in to the chat (settings.LOGIN_REDIRECT_URL), so it goes there.
    path("accounts/profile/", RedirectView.as_view(pattern_name="chat"), name="profile"),
    # TIM's REST API for an app's own back end (im/rest/, docs/rest-api.md).
    path("v4/<str:service>/<str:name>", v4, name="rest-api"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("im.urls")),
]
