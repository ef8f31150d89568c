"""The weekly digest: the coming week's tweetups in the cities a person follows, each in
its city's time with RSVP buttons that work and one-click unsubscribe; sent once a week
from Monday's beat, to the people who can and want to hear, in a fixed number of queries.
(What it says about a person's X network: test_digest_network.py.)"""

from datetime import timedelta
from html import unescape

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.rsvps import rsvp_set
from events.services import tweetup_cancel, tweetup_create
from events.templatetags.tweetup_tags import local_when
from notifications import periodic
from notifications.delivery import outgoing_message_send
from notifications.mail import compose
from notifications.models import EmailPreferences, MessageKind, OutgoingMessage, digest_week
from notifications.preferences import city_follow
from notifications.schedules import digests_schedule
from notifications.tokens import rsvp_token_read
from tests.factories import CityFactory, EmailPreferencesFactory, MailableUserFactory, UserFactory
from tests.fixtures_mail import mail_links, mail_part
from tests.notifications.conftest import (
    days_ahead,
    details,
    digests,
    link_path,
    open_every_link,
    snapshot,
    writes,
)

pytestmark = pytest.mark.django_db


def rsvp_tokens(mail) -> dict[tuple[int, str], str]:
    """(tweetup id, choice): token, for each RSVP button in the mail."""
    tokens = {}
    for url in mail_links(mail):
        if "/e/rsvp/" in url:
            token = url.rstrip("/").rsplit("/", 1)[1]
            data = rsvp_token_read(token)
            tokens[(data.tweetup_id, data.choice)] = token
    return tokens


class TestTheDigest:
    def test_lists_the_weeks_tweetups_in_each_citys_time_with_rsvp_buttons(
        self, send_now, week, fan, smtp_mailer
    ):
        send_now(rsvp_set, user=fan, tweetup=week["tokyo"], status="maybe")
        smtp_mailer.messages.clear()

        send_now(digests_schedule)

        (mail,) = smtp_mailer.wait_for(1)
        assert mail["To"] == f"{fan.username}@example.com"
        assert mail["Subject"] == "This week in Berlin and Tokyo: 2 tweetups"
        text, html = mail_part(mail, "text/plain"), mail_part(mail, "text/html")
        for body in (text, html):
            assert "Berlin: drinks on Wednesday" in body and "Tokyo: ramen on Friday" in body
            assert body.index("Berlin: drinks") < body.index("Tokyo: ramen")  # soonest first
            assert "next month" not in body and "called off" not in body
            # Each in its own city's time, with the zone named.
            assert local_when(week["berlin"]) in body and "Berlin time, Europe/Berlin" in body
            assert local_when(week["tokyo"]) in body and "Tokyo time, Asia/Tokyo" in body
            assert "JST" in local_when(week["tokyo"])
            assert "You said maybe." in body
            assert "because you follow Berlin and Tokyo on Tweetups" in body
        assert "<h1" in html and "<h2" in html
        assert "text/calendar" not in [p.get_content_type() for p in mail.walk()]

        links = mail_links(mail)
        rsvp = [u for u in links if "/e/rsvp/" in u]
        assert len(rsvp) == 6  # Going · Maybe · Can't go for each of the two
        for label in ("Going", "Maybe", "Can't go"):
            assert unescape(html).count(f">{label}</a>") == 2

        # One-click unsubscribe for the digest alone.
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "<digest." in mail["List-Id"]
        (unsubscribe,) = [u for u in links if "/e/unsubscribe/" in u]
        assert unsubscribe in mail["List-Unsubscribe"]
        response = Client(enforce_csrf_checks=True).post(
            unsubscribe.removeprefix("http://127.0.0.1:8000"),
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200
        preferences = EmailPreferences.objects.get(user=fan)
        assert preferences.digest is False and preferences.new_in_city is True

    def test_the_rsvp_buttons_work_and_opening_them_changes_nothing(
        self, send_now, week, fan, smtp_mailer
    ):
        smtp_mailer.messages.clear()
        send_now(digests_schedule)
        (mail,) = smtp_mailer.wait_for(1)
        before = snapshot()
        with CaptureQueriesContext(connection) as ctx:
            assert open_every_link([mail], Client()) > 10
        assert writes(ctx) == [] and snapshot() == before

        tokens = rsvp_tokens(mail)
        assert set(tokens) == {
            (week[key].pk, choice)
            for key in ("berlin", "tokyo")
            for choice in ("going", "maybe", "not_going")
        }
        client = Client()
        token = tokens[(week["tokyo"].pk, "going")]
        client.get(link_path(token))
        done = send_now(
            client.post, path=reverse("notifications:rsvp_confirm"), data={"token": token}
        )
        assert done.status_code == 302
        assert week["tokyo"].rsvps.get(user=fan).status == "going"
        assert not week["berlin"].rsvps.filter(user=fan).exists()

    def test_twice_in_a_week_sends_nothing_twice_and_next_week_sends_again(
        self, send_now, week, fan, smtp_mailer
    ):
        smtp_mailer.messages.clear()
        send_now(digests_schedule)
        send_now(digests_schedule)
        send_now(periodic.send_weekly_digests.delay)  # the beat's task, as a worker runs it
        assert len(digests(smtp_mailer)) == 1
        (row,) = OutgoingMessage.objects.filter(kind=MessageKind.DIGEST)
        assert row.week == digest_week(timezone.now()) and row.week.weekday() == 0
        assert row.tweetup is None and row.status == OutgoingMessage.Status.SENT

        send_now(digests_schedule, now=timezone.now() + timedelta(days=7))
        assert len(digests(smtp_mailer)) == 2
        weeks = OutgoingMessage.objects.filter(kind=MessageKind.DIGEST).values_list(
            "week", flat=True
        )
        assert sorted(weeks) == [row.week, row.week + timedelta(days=7)]

    def test_only_people_with_something_coming_up_who_can_and_want_to_hear(
        self, send_now, week, fan, organizer, berlin, tokyo, smtp_mailer
    ):
        opted_out = EmailPreferencesFactory(digest=False).user
        no_address = UserFactory()
        for person in (opted_out, no_address, organizer):
            city_follow(user=person, city=berlin)
        not_following = MailableUserFactory()
        quiet_city = CityFactory(name="Lagos", country="Nigeria", timezone="Africa/Lagos")
        lagos_fan = MailableUserFactory()
        city_follow(user=lagos_fan, city=quiet_city)  # nothing there this week
        assert not_following and lagos_fan
        smtp_mailer.messages.clear()

        send_now(digests_schedule)

        # The organizer of every tweetup this week knows about them: nothing for them.
        assert [m["To"] for m in digests(smtp_mailer)] == [f"{fan.username}@example.com"]
        assert OutgoingMessage.objects.filter(kind=MessageKind.DIGEST).count() == 1

    def test_nothing_left_by_sending_time_sends_nothing(
        self, week, fan, organizer, smtp_mailer, django_capture_on_commit_callbacks, send_now
    ):
        with django_capture_on_commit_callbacks(execute=False):  # the tasks wait in line
            digests_schedule()
        for key in ("berlin", "tokyo"):
            send_now(tweetup_cancel, tweetup=week[key], actor=organizer, reason="Rain.")
        smtp_mailer.messages.clear()
        message = OutgoingMessage.objects.get(kind=MessageKind.DIGEST)
        assert outgoing_message_send(message_id=message.pk).status == "skipped"
        message.refresh_from_db()
        assert message.last_error == "nothing left in the week's digest"
        assert digests(smtp_mailer) == []


def test_the_preference_is_on_by_default():
    assert EmailPreferences().digest is True


def test_beat_runs_it_on_monday_mornings_utc():
    entry = django_settings.CELERY_BEAT_SCHEDULE["notifications-weekly-digest"]
    assert entry["task"] == periodic.send_weekly_digests.name
    assert entry["task"] == "notifications.periodic.send_weekly_digests"
    assert entry["schedule"] == crontab(minute=0, hour=8, day_of_week="mon")
    assert django_settings.CELERY_TIMEZONE == "UTC"


def test_fan_out_and_composing_take_queries_independent_of_size(
    send_now, organizer, berlin, django_capture_on_commit_callbacks
):
    def run(followers: int, tweetups: int) -> tuple[int, int]:
        OutgoingMessage.objects.filter(kind=MessageKind.DIGEST).delete()
        for _ in range(followers):
            city_follow(user=MailableUserFactory(), city=berlin)
        for n in range(tweetups):
            send_now(
                tweetup_create,
                organizer=organizer,
                details=details(berlin, starts_at=days_ahead(1 + n), hashtag=f"Week{n}x{tweetups}"),
            )
        with (
            django_capture_on_commit_callbacks(execute=False),
            CaptureQueriesContext(connection) as fan_out,
        ):
            digests_schedule()
        message = (
            OutgoingMessage.objects.filter(kind=MessageKind.DIGEST)
            .select_related("recipient", "tweetup", "broadcast")
            .first()
        )
        with CaptureQueriesContext(connection) as composing:
            compose(message, address="x@example.com")
        return len(fan_out), len(composing)

    assert run(followers=2, tweetups=1) == run(followers=5, tweetups=3)
