"""An open wall's polls: the posts it shows that are no longer on the wall leave it, and a
visitor's poll is cached like a page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import Tweet, TweetupTweet
from events.sync.compliance import posts_remove
from events.sync.wall import wall_keep_hashtag
from tests.events.test_wall import post, wall_url

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def no_page_cache(settings):
    """What a poll says, straight from the database; the cache's own test turns it on."""
    settings.PAGE_CACHE_SECONDS = 0


def shown(response) -> tuple[int, int, list[int]]:
    """What the poll's new poller says the wall shows: lowest, highest, ids."""
    poller = re.search(r'<div id="wall-poller"[^>]*>', response.text).group(0)
    attrs = dict(re.findall(r'data-wall-(\w+)="([^"]*)"', poller))
    return int(attrs["lowest"]), int(attrs["highest"]), [int(i) for i in attrs["shown"].split()]


def poll(client, tweetup, since, after, **params):
    return client.get(wall_url(tweetup, after=after.x_id, since=since.x_id, **params), headers=HTMX)


def test_a_poll_names_the_posts_still_shown_from_the_oldest_to_the_newest(client, tweetup):
    first, second, third = (post(tweetup, f"post {n}") for n in range(3))
    newer = post(tweetup, "arrived since")
    response = poll(client, tweetup, since=first, after=third)
    assert shown(response) == (first.x_id, third.x_id, [third.x_id, second.x_id, first.x_id])
    assert f'id="post-{newer.x_id}"' in response.text  # the new post, as before


@pytest.mark.parametrize(
    "remove",
    [
        pytest.param(
            lambda t, tweet: posts_remove(gone={tweet.x_id}, protected=set()), id="deleted"
        ),
        pytest.param(
            lambda t, tweet: posts_remove(gone=set(), protected={tweet.x_id}), id="protected"
        ),
        pytest.param(
            lambda t, tweet: TweetupTweet.objects.filter(tweet=tweet).update(hidden=True),
            id="hidden",
        ),
    ],
)
def test_a_post_that_left_the_wall_is_not_named(client, tweetup, remove):
    first, doomed, last = (post(tweetup, f"post {n}") for n in range(3))
    assert doomed.x_id in shown(poll(client, tweetup, since=first, after=last))[2]
    remove(tweetup, doomed)
    assert shown(poll(client, tweetup, since=first, after=last)) == (
        first.x_id,
        last.x_id,
        [last.x_id, first.x_id],
    )


def test_a_renamed_hashtag_takes_its_posts_off_open_walls(client, tweetup):
    tag = {"hashtags": [{"start": 0, "end": 4, "tag": tweetup.hashtag}]}
    kept = post(tweetup, f"#{tweetup.hashtag}", entities=tag)
    old = post(tweetup, "#OldTag", entities={"hashtags": [{"start": 0, "end": 7, "tag": "OldTag"}]})
    newest = post(tweetup, f"#{tweetup.hashtag} again", entities=tag)
    wall_keep_hashtag(tweetup=tweetup)
    assert shown(poll(client, tweetup, since=kept, after=newest))[2] == [newest.x_id, kept.x_id]
    assert Tweet.objects.filter(x_id=old.x_id).exists()  # stored still, just not on this wall


def test_the_organizer_keeps_hidden_posts_dimmed(client, tweetup, user, other_user):
    first, hidden, last = post(tweetup), post(tweetup, hidden=True), post(tweetup)
    client.force_login(user)
    assert hidden.x_id in shown(poll(client, tweetup, since=first, after=last))[2]
    client.force_login(other_user)
    assert hidden.x_id not in shown(poll(client, tweetup, since=first, after=last))[2]


def test_a_wall_paged_far_back_is_checked_for_its_newest_posts(client, tweetup, settings):
    settings.WALL_POLL_CHECKS_POSTS = 3
    posts = [post(tweetup, f"post {n}") for n in range(5)]
    lowest, highest, ids = shown(poll(client, tweetup, since=posts[0], after=posts[4]))
    assert ids == [p.x_id for p in posts[:1:-1]]
    assert (lowest, highest) == (posts[2].x_id, posts[4].x_id)  # posts 0 and 1 not judged


@pytest.mark.parametrize(
    "params",
    [
        "",
        "after=1",
        "after=5&since=9",
        "after=abc&since=-1",
        "since=1",
        "after=9&since=" + "9" * 30,
    ],
)
def test_without_a_range_to_check_a_poll_names_nothing(client, tweetup, params):
    post(tweetup)
    url = reverse("events:tweetup_wall", args=[tweetup.slug]) + "?" + params
    response = client.get(url, headers=HTMX)
    assert response.status_code == 200
    assert "data-wall-shown" not in response.text


@pytest.mark.parametrize("count", [3, 60])
def test_poll_queries_do_not_grow_with_posts(client, tweetup, user, count):
    posts = [post(tweetup, f"post {n}") for n in range(count)]
    for signed_in in (False, True):
        if signed_in:
            client.force_login(user)
        with CaptureQueriesContext(connection) as ctx:
            response = poll(client, tweetup, since=posts[0], after=posts[-2])
        assert len(shown(response)[2]) == count - 1
        assert len(ctx.captured_queries) <= (8 if signed_in else 3), ctx.captured_queries


def test_a_visitors_poll_is_cached_until_the_wall_changes(
    client, tweetup, settings, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_SECONDS = 60
    first, doomed, last = (post(tweetup, f"post {n}") for n in range(3))
    poll(client, tweetup, since=first, after=last)
    with CaptureQueriesContext(connection) as ctx:
        again = poll(client, tweetup, since=first, after=last)
    assert ctx.captured_queries == [] and again["X-Cache"] == "hit"
    assert again["Cache-Control"].startswith("public")
    assert "HX-Request" in again["Vary"]
    # A 304 for a wall that hasn't changed.
    same = client.get(
        wall_url(tweetup, after=last.x_id, since=first.x_id),
        headers={**HTMX, "If-None-Match": again["ETag"]},
    )
    assert same.status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        posts_remove(gone={doomed.x_id}, protected=set())  # forgets the tweetup's pages
    fresh = poll(client, tweetup, since=first, after=last)
    assert fresh["X-Cache"] == "miss" and doomed.x_id not in shown(fresh)[2]
    # The htmx answer and the page at the same address are cached apart.
    page = client.get(wall_url(tweetup, after=last.x_id, since=first.x_id))
    assert "<html" in page.text and "<html" not in fresh.text


def test_signed_in_polls_stay_private(client, tweetup, other_user, settings):
    settings.PAGE_CACHE_SECONDS = 60
    first, last = post(tweetup), post(tweetup)
    client.force_login(other_user)
    response = poll(client, tweetup, since=first, after=last)
    assert "X-Cache" not in response
    assert "private" in response["Cache-Control"]
