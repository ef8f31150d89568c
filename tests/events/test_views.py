from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import Rsvp, Tweetup
from tests.factories import CityFactory, TopicFactory, TweetupFactory, UserFactory

pytestmark = pytest.mark.django_db

# Next year: tweetups are planned at most two years ahead (events/forms.py MAX_AHEAD).
YEAR = timezone.now().year + 1


def last_sunday_of_march(year: int) -> int:
    """The day Berlin's clocks go forward."""
    return max(day for day in range(25, 32) if date(year, 3, day).weekday() == 6)


def form_data(city, **overrides):
    data = {
        "title": "Berlin X friends",
        "city": city.pk,
        "starts_at": f"{YEAR}-04-02T19:00",
        "ends_at": f"{YEAR}-04-02T22:00",
        "venue_name": "Café Kreuzberg",
        "venue_address": "Oranienstraße 1",
        "capacity": "10",
        "hashtag": "#BerlinXFriends",
        "description": "Come by! https://example.com",
        "topics": [TopicFactory(name="Tech").pk],
    }
    data.update(overrides)
    return data


class TestPages:
    def test_home_lists_upcoming_and_hides_past(self, client, berlin):
        upcoming = TweetupFactory(city=berlin, title="Soon in Berlin")
        past = TweetupFactory(
            city=berlin,
            title="Long ago",
            starts_at=timezone.now() - timedelta(days=3),
            ends_at=timezone.now() - timedelta(days=3) + timedelta(hours=2),
        )
        response = client.get("/")
        assert response.status_code == 200
        assert upcoming.title in response.text
        assert past.title not in response.text

    def test_city_page_shows_local_time_with_zone(self, client, berlin):
        # 18:00 UTC in July is 20:00 in Berlin (CEST).
        starts = timezone.datetime(2030, 7, 1, 18, 0, tzinfo=timezone.UTC)
        TweetupFactory(city=berlin, starts_at=starts, ends_at=starts + timedelta(hours=2))
        response = client.get(berlin.get_absolute_url())
        assert "20:00 CEST" in response.text

    def test_date_badge_uses_the_city_day_not_utc(self, client, berlin):
        # 23:30 UTC on 31 December is 00:30 on 1 January in Berlin.
        starts = timezone.datetime(2030, 12, 31, 23, 30, tzinfo=timezone.UTC)
        TweetupFactory(city=berlin, starts_at=starts, ends_at=starts + timedelta(hours=2))
        html = client.get(berlin.get_absolute_url()).text
        badge = html.split('class="date-badge"')[1].split("</div>")[0]
        assert '<span class="month">Jan</span>' in badge
        assert '<span class="day">1</span>' in badge

    def test_city_page_past_link(self, client, berlin):
        old = TweetupFactory(
            city=berlin,
            title="Old one",
            starts_at=timezone.now() - timedelta(days=30),
            ends_at=timezone.now() - timedelta(days=30) + timedelta(hours=2),
        )
        assert old.title not in client.get(berlin.get_absolute_url()).text
        assert old.title in client.get(berlin.get_absolute_url() + "?when=past").text

    def test_city_page_paginates(self, client, berlin, settings):
        settings.TWEETUPS_PER_PAGE = 5
        for _ in range(7):
            TweetupFactory(city=berlin)
        first = client.get(berlin.get_absolute_url())
        second = client.get(berlin.get_absolute_url() + "?page=2")
        assert first.text.count('class="card tweetup-row"') == 5
        assert second.text.count('class="card tweetup-row"') == 2
        assert 'rel="next"' in first.text and 'rel="next"' not in second.text
        assert client.get(berlin.get_absolute_url() + "?page=junk").status_code == 200
        huge = client.get(berlin.get_absolute_url() + "?page=9223372036854775807")
        assert huge.status_code == 404

    @pytest.mark.parametrize("rows", [3, 30])
    def test_city_page_query_count_is_fixed(self, client, berlin, rows, settings):
        for _ in range(rows):
            t = TweetupFactory(city=berlin)
            for _ in range(3):
                Rsvp.objects.create(tweetup=t, user=UserFactory(), status="going")
        client.force_login(UserFactory())
        client.get(berlin.get_absolute_url())  # warm the session and the cached listing
        with CaptureQueriesContext(connection) as cached:
            assert client.get(berlin.get_absolute_url()).status_code == 200
        settings.PAGE_CACHE_SECONDS = 0
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(berlin.get_absolute_url())
        assert response.text.count('class="card tweetup-row"') == min(rows, 20)
        # user, city, topics (the filter form), one page (no COUNT); the session comes
        # from the cache
        assert len(ctx.captured_queries) == 4
        assert len(cached.captured_queries) == 1  # the city and its listing came from the cache

    @pytest.mark.parametrize("attendees", [2, 40])
    def test_tweetup_page_query_count_is_fixed(self, client, tweetup, attendees, settings):
        for _ in range(attendees):
            Rsvp.objects.create(tweetup=tweetup, user=UserFactory(), status="going")
        client.force_login(UserFactory())
        client.get(tweetup.get_absolute_url())  # warm the session and the cached parts
        with CaptureQueriesContext(connection) as cached:
            assert client.get(tweetup.get_absolute_url()).status_code == 200
        settings.PAGE_CACHE_SECONDS = 0
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(tweetup.get_absolute_url())
        assert response.text.count('<span class="avatar-stack"') == attendees + 2  # + organizer
        # user, tweetup with city and organizer, counts, your RSVP, attendees and how many,
        # topics, wall, and (the wall being empty) when X is read next; people you follow
        # who are going only for people who opted in (tests/events/test_network_going.py)
        assert len(ctx.captured_queries) == 9
        # the user; the rest from the cache, your RSVP too (kept per person with the page)
        assert len(cached.captured_queries) == 1

    def test_tweetup_page_shows_the_first_attendees_and_how_many_more(self, client, tweetup):
        for _ in range(50):
            Rsvp.objects.create(tweetup=tweetup, user=UserFactory(), status="going")
        html = client.get(tweetup.get_absolute_url()).text
        attendees = html.split('aria-label="People going"')[1].split("</ul>")[0]
        assert attendees.count("<li>") == 48  # of 51 going, organizer included
        assert "and 3 more going" in html

    def test_home_query_count_is_fixed(self, client, django_assert_max_num_queries):
        for city in ("Berlin", "London", "Tokyo"):
            c = CityFactory(name=city, timezone="Europe/London")
            for _ in range(4):
                TweetupFactory(city=c)
        # this week, coming up, topics, the busiest cities' counts and then those cities
        with django_assert_max_num_queries(5):
            client.get("/")

    def test_tweetup_page_escapes_and_links_description(self, client, berlin):
        t = TweetupFactory(
            city=berlin,
            title="<b>Bold</b> title",
            description="See https://example.com/x <script>alert(1)</script>",
        )
        html = client.get(t.get_absolute_url()).text
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert '<a href="https://example.com/x"' in html
        assert "&lt;b&gt;Bold&lt;/b&gt; title" in html

    def test_tweetup_page_has_card_tags_and_osm_link(self, client, tweetup):
        html = client.get(tweetup.get_absolute_url()).text
        assert '<meta property="og:title" content="' + tweetup.title in html
        assert 'name="twitter:card" content="summary_large_image"' in html
        assert "Berlin" in html.split('property="og:description"')[1].split(">")[0]
        assert "https://www.openstreetmap.org/search?query=" in html

    def test_unknown_tweetup_and_city_are_404(self, client, db):
        assert client.get("/t/nope/").status_code == 404
        assert client.get("/c/atlantis/").status_code == 404

    def test_ics_download(self, client, tweetup):
        response = client.get(reverse("events:tweetup_ics", args=[tweetup.slug]))
        assert response["Content-Type"].startswith("text/calendar")
        body = response.content.decode()
        assert f"UID:tweetup-{tweetup.pk}@tweetups" in body
        assert "DTSTART;TZID=Europe/Berlin:" in body

    def test_csp_header_allows_only_our_files(self, client, tweetup):
        response = client.get(tweetup.get_absolute_url())
        csp = response["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "nonce" not in csp
        for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert directive in csp
        assert '<script src="/static/js/site.js" defer></script>' in response.text


class TestOrganizing:
    def test_anonymous_is_sent_to_sign_in_and_back(self, client, db):
        response = client.get(reverse("events:tweetup_new"))
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/new/"

    def test_create_tweetup_in_city_time(self, client, user, berlin):
        client.force_login(user)
        response = client.post(reverse("events:tweetup_new"), form_data(berlin))
        tweetup = Tweetup.objects.get()
        assert response.status_code == 302
        assert response["Location"] == tweetup.get_absolute_url() + "#share"
        # 2 April is after the spring change (the last Sunday of March): 19:00 CEST = 17:00 UTC.
        assert tweetup.starts_at == timezone.datetime(YEAR, 4, 2, 17, 0, tzinfo=timezone.UTC)
        assert tweetup.hashtag == "BerlinXFriends"
        assert tweetup.organizer == user
        assert tweetup.rsvps.get().status == Rsvp.Status.GOING

    def test_invalid_form_keeps_input_and_saves_nothing(self, client, user, berlin):
        client.force_login(user)
        data = form_data(berlin, hashtag="#not valid!", title="Keep my title")
        response = client.post(reverse("events:tweetup_new"), data)
        assert response.status_code == 200
        assert Tweetup.objects.count() == 0
        assert 'value="Keep my title"' in response.text
        assert "letters, digits and underscores" in response.text

    @pytest.mark.parametrize("tag", ["#2030", "#_", "#1_2"])
    def test_hashtag_needs_a_letter(self, client, user, berlin, tag):
        client.force_login(user)
        response = client.post(reverse("events:tweetup_new"), form_data(berlin, hashtag=tag))
        assert "A hashtag needs at least one letter" in response.text
        assert Tweetup.objects.count() == 0

    def test_nonexistent_local_time_is_refused(self, client, user, berlin):
        client.force_login(user)
        # 02:30 on the last Sunday of March doesn't exist in Berlin: 02:00 jumps to 03:00.
        day = f"{YEAR}-03-{last_sunday_of_march(YEAR)}"
        data = form_data(berlin, starts_at=f"{day}T02:30", ends_at=f"{day}T05:00")
        response = client.post(reverse("events:tweetup_new"), data)
        assert Tweetup.objects.count() == 0
        assert "the clocks skip that hour" in response.text

    def test_tweetup_longer_than_three_days_is_refused(self, client, user, berlin):
        client.force_login(user)
        data = form_data(berlin, ends_at=f"{YEAR}-04-06T19:00")
        response = client.post(reverse("events:tweetup_new"), data)
        assert "A tweetup can last at most 3 days." in response.text
        assert Tweetup.objects.count() == 0

    def test_hashtag_clash_is_a_field_error(self, client, user, berlin):
        starts = timezone.datetime(YEAR, 4, 2, 17, 0, tzinfo=timezone.UTC)
        TweetupFactory(
            city=berlin,
            hashtag="berlinxfriends",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
        )
        client.force_login(user)
        response = client.post(reverse("events:tweetup_new"), form_data(berlin))
        assert response.status_code == 200
        assert "is taken by" in response.text
        assert Tweetup.objects.count() == 1

    def test_extra_posted_fields_change_nothing(self, client, user, other_user, berlin):
        client.force_login(user)
        data = form_data(berlin, organizer=other_user.pk, status="cancelled", slug="hijack")
        client.post(reverse("events:tweetup_new"), data)
        tweetup = Tweetup.objects.get()
        assert tweetup.organizer == user
        assert tweetup.status == Tweetup.Status.SCHEDULED
        assert tweetup.slug != "hijack"

    def test_organizer_edits_and_raising_capacity_promotes(self, client, user, berlin):
        tweetup = TweetupFactory(city=berlin, organizer=user, capacity=1)
        waiting = UserFactory()
        Rsvp.objects.create(tweetup=tweetup, user=waiting, status="waitlisted", waitlist_position=1)
        client.force_login(user)
        url = reverse("events:tweetup_edit", args=[tweetup.slug])
        edit_page = client.get(url)
        assert f'value="#{tweetup.hashtag}"' in edit_page.text
        local = tweetup.local_starts_at
        data = form_data(
            berlin,
            title="Renamed",
            hashtag=tweetup.hashtag,
            capacity="2",
            starts_at=local.strftime("%Y-%m-%dT%H:%M"),
            ends_at=tweetup.local_ends_at.strftime("%Y-%m-%dT%H:%M"),
        )
        assert client.post(url, data).status_code == 302
        tweetup.refresh_from_db()
        assert tweetup.title == "Renamed"
        assert tweetup.revision == 1
        assert Rsvp.objects.get(user=waiting).status == Rsvp.Status.GOING

    def test_stranger_cannot_edit_or_cancel(self, client, tweetup, other_user, berlin):
        client.force_login(other_user)
        edit = reverse("events:tweetup_edit", args=[tweetup.slug])
        cancel = reverse("events:tweetup_cancel", args=[tweetup.slug])
        assert client.get(edit).status_code == 403
        assert client.post(edit, form_data(berlin, title="Hacked")).status_code == 403
        assert client.get(cancel).status_code == 403
        assert client.post(cancel, {"reason": "mine now"}).status_code == 403
        tweetup.refresh_from_db()
        assert tweetup.title != "Hacked"
        assert tweetup.status == Tweetup.Status.SCHEDULED

    def test_cancel_shows_reason_and_closes_rsvps(self, client, tweetup, user, other_user):
        client.force_login(user)
        url = reverse("events:tweetup_cancel", args=[tweetup.slug])
        assert client.post(url, {"reason": "Venue flooded"}).status_code == 302
        page = client.get(tweetup.get_absolute_url()).text
        assert "This tweetup is cancelled." in page
        assert "Venue flooded" in page
        client.force_login(other_user)
        client.post(reverse("events:rsvp", args=[tweetup.slug]), {"status": "going"})
        assert not Rsvp.objects.filter(user=other_user).exists()

    def test_a_cancelled_tweetup_cannot_be_edited(self, client, tweetup, user, berlin):
        tweetup.status = Tweetup.Status.CANCELLED
        tweetup.save()
        client.force_login(user)
        url = reverse("events:tweetup_edit", args=[tweetup.slug])
        response = client.post(url, form_data(berlin, title="Back from the dead"))
        assert response.status_code == 302
        tweetup.refresh_from_db()
        assert tweetup.title != "Back from the dead"

    def test_cancel_needs_a_reason(self, client, tweetup, user):
        client.force_login(user)
        response = client.post(
            reverse("events:tweetup_cancel", args=[tweetup.slug]), {"reason": ""}
        )
        assert response.status_code == 200
        tweetup.refresh_from_db()
        assert tweetup.status == Tweetup.Status.SCHEDULED


class TestRsvpViews:
    def test_rsvp_without_js_redirects_back(self, client, tweetup, other_user):
        client.force_login(other_user)
        response = client.post(reverse("events:rsvp", args=[tweetup.slug]), {"status": "going"})
        assert response.status_code == 302
        assert response["Location"] == tweetup.get_absolute_url()
        assert Rsvp.objects.get(user=other_user).status == Rsvp.Status.GOING

    def test_rsvp_htmx_returns_the_panel_fragment(self, client, tweetup, other_user):
        client.force_login(other_user)
        response = client.post(
            reverse("events:rsvp", args=[tweetup.slug]),
            {"status": "going"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<aside id="rsvp-panel"')
        assert "<html" not in response.text
        assert "You're going." in response.text
        assert "<strong>2</strong><span>going" in response.text

    def test_full_tweetup_waitlists_with_position(self, client, berlin, user):
        tweetup = TweetupFactory(city=berlin, organizer=user, capacity=1)
        first, second = UserFactory(), UserFactory()
        for person in (first, second):
            client.force_login(person)
            response = client.post(
                reverse("events:rsvp", args=[tweetup.slug]),
                {"status": "going"},
                headers={"HX-Request": "true"},
            )
        assert "number 2 in line" in response.text
        assert Rsvp.objects.get(user=first).status == Rsvp.Status.WAITLISTED

    def test_anonymous_rsvp_goes_to_sign_in_and_back_to_the_tweetup(self, client, tweetup):
        url = reverse("events:rsvp", args=[tweetup.slug])
        response = client.post(url, {"status": "going"})
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next=%2Ft%2F{tweetup.slug}%2F"
        htmx = client.post(url, {"status": "going"}, headers={"HX-Request": "true"})
        assert htmx["HX-Redirect"] == response["Location"]
        assert tweetup.rsvps.count() == 1

    def test_bad_status_changes_nothing(self, client, tweetup, other_user):
        client.force_login(other_user)
        client.post(reverse("events:rsvp", args=[tweetup.slug]), {"status": "waitlisted"})
        client.post(reverse("events:rsvp", args=[tweetup.slug]), {"status": "admin"})
        assert not Rsvp.objects.filter(user=other_user).exists()

    def test_rsvp_get_is_not_allowed(self, client, tweetup, other_user):
        client.force_login(other_user)
        assert (
            client.get(reverse("events:rsvp", args=[tweetup.slug]) + "?status=going").status_code
            == 405
        )
        assert not Rsvp.objects.filter(user=other_user).exists()

    def test_burst_past_the_limit_gets_429(self, client, tweetup, other_user, settings):
        settings.RSVP_RATE_LIMIT = 3
        client.force_login(other_user)
        url = reverse("events:rsvp", args=[tweetup.slug])
        codes = [
            client.post(url, {"status": s}).status_code
            for s in ["going", "maybe", "going", "maybe"]
        ]
        assert codes[:3] == [302, 302, 302]
        assert codes[3] == 429
        assert Rsvp.objects.get(user=other_user).status == Rsvp.Status.GOING
        htmx = client.post(url, {"status": "maybe"}, headers={"HX-Request": "true"})
        assert htmx.status_code == 429
        assert "a lot of RSVPs" in htmx.text

    def test_organizer_cannot_leave(self, client, tweetup, user):
        client.force_login(user)
        client.post(reverse("events:rsvp", args=[tweetup.slug]), {"status": "not_going"})
        assert Rsvp.objects.get(user=user).status == Rsvp.Status.GOING


class TestCsrf:
    @pytest.mark.parametrize(
        "name,data",
        [
            ("events:rsvp", {"status": "going"}),
            ("events:tweetup_cancel", {"reason": "x"}),
            ("events:tweetup_edit", {"title": "x"}),
        ],
    )
    def test_posts_without_token_are_refused(self, tweetup, user, name, data):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        response = client.post(reverse(name, args=[tweetup.slug]), data)
        assert response.status_code == 403
        tweetup.refresh_from_db()
        assert tweetup.status == Tweetup.Status.SCHEDULED
        assert tweetup.title != "x"

    def test_create_without_token_is_refused(self, user, berlin):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        assert client.post(reverse("events:tweetup_new"), form_data(berlin)).status_code == 403
        assert Tweetup.objects.count() == 0


def test_no_get_or_head_writes(client, tweetup, other_user, django_assert_num_queries):
    client.force_login(other_user)
    urls = [
        "/",
        tweetup.city.get_absolute_url(),
        tweetup.get_absolute_url(),
        reverse("events:tweetup_ics", args=[tweetup.slug]),
        reverse("events:my_tweetups"),
        reverse("events:rsvp", args=[tweetup.slug]),
        reverse("events:tweetup_new"),
    ]
    with CaptureQueriesContext(connection) as ctx:
        for url in urls:
            client.get(url)
            client.head(url)
    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and "django_session" not in q["sql"]
    ]
    assert writes == []


@pytest.mark.parametrize("rows", [1, 12])
def test_my_tweetups_query_count_is_fixed(client, user, berlin, rows):
    for _ in range(rows):
        TweetupFactory(city=berlin, organizer=user)
        going = TweetupFactory(city=berlin)
        Rsvp.objects.create(tweetup=going, user=user, status="going")
    client.force_login(user)
    client.get(reverse("events:my_tweetups"))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("events:my_tweetups"))
    assert response.text.count('class="card tweetup-row"') == 2 * rows
    assert len(ctx.captured_queries) <= 6
