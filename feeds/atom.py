"""Atom (RFC 4287) of any FeedSource, with django.contrib.syndication."""

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, linebreaks
from django.utils.safestring import mark_safe

from events.local_time import local_when
from events.models import Tweetup
from feeds.sources import FeedSource


class TweetupAtomFeed(Feed):
    """Called as `TweetupAtomFeed()(request, source=source, rows=rows)`: the view has read
    the source and its rows' stamp already, so this class only renders."""

    feed_type = Atom1Feed

    def get_object(self, request, *, source: FeedSource, rows):
        return source, rows

    def title(self, obj) -> str:
        return obj[0].title

    def link(self, obj) -> str:
        return obj[0].link

    def subtitle(self, obj) -> str:
        return obj[0].description

    def items(self, obj):
        return obj[1]

    def item_title(self, tweetup: Tweetup) -> str:
        return f"Cancelled: {tweetup.title}" if tweetup.is_cancelled else tweetup.title

    def item_description(self, tweetup: Tweetup) -> str:
        # Atom's summary is HTML: every piece is escaped here, once.
        zone = tweetup.city.timezone
        return format_html(
            "<p>{} ({} time, {})<br>{} · #{}</p>{}",
            local_when(tweetup),
            tweetup.city.name,
            zone,
            tweetup.location,
            tweetup.hashtag,
            # linebreaks escaped the text itself (autoescape=True) and added only <p>/<br>.
            mark_safe(linebreaks(tweetup.description, autoescape=True)),  # noqa: S308
        )

    def item_link(self, tweetup: Tweetup) -> str:
        return tweetup.get_absolute_url()

    def item_pubdate(self, tweetup: Tweetup):
        return tweetup.created_at

    def item_updateddate(self, tweetup: Tweetup):
        return tweetup.updated_at

    def item_author_name(self, tweetup: Tweetup) -> str:
        return tweetup.organizer.name

    def item_author_link(self, tweetup: Tweetup) -> str | None:
        return tweetup.organizer.x_profile_url or None

    def item_categories(self, tweetup: Tweetup) -> list[str]:
        return [f"#{tweetup.hashtag}"]
