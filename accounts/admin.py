from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import User
from tweetups.page_cache import ForgetPagesAdmin


@admin.register(User)
class UserAdmin(ForgetPagesAdmin, BaseUserAdmin):
    list_display = ["username", "x_username", "display_name", "x_id", "is_staff", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "date_joined"]
    search_fields = ["username", "x_username", "display_name", "x_id", "email"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("X profile", {"fields": ["x_id", "x_username", "display_name", "avatar_url"]}),
    ]
