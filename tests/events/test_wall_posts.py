"""The wall's reads of the posts a sync stored (Tweet.objects.for_wall): newest first in one
query, people going badged, paged by id, hidden posts left out; and the organizer's hide,
by the organizer alone and on one wall only. Through tweepy's real Client against the emulator."""

import pytest

from events.models import Tweet, TweetupTweet
from events.sync.cycle import run_sync_cycle
from events.sync.wall import wall_post_hide, wall_post_show
from tests.fixtures_sync import state

pytestmark = pytest.mark.django_db


def test_for_wall_is_newest_first_hides_hidden_posts_and_badges_people_going(
    x_search, sync_tweetup, django_assert_num_queries
):
    from events.models import Rsvp
    from tests.factories import UserFactory

    tweetup = sync_tweetup("ATXtweetup")
    going = x_search.control.add_user("goer")
    x_search.post("First #ATXtweetup", username="goer")
    x_search.post("Second #ATXtweetup", username="stranger")
    third = x_search.post("Third #ATXtweetup", username="goer")
    run_sync_cycle(now=x_search.cycle_time())
    Rsvp.objects.create(
        tweetup=tweetup, user=UserFactory(x_id=going["id"], x_username="goer"), status="going"
    )
    hidden = Tweet.objects.get(x_id=int(third["id"]))

    wall_post_hide(tweetup=tweetup, tweet=hidden, actor=tweetup.organizer)

    with django_assert_num_queries(1):
        shown = [
            (t.text, t.author.username, t.author_is_going) for t in Tweet.objects.for_wall(tweetup)
        ]
    assert shown == [("Second #ATXtweetup", "stranger", False), ("First #ATXtweetup", "goer", True)]
    everything = list(Tweet.objects.for_wall(tweetup, include_hidden=True))
    assert [(t.x_id, t.is_hidden) for t in everything][0] == (hidden.x_id, True)
    newest, oldest = everything[0].x_id, everything[-1].x_id
    assert [t.x_id for t in Tweet.objects.for_wall(tweetup).newer_than(oldest)] == [
        everything[1].x_id
    ]
    assert (
        list(Tweet.objects.for_wall(tweetup, include_hidden=True).older_than(newest))
        == (everything[1:])
    )

    wall_post_show(tweetup=tweetup, tweet=hidden, actor=tweetup.organizer)
    assert Tweet.objects.for_wall(tweetup).count() == 3
    assert state(tweetup).posts_stored == 3  # hidden or not, stored


def test_only_the_organizer_hides_posts(x_search, sync_tweetup, other_user):
    from django.core.exceptions import PermissionDenied

    tweetup = sync_tweetup("ATXtweetup")
    x_search.post("Hi #ATXtweetup")
    run_sync_cycle(now=x_search.cycle_time())

    with pytest.raises(PermissionDenied):
        wall_post_hide(tweetup=tweetup, tweet=Tweet.objects.get(), actor=other_user)
    assert not TweetupTweet.objects.get().hidden


def test_a_post_on_two_walls_is_hidden_on_one_only(x_search, sync_tweetup):
    austin, berlin = sync_tweetup("ATXtweetup"), sync_tweetup("BerlinTweetup")
    x_search.post("Both #ATXtweetup #BerlinTweetup")
    run_sync_cycle(now=x_search.cycle_time())
    post = Tweet.objects.get()

    wall_post_hide(tweetup=austin, tweet=post, actor=austin.organizer)

    assert list(Tweet.objects.for_wall(austin)) == []
    assert list(Tweet.objects.for_wall(berlin)) == [post]
