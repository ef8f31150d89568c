"""Tweetup dates stay within a sane window, on /new/ and on edit: never a 500 at the ends of
the calendar, at most about two years ahead, and an upcoming tweetup can't be edited into
the past."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Tweetup
from tests.factories import CityFactory, TweetupFactory
from tests.pages import form_data

pytestmark = pytest.mark.django_db

LOCAL = "%Y-%m-%dT%H:%M"


@pytest.fixture
def new_york(db):
    return CityFactory(name="New York", country="United States", timezone="America/New_York")


def local_input(tweetup, moment):
    return moment.astimezone(tweetup.city.tzinfo).strftime(LOCAL)


def edit_data(tweetup, **overrides):
    unchanged = {
        "hashtag": tweetup.hashtag,
        "starts_at": local_input(tweetup, tweetup.starts_at),
        "ends_at": local_input(tweetup, tweetup.ends_at),
    }
    return form_data(tweetup.city, **unchanged | overrides)


@pytest.mark.parametrize(
    ("city", "starts_at", "ends_at"),
    [
        # 9999-12-31 evening in New York is year 10000 in UTC.
        ("new_york", "9999-12-31T19:00", "9999-12-31T23:59"),
        # Midnight, 1 January of year 1 in Berlin is year 0 in UTC.
        ("berlin", "0001-01-01T00:00", "0001-01-01T03:00"),
        ("berlin", "9999-12-31T19:00", "9999-12-31T22:00"),
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_refused_not_500(
    client, user, request, city, starts_at, ends_at
):
    city = request.getfixturevalue(city)
    client.force_login(user)

    response = client.post(
        reverse("events:tweetup_new"), form_data(city, starts_at=starts_at, ends_at=ends_at)
    )

    assert response.status_code == 200
    assert "Pick a date within the next two years." in response.text
    assert not Tweetup.objects.exists()


def test_editing_to_the_end_of_the_calendar_is_refused_not_500(client, user, new_york):
    tweetup = TweetupFactory(city=new_york, organizer=user)
    client.force_login(user)
    url = reverse("events:tweetup_edit", args=[tweetup.slug])

    response = client.post(
        url, edit_data(tweetup, starts_at="9999-12-31T19:00", ends_at="9999-12-31T23:00")
    )

    assert response.status_code == 200
    assert "Pick a date within the next two years." in response.text
    assert Tweetup.objects.get().starts_at == tweetup.starts_at


@pytest.mark.parametrize(("days", "created"), [(700, True), (760, False)])
def test_a_tweetup_starts_at_most_about_two_years_ahead(client, user, berlin, days, created):
    client.force_login(user)
    day = timezone.now() + timedelta(days=days)

    response = client.post(
        reverse("events:tweetup_new"),
        form_data(berlin, starts_at=f"{day:%Y-%m-%d}T19:00", ends_at=f"{day:%Y-%m-%d}T22:00"),
    )

    assert Tweetup.objects.exists() is created
    if not created:
        assert response.status_code == 200
        assert "Pick a date within the next two years." in response.text


def test_an_upcoming_tweetup_cannot_be_edited_into_the_past(client, user, berlin):
    tweetup = TweetupFactory(city=berlin, organizer=user)
    client.force_login(user)
    yesterday = timezone.now() - timedelta(days=1)

    response = client.post(
        reverse("events:tweetup_edit", args=[tweetup.slug]),
        edit_data(
            tweetup,
            starts_at=local_input(tweetup, yesterday),
            ends_at=local_input(tweetup, yesterday + timedelta(hours=2)),
        ),
    )

    assert response.status_code == 200
    assert "so it can&#x27;t be moved into the past" in response.text
    stored = Tweetup.objects.get()
    assert (stored.starts_at, stored.ends_at) == (tweetup.starts_at, tweetup.ends_at)
    assert stored.revision == 0


def test_a_tweetup_under_way_keeps_its_start_but_cannot_be_ended_in_the_past(client, user, berlin):
    now = timezone.now()
    tweetup = TweetupFactory(
        city=berlin,
        organizer=user,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
    )
    client.force_login(user)
    url = reverse("events:tweetup_edit", args=[tweetup.slug])

    renamed = client.post(url, edit_data(tweetup, title="Still on"))
    ended = client.post(
        url, edit_data(tweetup, ends_at=local_input(tweetup, now - timedelta(minutes=30)))
    )

    assert renamed.status_code == 302
    assert ended.status_code == 200
    assert "ended yet, so its end must be in the future" in ended.text
    stored = Tweetup.objects.get()
    # The form takes minutes: the rename stored the end without its seconds.
    assert (stored.title, stored.ends_at) == (
        "Still on",
        tweetup.ends_at.replace(second=0, microsecond=0),
    )


def test_a_past_tweetup_can_still_be_edited_without_moving_it(client, user, berlin):
    now = timezone.now()
    tweetup = TweetupFactory(
        city=berlin,
        organizer=user,
        starts_at=now - timedelta(days=2),
        ends_at=now - timedelta(days=2) + timedelta(hours=2),
    )
    client.force_login(user)

    response = client.post(
        reverse("events:tweetup_edit", args=[tweetup.slug]),
        edit_data(tweetup, description="Thanks for coming!"),
    )

    assert response.status_code == 302
    assert Tweetup.objects.get().description == "Thanks for coming!"
