"""The live hashtag wall on the tweetup page, the big-screen view and the organizer's tools."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import HashtagSync, Rsvp, Tweet, TweetupTweet, XAuthor
from events.templatetags.tweetup_tags import city_time
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ids = itertools.count(1_900_000_000_000_000_000)


def post(tweetup, text="Hello #tag", *, author=None, hidden=False, when=None, entities=None):
    author = author or XAuthor.objects.create(
        x_id=next(ids),
        username=f"poster{next(ids) % 10000}",
        name="A Poster",
        updated_at=timezone.now(),
    )
    tweet = Tweet.objects.create(
        x_id=next(ids),
        author=author,
        text=text,
        entities=entities or {},
        created_at=when or timezone.now(),
    )
    TweetupTweet.objects.create(tweetup=tweetup, tweet=tweet, hidden=hidden)
    return tweet


def wall_url(tweetup, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("events:tweetup_wall", args=[tweetup.slug]) + (f"?{query}" if query else "")


def test_posts_show_newest_first_with_author_and_city_time(client, tweetup):
    author = XAuthor.objects.create(
        x_id=42, username="maya_okafor", name="Maya Okafor", updated_at=timezone.now()
    )
    first = post(tweetup, "First!", author=author, when=datetime(2026, 7, 1, 12, 5, tzinfo=UTC))
    second = post(tweetup, "Second", author=author)
    html = client.get(tweetup.get_absolute_url()).text
    assert html.index(f'id="post-{second.x_id}"') < html.index(f'id="post-{first.x_id}"')
    assert '<a href="https://x.com/maya_okafor"' in html
    assert "Maya Okafor" in html
    assert "1 Jul, 14:05 CEST" in html  # 12:05 UTC in Berlin summer time


def test_text_is_escaped_exactly_once_and_links_come_from_entities(client, tweetup):
    post(
        tweetup,
        "Fish & chips <script>alert(1)</script> with @jonas at https://t.co/abc #Berlin",
        entities={
            "mentions": [{"start": 40, "end": 46, "username": "jonas"}],
            "urls": [
                {
                    "start": 50,
                    "end": 69,
                    "url": "https://t.co/abc",
                    "expanded_url": "https://example.com/menu",
                    "display_url": "example.com/menu",
                }
            ],
            "hashtags": [{"start": 70, "end": 77, "tag": "Berlin"}],
        },
    )
    html = client.get(tweetup.get_absolute_url()).text
    assert "Fish &amp; chips &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&amp;amp;" not in html and "<script>alert(1)" not in html
    assert '<a href="https://x.com/jonas" rel="nofollow noopener noreferrer">@jonas</a>' in html
    assert (
        '<a href="https://example.com/menu" rel="nofollow noopener noreferrer">example.com/menu</a>'
        in html
    )
    assert (
        '<a href="https://x.com/hashtag/Berlin" rel="nofollow noopener noreferrer">#Berlin</a>'
        in html
    )


def test_hidden_posts_are_left_out_for_everyone_but_the_organizer(client, tweetup, user):
    shown = post(tweetup, "Shown post")
    hidden = post(tweetup, "Hidden post", hidden=True)
    public = client.get(tweetup.get_absolute_url()).text
    assert shown.text in public and hidden.text not in public
    client.force_login(user)
    organizer = client.get(tweetup.get_absolute_url()).text
    assert hidden.text in organizer
    assert "Show on the wall" in organizer


def test_posts_by_people_going_get_a_badge(client, tweetup):
    going_user = UserFactory(x_id="777")
    Rsvp.objects.create(tweetup=tweetup, user=going_user, status="going")
    by_going = post(
        tweetup,
        "I'm coming",
        author=XAuthor.objects.create(
            x_id=777, username="comer", name="Comer", updated_at=timezone.now()
        ),
    )
    by_other = post(tweetup, "Just watching")
    html = client.get(tweetup.get_absolute_url()).text
    going_li = html.split(f'id="post-{by_going.x_id}"')[1].split("</li>")[0]
    other_li = html.split(f'id="post-{by_other.x_id}"')[1].split("</li>")[0]
    assert "pill-ok" in going_li and "pill-ok" not in other_li


def test_polling_returns_only_newer_posts_and_moves_the_poller(client, tweetup):
    old = post(tweetup, "Old post")
    new = post(tweetup, "New post")
    response = client.get(wall_url(tweetup, after=old.x_id), headers={"HX-Request": "true"})
    assert "New post" in response.text and "Old post" not in response.text
    assert f"after={new.x_id}" in response.text and 'hx-swap-oob="true"' in response.text
    quiet = client.get(wall_url(tweetup, after=new.x_id), headers={"HX-Request": "true"})
    assert "<li" not in quiet.text
    assert f"after={new.x_id}" in quiet.text


def test_older_pages(client, tweetup, settings):
    settings.WALL_POSTS_PER_PAGE = 3
    posts = [post(tweetup, f"Post number {n}") for n in range(5)]
    page = client.get(tweetup.get_absolute_url()).text
    assert "Post number 4" in page and "Post number 1" not in page
    assert f"before={posts[2].x_id}" in page
    older = client.get(wall_url(tweetup, before=posts[2].x_id), headers={"HX-Request": "true"})
    assert "Post number 1" in older.text and "Post number 0" in older.text
    assert "Post number 2" not in older.text
    assert "Older posts" not in older.text
    # Without JavaScript the link opens the wall page at that point.
    assert "Post number 1" in client.get(wall_url(tweetup, before=posts[2].x_id)).text


@pytest.mark.parametrize("count", [3, 60])
def test_wall_queries_do_not_grow_with_posts(client, tweetup, user, count):
    for n in range(count):
        post(tweetup, f"post {n}")
    client.force_login(user)
    client.get(wall_url(tweetup))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(wall_url(tweetup)).status_code == 200
    assert len(ctx.captured_queries) <= 6


def test_the_organizer_hides_and_shows_a_post(client, tweetup, user):
    tweet = post(tweetup, "Spam spam")
    url = reverse("events:tweetup_wall_hide", args=[tweetup.slug, tweet.x_id])
    client.force_login(user)
    response = client.post(url, {"hidden": "1"}, headers={"HX-Request": "true"})
    assert response.text.lstrip().startswith(f'<li class="post post-hidden" id="post-{tweet.x_id}"')
    assert TweetupTweet.objects.get(tweet=tweet).hidden is True
    assert Tweet.objects.filter(pk=tweet.pk).exists()  # hidden posts stay stored
    client.post(url, {"hidden": "0"})
    assert TweetupTweet.objects.get(tweet=tweet).hidden is False


def test_strangers_cannot_hide_posts(client, tweetup, other_user):
    tweet = post(tweetup, "Stay")
    url = reverse("events:tweetup_wall_hide", args=[tweetup.slug, tweet.x_id])
    assert client.post(url, {"hidden": "1"}).status_code == 302  # to sign in
    client.force_login(other_user)
    assert client.post(url, {"hidden": "1"}).status_code == 403
    assert TweetupTweet.objects.get(tweet=tweet).hidden is False


def test_a_post_of_another_tweetup_cannot_be_hidden_through_this_one(client, tweetup, user, berlin):
    from tests.factories import TweetupFactory

    elsewhere = TweetupFactory(city=berlin)
    tweet = post(elsewhere, "Not yours")
    client.force_login(user)
    url = reverse("events:tweetup_wall_hide", args=[tweetup.slug, tweet.x_id])
    assert client.post(url, {"hidden": "1"}).status_code == 404
    assert TweetupTweet.objects.get(tweet=tweet).hidden is False


def test_sync_state_is_for_the_organizer_only(client, tweetup, user, other_user):
    HashtagSync.objects.create(
        tweetup=tweetup,
        hashtag=tweetup.hashtag,
        posts_stored=12,
        status=HashtagSync.Status.RATE_LIMITED,
        last_error="X rate limit reached, retrying at 14:05",
        last_synced_at=timezone.now() - timedelta(minutes=3),
        next_sync_at=timezone.now() + timedelta(minutes=2),
    )
    client.force_login(other_user)
    assert "X rate limit reached" not in client.get(tweetup.get_absolute_url()).text
    client.force_login(user)
    html = client.get(tweetup.get_absolute_url()).text
    assert "Last problem: X rate limit reached, retrying at 14:05" in html
    assert "12 posts stored" in html


def test_big_screen_view(client, tweetup):
    post(tweetup, "On the big screen")
    response = client.get(wall_url(tweetup))
    assert response.status_code == 200
    assert "wall-big" in response.text and "On the big screen" in response.text
    assert client.get(wall_url(tweetup, before="junk")).status_code == 200


def test_the_big_screen_is_the_public_view_even_for_the_organizer(client, tweetup, user):
    post(tweetup, "Visible post")
    post(tweetup, "Hidden post", hidden=True)
    HashtagSync.objects.create(tweetup=tweetup, hashtag=tweetup.hashtag, last_error="Oops")
    client.force_login(user)
    html = client.get(wall_url(tweetup)).text
    assert "Visible post" in html
    assert "Hidden post" not in html
    assert "Hide from the wall" not in html and "Wall sync" not in html
    poll = client.get(wall_url(tweetup, after=0, big=1), headers={"HX-Request": "true"})
    assert "Hidden post" not in poll.text and "Hide from the wall" not in poll.text


def test_a_post_hidden_by_the_organizer_leaves_open_walls(client, tweetup, user, other_user):
    spam = post(tweetup, "Spam")
    newest = post(tweetup, "Fine")
    client.force_login(user)
    client.post(
        reverse("events:tweetup_wall_hide", args=[tweetup.slug, spam.x_id]), {"hidden": "1"}
    )
    client.force_login(other_user)
    poll = client.get(
        wall_url(tweetup, after=newest.x_id, since=spam.x_id), headers={"HX-Request": "true"}
    )
    assert f'data-wall-shown="{newest.x_id}"' in poll.text  # the wall drops the others


def test_a_burst_bigger_than_one_poll_arrives_over_several_polls(client, tweetup, settings):
    settings.WALL_POSTS_PER_PAGE = 2  # a poll takes up to five pages: 10 posts
    first = post(tweetup, "before the burst")
    burst = [post(tweetup, f"burst {n:02}") for n in range(13)]
    poll = client.get(wall_url(tweetup, after=first.x_id), headers={"HX-Request": "true"})
    shown = [b for b in burst if f'id="post-{b.x_id}"' in poll.text]
    assert shown == burst[:10]
    # Newest of this batch on top, and the poller continues after it.
    assert poll.text.index("burst 09") < poll.text.index("burst 00")
    assert f"after={burst[9].x_id}" in poll.text
    rest = client.get(wall_url(tweetup, after=burst[9].x_id), headers={"HX-Request": "true"})
    assert [b for b in burst if f'id="post-{b.x_id}"' in rest.text] == burst[10:]


def test_the_organizer_sees_that_the_wall_has_not_synced_yet(client, tweetup, user):
    client.force_login(user)
    assert "Not synced yet" in client.get(tweetup.get_absolute_url()).text


def test_the_organizer_is_told_when_syncing_has_stopped(client, tweetup, user, settings):
    from tweetups import heartbeat

    client.force_login(user)
    heartbeat.sync_cycle_ran(timezone.now() - timedelta(seconds=settings.X_SYNC_INTERVAL_SECONDS))
    assert "Syncing has stopped" not in client.get(tweetup.get_absolute_url()).text

    settings.X_SYNC_INTERVAL_SECONDS = 120
    heartbeat.sync_cycle_ran(timezone.now() - timedelta(minutes=12, seconds=5))
    html = client.get(tweetup.get_absolute_url()).text
    assert "Syncing has stopped: no cycle has run for 12 minutes." in html
    client.force_login(UserFactory())
    assert "Syncing has stopped" not in client.get(tweetup.get_absolute_url()).text


def test_a_problem_a_later_read_put_behind_it_is_not_shown(client, tweetup, user):
    now = timezone.now()
    sync = HashtagSync.objects.create(
        tweetup=tweetup,
        hashtag=tweetup.hashtag,
        status=HashtagSync.Status.OK,
        last_error="Could not reach X; retrying shortly.",
        error_at=now - timedelta(minutes=10),
        last_synced_at=now - timedelta(minutes=2),
    )
    client.force_login(user)
    assert "Could not reach X" not in client.get(tweetup.get_absolute_url()).text

    # Still the latest word: a failed run after the last good read.
    HashtagSync.objects.filter(pk=sync.pk).update(error_at=now - timedelta(minutes=1))
    html = client.get(tweetup.get_absolute_url()).text
    assert "Last problem" in html and "Could not reach X" in html


def test_an_empty_wall_says_when_x_is_read_next(client, tweetup):
    next_read = timezone.now() + timedelta(minutes=50)
    HashtagSync.objects.create(
        tweetup=tweetup,
        hashtag=tweetup.hashtag,
        last_synced_at=timezone.now() - timedelta(minutes=10),
        next_sync_at=next_read,
    )

    html = client.get(tweetup.get_absolute_url()).text

    assert f"after the next read from X, at {city_time(next_read, tweetup)}." in html
    assert "within a few minutes" not in html
