"""Organizing through the pages: /new/ for people signed in, in the city's time (an hour the
clocks skip refused), field errors that keep what was typed and save nothing, and edit
and cancel by the organizer alone."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Rsvp, Tweetup
from tests.factories import TweetupFactory, UserFactory
from tests.pages import YEAR, form_data

pytestmark = pytest.mark.django_db


def last_sunday_of_march(year: int) -> int:
    """The day Berlin's clocks go forward."""
    return max(day for day in range(25, 32) if date(year, 3, day).weekday() == 6)


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
