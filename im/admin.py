from django.contrib import admin

from im.models import Account, App


@admin.register(App)
class AppAdmin(admin.ModelAdmin):
    list_display = ["sdkappid", "name", "max_web_instances", "is_disabled", "created_at"]
    search_fields = ["sdkappid", "name"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["user_id", "app", "nick", "site_user", "created_at"]
    list_filter = ["app"]
    search_fields = ["user_id", "nick"]
    list_select_related = ["app", "site_user"]
    raw_id_fields = ["site_user"]
