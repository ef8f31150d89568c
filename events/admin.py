from django.contrib import admin

from events.calendar_feeds import store_vevents
from events.models import (
    City,
    CityPostScan,
    HashtagSync,
    PostReadUsage,
    Rsvp,
    Topic,
    Tweet,
    Tweetup,
    TweetupDraft,
    TweetupTweet,
    XAuthor,
)
from events.tasks import store_city_vevents
from tweetups.celery import publish_on_commit
from tweetups.page_cache import ForgetPagesAdmin


@admin.register(City)
class CityAdmin(ForgetPagesAdmin, admin.ModelAdmin):
    list_display = ["name", "country", "timezone", "slug"]
    list_filter = ["country"]
    search_fields = ["name", "country", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"name", "timezone"} & set(form.changed_data):
            # In every VEVENT of its tweetups: kept again by a worker (a busy city has
            # thousands); until then feeds write those events themselves.
            publish_on_commit(lambda: store_city_vevents.delay(obj.pk))


class RsvpInline(admin.TabularInline):
    model = Rsvp
    extra = 0
    raw_id_fields = ["user"]
    fields = ["user", "status", "waitlist_position", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Tweetup)
class TweetupAdmin(ForgetPagesAdmin, admin.ModelAdmin):
    list_display = ["title", "city", "starts_at", "status", "capacity", "hashtag", "organizer"]
    list_filter = ["status", "city", "starts_at"]
    search_fields = ["title", "slug", "hashtag", "venue_name", "organizer__x_username"]
    date_hierarchy = "starts_at"
    list_select_related = ["city", "organizer"]
    raw_id_fields = ["organizer"]
    readonly_fields = ["created_at", "updated_at", "revision"]
    inlines = [RsvpInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        store_vevents([obj])  # an edit here goes around the services


@admin.register(Rsvp)
class RsvpAdmin(ForgetPagesAdmin, admin.ModelAdmin):
    list_display = ["tweetup", "user", "status", "waitlist_position", "created_at"]
    list_filter = ["status", "tweetup__city"]
    search_fields = ["tweetup__title", "user__x_username", "user__display_name"]
    list_select_related = ["tweetup", "user"]
    raw_id_fields = ["tweetup", "user"]


@admin.register(XAuthor)
class XAuthorAdmin(ForgetPagesAdmin, admin.ModelAdmin):
    list_display = ["username", "name", "x_id", "updated_at"]
    search_fields = ["username", "name", "x_id"]


class TweetupTweetInline(admin.TabularInline):
    model = TweetupTweet
    extra = 0
    raw_id_fields = ["tweetup"]
    fields = ["tweetup", "hidden", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Tweet)
class TweetAdmin(ForgetPagesAdmin, admin.ModelAdmin):
    list_display = ["x_id", "author", "created_at", "short_text"]
    list_filter = ["created_at", "lang"]
    search_fields = ["text", "author__username", "x_id"]
    list_select_related = ["author"]
    raw_id_fields = ["author"]
    date_hierarchy = "created_at"
    inlines = [TweetupTweetInline]

    @admin.display(description="Text")
    def short_text(self, tweet):
        return tweet.text[:80]


@admin.register(HashtagSync)
class HashtagSyncAdmin(admin.ModelAdmin):
    list_display = [
        "tweetup",
        "hashtag",
        "status",
        "posts_stored",
        "last_synced_at",
        "next_sync_at",
    ]
    list_filter = ["status"]
    search_fields = ["hashtag", "tweetup__title", "last_error"]
    list_select_related = ["tweetup"]
    raw_id_fields = ["tweetup"]


@admin.register(PostReadUsage)
class PostReadUsageAdmin(admin.ModelAdmin):
    list_display = ["month", "posts_read", "requests"]


@admin.register(Topic)
class TopicAdmin(ForgetPagesAdmin, admin.ModelAdmin):
    list_display = ["name", "slug", "description"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(CityPostScan)
class CityPostScanAdmin(admin.ModelAdmin):
    """The daily search for tweetup talk, per city and day: what it read (as X bills it) and
    found. Written by the job only."""

    list_display = [
        "day",
        "city",
        "status",
        "posts_read",
        "requests",
        "candidates",
        "drafts_created",
        "attempts",
        "finished_at",
    ]
    list_filter = ["status", "day"]
    search_fields = ["city__name", "last_error"]
    list_select_related = ["city"]
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TweetupDraft)
class TweetupDraftAdmin(admin.ModelAdmin):
    list_display = ["date", "city", "author_username", "status", "created_at", "tweetup"]
    list_filter = ["status"]
    search_fields = ["author_username", "author_x_id", "city__name", "post_text"]
    list_select_related = ["city", "tweetup"]
    raw_id_fields = ["city", "tweetup"]
    readonly_fields = ["post_x_id", "post_text", "author_x_id", "author_username", "created_at"]
