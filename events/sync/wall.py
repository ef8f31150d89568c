"""The wall: the organizer hides posts, or shows them again; a renamed hashtag takes the
posts that carry only the old one off the wall."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from events.models import Tweet, Tweetup, TweetupTweet
from events.sync.parsing import hashtag_key
from tweetups import page_cache


def _set_hidden(*, tweetup: Tweetup, tweet: Tweet, actor: User, hidden: bool) -> TweetupTweet:
    if tweetup.organizer_id != actor.pk:
        raise PermissionDenied("Only the organizer can hide posts on this wall.")
    link = TweetupTweet.objects.select_for_update().get(tweetup=tweetup, tweet=tweet)
    if link.hidden != hidden:
        link.hidden = hidden
        link.hidden_at = timezone.now() if hidden else None
        link.save(update_fields=["hidden", "hidden_at"])
        page_cache.forget(f"tweetup:{tweetup.slug}")
    return link


@transaction.atomic
def wall_post_hide(*, tweetup: Tweetup, tweet: Tweet, actor: User) -> TweetupTweet:
    """Hide a post from the tweetup's wall (organizer only); it stays stored."""
    return _set_hidden(tweetup=tweetup, tweet=tweet, actor=actor, hidden=True)


@transaction.atomic
def wall_post_show(*, tweetup: Tweetup, tweet: Tweet, actor: User) -> TweetupTweet:
    """Show a hidden post on the tweetup's wall again (organizer only)."""
    return _set_hidden(tweetup=tweetup, tweet=tweet, actor=actor, hidden=False)


def _tags(entities: object) -> set[str]:
    hashtags = entities.get("hashtags") if isinstance(entities, dict) else None
    return {
        hashtag_key(tag["tag"])
        for tag in hashtags or []
        if isinstance(tag, dict) and isinstance(tag.get("tag"), str)
    }


def wall_keep_hashtag(*, tweetup: Tweetup) -> int:
    """Take the posts that don't carry the tweetup's hashtag off its wall (after the
    organizer renamed it: #DosPlain posts leave #DosPlainRenamed's wall); returns how many.

    The posts stay stored (another wall may show them). Called by the rename, and by the
    sync when it notices the rename, which catches a read of the old tag still in flight.
    """
    tag = hashtag_key(tweetup.hashtag)
    links = TweetupTweet.objects.filter(tweetup=tweetup).values_list("pk", "tweet__entities")
    stale = [pk for pk, entities in links.iterator() if tag not in _tags(entities)]
    if stale:
        TweetupTweet.objects.filter(pk__in=stale).delete()
        page_cache.forget(f"tweetup:{tweetup.slug}")
    return len(stale)
