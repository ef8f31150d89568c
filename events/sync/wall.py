"""The wall: the organizer hides posts, or shows them again."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from events.models import Tweet, Tweetup, TweetupTweet
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
