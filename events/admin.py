from django.contrib import admin

from events.models import City, Rsvp, Tweetup


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "timezone", "slug"]
    list_filter = ["country"]
    search_fields = ["name", "country", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class RsvpInline(admin.TabularInline):
    model = Rsvp
    extra = 0
    raw_id_fields = ["user"]
    fields = ["user", "status", "waitlist_position", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Tweetup)
class TweetupAdmin(admin.ModelAdmin):
    list_display = ["title", "city", "starts_at", "status", "capacity", "hashtag", "organizer"]
    list_filter = ["status", "city", "starts_at"]
    search_fields = ["title", "slug", "hashtag", "venue_name", "organizer__x_username"]
    date_hierarchy = "starts_at"
    list_select_related = ["city", "organizer"]
    raw_id_fields = ["organizer"]
    readonly_fields = ["created_at", "updated_at", "revision"]
    inlines = [RsvpInline]


@admin.register(Rsvp)
class RsvpAdmin(admin.ModelAdmin):
    list_display = ["tweetup", "user", "status", "waitlist_position", "created_at"]
    list_filter = ["status", "tweetup__city"]
    search_fields = ["tweetup__title", "user__x_username", "user__display_name"]
    list_select_related = ["tweetup", "user"]
    raw_id_fields = ["tweetup", "user"]
