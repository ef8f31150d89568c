"""The "Your network" page: upcoming tweetups anywhere where people you follow are going,
soonest first, with their faces and handles; signed-in people only, in plain words when
there is nothing to show."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import XNetworkConsent
from events.models import Rsvp
from tests.events.test_network_listings import days_ahead, titles
from tests.factories import CityFactory, UserFactory, going, opt_in
from tests.pages import signed_in

pytestmark = pytest.mark.django_db
URL = reverse("events:network")


def test_signed_out_people_are_sent_to_sign_in():
    response = Client().get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=/network/" in response["Location"]


def test_without_consent_it_offers_to_opt_in():
    html = signed_in(UserFactory()).get(URL).text

    assert "We don't know who you follow on X yet" in html
    assert f'href="{reverse("accounts:network")}"' in html
    assert "See who you follow" in html


def test_with_consent_and_nothing_to_show_it_says_so(berlin):
    viewer = UserFactory()
    opt_in(viewer, UserFactory())

    html = signed_in(viewer).get(URL).text

    assert "Nobody you follow is going to an upcoming tweetup yet" in html


def test_before_the_first_read_it_says_it_is_reading():
    viewer = UserFactory()
    XNetworkConsent.objects.create(user=viewer, access_token_enc=b"-", granted_at=timezone.now())

    html = signed_in(viewer).get(URL).text

    assert "still reading who you follow" in html


def test_soonest_first_anywhere_with_who_is_going(berlin):
    lisbon = CityFactory(name="Lisbon", timezone="Europe/Lisbon")
    friends = [UserFactory(x_username=f"pal{n}") for n in range(3)]
    stranger = UserFactory(x_username="stranger")
    viewer = UserFactory()
    opt_in(viewer, *friends)
    later = days_ahead(5, city=berlin, title="Later in Berlin")
    sooner = days_ahead(2, city=lisbon, title="Sooner in Lisbon")
    past = days_ahead(-3, city=berlin, title="Already over")
    theirs = days_ahead(1, city=berlin, title="Only strangers")
    maybe = days_ahead(3, city=berlin, title="Only a maybe")
    going(later, friends[0], friends[1], stranger)
    going(sooner, friends[2])
    going(past, friends[0])
    going(theirs, stranger)
    going(maybe, friends[1], status=Rsvp.Status.MAYBE)

    html = signed_in(viewer).get(URL).text

    assert titles(html) == ["Sooner in Lisbon", "Later in Berlin"]
    later_row = html[html.index("Later in Berlin") :]
    assert "@pal0" in later_row and "@pal1" in later_row and "@stranger" not in later_row
    assert "2 people you follow are going" in later_row
    assert "@pal2" in html[html.index("Sooner in Lisbon") : html.index("Later in Berlin")]


def test_the_page_runs_the_same_queries_at_any_graph_size(berlin):
    friends = [UserFactory() for _ in range(12)]
    for n in range(8):
        going(days_ahead(1 + n, city=berlin), *friends[n : n + 4])
    small, big = UserFactory(), UserFactory()
    opt_in(small, friends[0])
    opt_in(big, *friends, generated=3000)

    counts = {}
    for name, viewer in (("small", small), ("big", big)):
        client = signed_in(viewer)
        client.get(URL)
        with CaptureQueriesContext(connection) as queries:
            html = client.get(URL).text
        counts[name] = len(queries)

    assert counts["small"] == counts["big"] == 4  # user, consent, tweetups, faces
    assert html.count('class="card tweetup-row"') == 8


def test_faces_are_capped_per_tweetup_and_the_rest_counted(berlin):
    friends = [UserFactory() for _ in range(9)]
    viewer = UserFactory()
    opt_in(viewer, *friends)
    going(days_ahead(1, city=berlin, title="Crowded"), *friends)

    html = signed_in(viewer).get(URL).text

    assert html.count('class="network-handle"') == 6
    assert "and 3 more" in html
    assert "9 people you follow are going" in html


def test_the_page_is_private():
    viewer = UserFactory()
    opt_in(viewer)

    response = signed_in(viewer).get(URL)

    assert response.status_code == 200
    assert "public" not in response.get("Cache-Control", "")
