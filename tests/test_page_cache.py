"""Whole pages cached for visitors who aren't signed in (tweetups/page_cache.py): the same
bytes for everyone, with headers any HTTP cache understands, refreshed by every write that
changes what they show."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.models import Rsvp, Tweet
from events.rsvps import rsvp_privacy_set, rsvp_set
from events.services import TweetupDetails, tweetup_cancel, tweetup_create, tweetup_update
from events.sync.cycle import run_sync_cycle
from events.sync.wall import wall_post_hide
from tests.events.test_wall import post
from tests.factories import CityFactory, TweetupFactory, UserFactory
from tests.fixtures_sync import wall

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor():
    return Client()


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Run what services leave for after the commit (the tests run inside a transaction)."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


def test_the_second_visit_is_served_from_the_cache_byte_for_byte(visitor, tweetup):
    first = visitor.get(tweetup.get_absolute_url())
    second = visitor.get(tweetup.get_absolute_url())
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert tweetup.title in second.text
    assert first.content == second.content
    assert first["ETag"] == second["ETag"] and first["ETag"].startswith('"')
    assert first["Content-Security-Policy"] == second["Content-Security-Policy"]
    for response in (first, second):
        cache_control = response["Cache-Control"]
        assert "public" in cache_control and "s-maxage=10" in cache_control
        assert "Cookie" in response["Vary"]


def test_a_matching_etag_answers_304_without_rendering(visitor, tweetup, monkeypatch):
    url = tweetup.get_absolute_url()
    etag = visitor.get(url)["ETag"]
    import events.views.tweetup

    monkeypatch.setattr(events.views.tweetup, "frame_page", None)  # rendering would fail
    response = visitor.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag and "public" in response["Cache-Control"]
    assert visitor.get(url, HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def test_an_etag_from_before_a_change_gets_the_new_page(visitor, commits, tweetup, other_user):
    url = tweetup.get_absolute_url()
    etag = visitor.get(url)["ETag"]
    commits(rsvp_set, user=other_user, tweetup=tweetup, status=Rsvp.Status.GOING)
    response = visitor.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_the_tweetup_page_varies_on_htmx_as_it_answers_htmx_with_a_fragment(visitor, tweetup):
    response = visitor.get(tweetup.get_absolute_url())
    assert {"Cookie", "HX-Request"} <= {v.strip() for v in response["Vary"].split(",")}


def test_signed_in_pages_are_private(client, user, tweetup, berlin):
    client.force_login(user)
    for url in (tweetup.get_absolute_url(), berlin.get_absolute_url(), "/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
        assert "ETag" not in response


def test_visitor_pages_set_no_cookie(visitor, tweetup, berlin):
    for url in (tweetup.get_absolute_url(), berlin.get_absolute_url(), "/"):
        visitor.get(url)
        response = visitor.get(url)
        assert response["X-Cache"] == "hit"
        assert not response.cookies, url  # so a shared cache in front could keep them too


def test_signed_in_people_get_their_own_page_never_the_cached_one(client, visitor, tweetup, user):
    visitor.get(tweetup.get_absolute_url())
    assert visitor.get(tweetup.get_absolute_url())["X-Cache"] == "hit"
    client.force_login(user)
    response = client.get(tweetup.get_absolute_url())
    assert "X-Cache" not in response
    assert f"@{user.x_username}" in response.text
    assert "Sign out" in response.text


def test_a_reader_with_messages_waiting_is_not_served_a_cached_page(visitor, tweetup):
    visitor.get(tweetup.get_absolute_url())
    visitor.cookies["messages"] = "something"
    assert "X-Cache" not in visitor.get(tweetup.get_absolute_url())


def test_unknown_query_parameters_and_htmx_requests_skip_the_cache(visitor, berlin):
    url = berlin.get_absolute_url()
    visitor.get(url + "?when=past")
    assert visitor.get(url + "?when=past")["X-Cache"] == "hit"
    assert "X-Cache" not in visitor.get(url + "?utm_source=x")
    assert "X-Cache" not in visitor.get(url, HTTP_HX_REQUEST="true")


def test_a_missing_page_is_not_cached_and_stays_private(visitor):
    response = visitor.get("/t/no-such-tweetup/")
    assert response.status_code == 404
    assert "X-Cache" not in response and "public" not in response["Cache-Control"]
    assert visitor.get("/t/no-such-tweetup/").status_code == 404


def test_an_rsvp_refreshes_the_tweetup_city_and_home_pages(visitor, commits, tweetup, berlin):
    # The tweetup page counts in the RSVP panel; list rows say "N going".
    pages = {
        tweetup.get_absolute_url(): "<strong>{}</strong><span>going",
        berlin.get_absolute_url(): '<span class="pill">{} going</span>',
        "/": '<span class="pill">{} going</span>',
    }
    for url, count in pages.items():
        visitor.get(url)
        response = visitor.get(url)
        assert response["X-Cache"] == "hit"
        assert count.format(1) in response.text, url
    commits(rsvp_set, user=UserFactory(), tweetup=tweetup, status=Rsvp.Status.GOING)
    for url, count in pages.items():
        response = visitor.get(url)
        assert response["X-Cache"] == "miss", url
        assert count.format(2) in response.text, url


def test_moving_a_tweetup_to_another_city_refreshes_both_cities(visitor, commits, tweetup, user):
    berlin, london = tweetup.city, CityFactory(name="London", slug="london")
    for city in (berlin, london):
        visitor.get(city.get_absolute_url())
    details = TweetupDetails(
        city=london,
        title=tweetup.title,
        venue_name=tweetup.venue_name,
        starts_at=tweetup.starts_at,
        ends_at=tweetup.ends_at,
        hashtag=tweetup.hashtag,
    )
    commits(tweetup_update, tweetup=tweetup, actor=user, details=details)
    assert tweetup.title not in visitor.get(berlin.get_absolute_url()).text
    assert tweetup.title in visitor.get(london.get_absolute_url()).text


def test_a_cancellation_shows_at_once(visitor, commits, tweetup, user):
    visitor.get(tweetup.get_absolute_url())
    commits(tweetup_cancel, tweetup=tweetup, actor=user, reason="Venue flooded")
    response = visitor.get(tweetup.get_absolute_url())
    assert "This tweetup is cancelled." in response.text
    assert "Venue flooded" in response.text


def test_one_tweetups_rsvp_leaves_other_tweetups_pages_cached(visitor, commits, tweetup):
    other = TweetupFactory(city=CityFactory(name="Paris", slug="paris"))
    visitor.get(other.get_absolute_url())
    commits(rsvp_set, user=UserFactory(), tweetup=tweetup, status=Rsvp.Status.GOING)
    assert visitor.get(other.get_absolute_url())["X-Cache"] == "hit"
    assert visitor.get(other.city.get_absolute_url())["X-Cache"] == "miss"  # first visit


def test_new_wall_posts_and_hidden_ones_refresh_the_page(
    visitor, commits, x_search, sync_tweetup, django_capture_on_commit_callbacks
):
    tweetup = sync_tweetup("cachewall")
    visitor.get(tweetup.get_absolute_url())
    x_search.post("Who else is coming? #cachewall")
    with django_capture_on_commit_callbacks(execute=True):
        run_sync_cycle(now=x_search.cycle_time())
    response = visitor.get(tweetup.get_absolute_url())
    assert response["X-Cache"] == "miss"
    assert "Who else is coming?" in response.text

    (post_id,) = wall(tweetup)
    tweet = Tweet.objects.get(pk=post_id)
    commits(wall_post_hide, tweetup=tweetup, tweet=tweet, actor=tweetup.organizer)
    assert "Who else is coming?" not in visitor.get(tweetup.get_absolute_url()).text


def test_off_when_page_cache_seconds_is_zero(visitor, tweetup, settings):
    settings.PAGE_CACHE_SECONDS = 0
    visitor.get(tweetup.get_absolute_url())
    assert "X-Cache" not in visitor.get(tweetup.get_absolute_url())


# --- Parts cached for signed-in people too ----------------------------------------------------


def test_signed_in_pages_show_new_rsvps_at_once(client, commits, tweetup, berlin):
    client.force_login(UserFactory())
    newcomer = UserFactory(display_name="Newcomer Nia")
    for url in (tweetup.get_absolute_url(), berlin.get_absolute_url()):
        client.get(url)  # the shared parts are cached now
    commits(rsvp_set, user=newcomer, tweetup=tweetup, status=Rsvp.Status.GOING)
    assert "Newcomer Nia" in client.get(tweetup.get_absolute_url()).text
    assert '<span class="pill">2 going</span>' in client.get(berlin.get_absolute_url()).text


def test_who_is_listed_is_made_again_only_when_a_seat_changes_hands(
    client, visitor, commits, tweetup
):
    """Joining the waitlist or answering maybe changes the counts, not who is listed: the
    people listed (their own scope, "people:<slug>") are kept, so the many RSVPs to a full
    tweetup don't each render its attendee list again. A seat taken or given up, and a
    going RSVP made private, show at once, to visitors and to people signed in."""
    tweetup.capacity = 2
    tweetup.save()
    client.force_login(UserFactory())
    url = tweetup.get_absolute_url()
    people_version = f"page-version:people:{tweetup.slug}"
    sam = UserFactory(display_name="Seated Sam")
    wes = UserFactory(display_name="Waiting Wes")
    mo = UserFactory(display_name="Maybe Mo")

    def pages():
        return client.get(url).text, visitor.get(url).text

    commits(rsvp_set, user=sam, tweetup=tweetup, status=Rsvp.Status.GOING)
    assert all("Seated Sam" in page for page in pages())
    kept = cache.get(people_version)
    assert kept is not None

    commits(rsvp_set, user=wes, tweetup=tweetup, status=Rsvp.Status.GOING)  # full: in line
    commits(rsvp_set, user=mo, tweetup=tweetup, status=Rsvp.Status.MAYBE)
    for page in pages():
        assert "<strong>1</strong><span>waitlisted</span>" in page
        assert "<strong>1</strong><span>maybe</span>" in page
        assert "Seated Sam" in page and "Waiting Wes" not in page
    assert cache.get(people_version) == kept  # the list was not made again

    commits(rsvp_set, user=sam, tweetup=tweetup, status=Rsvp.Status.NOT_GOING)
    for page in pages():
        assert "Waiting Wes" in page and "Seated Sam" not in page  # promoted, listed

    commits(rsvp_privacy_set, user=wes, tweetup=tweetup, private=True)
    assert all("Waiting Wes" not in page for page in pages())


def test_ones_own_rsvp_kept_with_the_page_follows_every_change(client, commits, tweetup):
    """Each person's RSVP is kept with the page's parts (frame_page's `mine`): whatever
    changes it, or their place in line, refreshes it at once."""
    tweetup.capacity = 2
    tweetup.save()
    seated, person = UserFactory(), UserFactory()
    commits(rsvp_set, user=seated, tweetup=tweetup, status=Rsvp.Status.GOING)
    client.force_login(person)
    url = tweetup.get_absolute_url()
    client.get(url)  # their (missing) RSVP is kept now

    commits(rsvp_set, user=person, tweetup=tweetup, status=Rsvp.Status.GOING)
    assert "number 1 in line" in client.get(url).text  # on the waitlist

    commits(rsvp_set, user=seated, tweetup=tweetup, status=Rsvp.Status.NOT_GOING)
    page = client.get(url).text
    assert "You're going." in page and "in line" not in page  # promoted by someone else

    commits(rsvp_set, user=person, tweetup=tweetup, status=Rsvp.Status.MAYBE)
    assert "You're going." not in client.get(url).text


@pytest.mark.parametrize("organizer_first", [True, False])
def test_the_organizers_wall_is_never_the_one_others_see(client, tweetup, user, organizer_first):
    hidden = post(tweetup, "Spam spam spam", hidden=True)
    shown = post(tweetup, "See you all there")
    client.force_login(user)  # the organizer
    guest = Client()
    guest.force_login(UserFactory())
    url = tweetup.get_absolute_url()
    for viewer in [client, guest] if organizer_first else [guest, client]:
        viewer.get(url)  # whoever comes first fills the cache
    organizer_view, guest_view = client.get(url).text, guest.get(url).text
    assert f'id="post-{hidden.x_id}"' in organizer_view
    assert "Show on the wall" in organizer_view
    assert f'id="post-{shown.x_id}"' in guest_view
    assert f'id="post-{hidden.x_id}"' not in guest_view
    assert "Hide from the wall" not in guest_view


def test_city_pages_and_past_listings_are_cached_apart(client, berlin, settings):
    settings.TWEETUPS_PER_PAGE = 1
    soon, later = TweetupFactory(city=berlin), TweetupFactory(city=berlin)
    TweetupFactory(
        city=berlin,
        title="Long gone",
        starts_at=timezone.now() - timedelta(days=9),
        ends_at=timezone.now() - timedelta(days=9, hours=-2),
    )
    client.force_login(UserFactory())
    url = berlin.get_absolute_url()
    pages = {u: client.get(u).text for u in (url, url + "?page=2", url + "?when=past")}
    assert soon.title in pages[url] and later.title not in pages[url]
    assert later.title in pages[url + "?page=2"]
    assert "Long gone" in pages[url + "?when=past"]


def test_an_edit_in_the_admin_refreshes_every_cached_page(
    visitor, tweetup, berlin, django_capture_on_commit_callbacks
):
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    pages = [tweetup.get_absolute_url(), berlin.get_absolute_url(), "/"]
    for url in pages:
        visitor.get(url)
    change = reverse("admin:events_city_change", args=[berlin.pk])
    form = {
        "name": "Berlin-Mitte",
        "country": "Germany",
        "slug": "berlin",
        "timezone": "Europe/Berlin",
        "population": "3644826",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(change, form).status_code == 302
    for url in pages:
        response = visitor.get(url)
        assert response["X-Cache"] == "miss", url
        assert "Berlin-Mitte" in response.text, url


def test_the_homes_shared_parts_follow_new_tweetups(client, commits, berlin, user):
    client.force_login(UserFactory())
    assert "Nothing this week yet" in client.get("/").text
    soon = timezone.now() + timedelta(days=2)
    details = TweetupDetails(
        city=berlin,
        title="Fresh on the home page",
        venue_name="Bar",
        starts_at=soon,
        ends_at=soon + timedelta(hours=2),
        hashtag="freshhome",
    )
    commits(tweetup_create, organizer=user, details=details)
    html = client.get("/").text
    assert "Fresh on the home page" in html
    assert "1 upcoming" in html


def test_each_host_gets_its_own_cached_page(visitor, tweetup, settings):
    settings.ALLOWED_HOSTS = ["tweetups.example", "localhost"]
    url = tweetup.get_absolute_url()
    visitor.get(url, HTTP_HOST="tweetups.example")
    other = visitor.get(url, HTTP_HOST="localhost")
    assert other["X-Cache"] == "miss"
    assert f'href="http://localhost{url}"' in other.text  # the canonical link names its host
    assert "tweetups.example" not in other.text
    assert visitor.get(url, HTTP_HOST="evil.example").status_code == 400
