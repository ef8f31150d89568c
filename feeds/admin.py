from django.contrib import admin

from feeds.models import CalendarFeedToken


@admin.register(CalendarFeedToken)
class CalendarFeedTokenAdmin(admin.ModelAdmin):
    """Read and delete only: the token itself is never stored, so there is nothing to edit."""

    list_display = ["user", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["user__username", "user__x_username"]
    readonly_fields = ["user", "kind", "token_digest", "created_at"]

    def has_add_permission(self, request):
        return False
