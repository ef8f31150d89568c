from django.contrib import admin, messages

from notifications.models import (
    Broadcast,
    CityFollow,
    EmailPreferences,
    Invitation,
    OutgoingMessage,
)
from notifications.outbox import outgoing_messages_retry


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(admin.ModelAdmin):
    list_display = [
        "kind", "recipient", "tweetup", "revision", "week", "status", "attempts", "sent_at",
    ]  # fmt: skip
    list_filter = ["status", "kind"]
    search_fields = ["recipient__x_username", "to_email", "tweetup__title"]
    list_select_related = ["recipient", "tweetup"]
    raw_id_fields = ["recipient", "tweetup", "broadcast"]
    readonly_fields = ["created_at", "claimed_at", "sent_at", "to_email", "attempts", "last_error"]
    date_hierarchy = "created_at"
    actions = ["retry_failed"]

    @admin.action(description="Try the selected failed messages again")
    def retry_failed(self, request, queryset):
        count = outgoing_messages_retry(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} failed message(s) queued again.", messages.SUCCESS)


@admin.register(Broadcast)
class BroadcastAdmin(admin.ModelAdmin):
    list_display = ["kind", "tweetup", "revision", "created_at", "expanded_at"]
    list_filter = ["kind"]
    search_fields = ["tweetup__title", "subject"]
    list_select_related = ["tweetup"]
    raw_id_fields = ["tweetup", "author"]


@admin.register(CityFollow)
class CityFollowAdmin(admin.ModelAdmin):
    list_display = ["user", "city", "created_at"]
    list_filter = ["city"]
    search_fields = ["user__x_username", "city__name"]
    list_select_related = ["user", "city"]
    raw_id_fields = ["user"]


@admin.register(EmailPreferences)
class EmailPreferencesAdmin(admin.ModelAdmin):
    list_display = [
        "user", "confirmations", "reminders", "changes", "promotions", "new_in_city", "digest",
        "organizer", "invitations",
    ]  # fmt: skip
    search_fields = ["user__x_username"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["handle", "tweetup", "inviter", "invitee", "created_at"]
    search_fields = ["handle", "inviter__x_username", "tweetup__title"]
    list_select_related = ["tweetup", "inviter", "invitee"]
    raw_id_fields = ["tweetup", "inviter", "invitee"]
    date_hierarchy = "created_at"
