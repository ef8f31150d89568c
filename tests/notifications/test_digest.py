"""The weekly digest: the coming week's tweetups in the cities a person follows."""

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

from events.models import Rsvp
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
from tests.events.test_network_listings import going, opt_in
from tests.factories import CityFactory, EmailPreferencesFactory, MailableUserFactory, UserFactory
from tests.fixtures_mail import mail_links, mail_part
from tests.notifications.conftest import details
from tests.notifications.test_email_links import link_path, open_every_link, snapshot, writes

pytestmark = pytest.mark.django_db


def days_ahead(days: float):
    return timezone.now() + timedelta(days=days)


@pytest.fixture
def tokyo(db):
    return CityFactory(name="Tokyo", country="Japan", timezone="Asia/Tokyo")


@pytest.fixture
def week(send_now, organizer, berlin, tokyo):
    """Tweetups in Berlin and Tokyo: two in the coming week, one further out, one cancelled."""

    def create(city, days, hashtag, title):
        return send_now(
            tweetup_create,
            organizer=organizer,
            details=details(city, starts_at=days_ahead(days), hashtag=hashtag, title=title),
        )

    tweetups = {
        "berlin": create(berlin, 2, "BerlinSoon", "Berlin: drinks on Wednesday"),
        "tokyo": create(tokyo, 4, "TokyoSoon", "Tokyo: ramen on Friday"),
        "later": create(berlin, 9, "BerlinLater", "Berlin: next month"),
        "cancelled": create(berlin, 3, "BerlinOff", "Berlin: called off"),
    }
    send_now(tweetup_cancel, tweetup=tweetups["cancelled"], actor=organizer, reason="Flu.")
    return tweetups


@pytest.fixture
def fan(berlin, tokyo):
    """Follows Berlin and Tokyo, with a verified address."""
    person = MailableUserFactory(display_name="Fran Fan")
    city_follow(user=person, city=berlin)
    city_follow(user=person, city=tokyo)
    return person


def digests(smtp) -> list:
    return [m for m in smtp.messages if "<digest." in m["List-Id"]]


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


class TestYourNetworkInTheDigest:
    def test_it_mentions_the_tweetups_people_you_follow_are_going_to(
        self, send_now, week, fan, smtp_mailer
    ):
        friend, stranger = UserFactory(), UserFactory()
        opt_in(fan, friend)
        going(week["later"], friend)  # further out than the week: still counted
        going(week["tokyo"], friend)
        going(week["berlin"], stranger)
        smtp_mailer.messages.clear()

        send_now(digests_schedule)

        (mail,) = smtp_mailer.wait_for(1)
        text, html = mail_part(mail, "text/plain"), mail_part(mail, "text/html")
        for body in (text, html):
            assert "2 tweetups where people you follow are going" in body
        assert "http://127.0.0.1:8000/network/" in mail_links(mail)

    def test_no_mention_without_a_network(self, send_now, week, fan, smtp_mailer):
        smtp_mailer.messages.clear()

        send_now(digests_schedule)

        (mail,) = smtp_mailer.wait_for(1)
        for part in ("text/plain", "text/html"):
            assert "where people you follow are going" not in mail_part(mail, part)


@pytest.fixture
def reader(db):
    """Follows no city; will opt in to seeing whom they follow on X."""
    return MailableUserFactory(display_name="Nia Network")


def bodies(mail) -> tuple[str, str]:
    return mail_part(mail, "text/plain"), mail_part(mail, "text/html")


class TestTheDigestOfSomeoneWhoFollowsNoCity:
    """People who chose to see whom they follow on X hear about their network's tweetups,
    with the same rules as the network page: no private RSVP, a protected account only
    for its followers (everyone in a network follows the people counted)."""

    def test_people_they_follow_going_this_week_bring_a_digest_that_names_them(
        self, send_now, week, reader, smtp_mailer
    ):
        friend = UserFactory()
        opt_in(reader, friend)
        going(week["tokyo"], friend)
        going(week["later"], friend)  # further out than the week: named all the same
        smtp_mailer.messages.clear()

        send_now(digests_schedule)

        (mail,) = digests(smtp_mailer)
        assert mail["To"] == f"{reader.username}@example.com"
        assert mail["Subject"] == "Your network: 2 tweetups where people you follow are going"
        links = mail_links(mail)
        assert "http://127.0.0.1:8000/network/" in links
        for key in ("tokyo", "later"):
            assert f"http://127.0.0.1:8000{week[key].get_absolute_url()}" in links
        for body in bodies(mail):
            assert "2 tweetups where people you follow are going" in body
            assert body.index("Tokyo: ramen on Friday") < body.index("Berlin: next month")
            assert local_when(week["tokyo"]) in body and "Tokyo time, Asia/Tokyo" in body
            assert "1 person you follow" in body
            assert "Berlin: drinks on Wednesday" not in body  # nobody they follow goes
            assert "cities you follow" not in body
            assert "you chose to see who you follow on X" in body
        assert "<digest." in mail["List-Id"]
        (row,) = OutgoingMessage.objects.filter(kind=MessageKind.DIGEST)
        assert row.recipient == reader and row.status == OutgoingMessage.Status.SENT

    def test_a_few_are_named_and_the_rest_counted(
        self, send_now, organizer, berlin, reader, django_capture_on_commit_callbacks
    ):
        friend = UserFactory()
        opt_in(reader, friend)
        for n in range(5):
            tweetup = send_now(
                tweetup_create,
                organizer=organizer,
                details=details(
                    berlin, starts_at=days_ahead(1 + n), hashtag=f"Net{n}", title=f"Net {n}"
                ),
            )
            going(tweetup, friend)
        with django_capture_on_commit_callbacks(execute=False):
            digests_schedule()
        message = OutgoingMessage.objects.get(kind=MessageKind.DIGEST, recipient=reader)

        text, html = bodies(compose(message, address="x@example.com").message())
        for body in (text, html):
            assert "5 tweetups where people you follow are going" in body
            assert [f"Net {n}" in body for n in range(5)] == [True] * 3 + [False] * 2
        assert "and 2 more on your network page" in text
        assert "All 5 on your network page" in html

    def test_nobody_with_nothing_this_week_gets_one(
        self, send_now, week, reader, organizer, smtp_mailer
    ):
        friend, idle = UserFactory(), UserFactory()
        opt_in(reader, friend)
        going(week["later"], friend)  # only further out than the week
        opt_in(MailableUserFactory(), idle)  # follows someone going nowhere
        MailableUserFactory()  # neither a city nor a network
        # The organizer follows someone going to their own tweetup: they know about it.
        opt_in(organizer, friend)
        going(week["berlin"], friend)
        Rsvp.objects.filter(user=friend, tweetup=week["berlin"]).update(private=True)
        smtp_mailer.messages.clear()

        send_now(digests_schedule)

        assert digests(smtp_mailer) == []
        assert not OutgoingMessage.objects.filter(kind=MessageKind.DIGEST).exists()

    def test_the_organizer_of_the_only_tweetup_gets_none(
        self, send_now, week, organizer, smtp_mailer
    ):
        friend = UserFactory()
        opt_in(organizer, friend)
        going(week["tokyo"], friend)
        smtp_mailer.messages.clear()

        send_now(digests_schedule)

        assert digests(smtp_mailer) == []
        assert not OutgoingMessage.objects.filter(kind=MessageKind.DIGEST).exists()

    def test_who_turned_the_digest_off_gets_none(
        self, week, smtp_mailer, django_capture_on_commit_callbacks
    ):
        friend = UserFactory()
        opted_out = EmailPreferencesFactory(digest=False).user
        changed_mind = MailableUserFactory()
        for person in (opted_out, changed_mind):
            opt_in(person, friend)
        going(week["tokyo"], friend)
        smtp_mailer.messages.clear()
        with django_capture_on_commit_callbacks(execute=False):  # the tasks wait in line
            digests_schedule()
        (row,) = OutgoingMessage.objects.filter(kind=MessageKind.DIGEST)
        assert row.recipient == changed_mind
        EmailPreferencesFactory(user=changed_mind, digest=False)  # before it goes out

        assert outgoing_message_send(message_id=row.pk).status == "skipped"

        assert digests(smtp_mailer) == []
        row.refresh_from_db()
        assert row.last_error == "digest turned off"

    def test_a_private_rsvp_of_someone_they_follow_is_neither_counted_nor_named(
        self, send_now, week, reader, smtp_mailer
    ):
        secretive, open_friend = UserFactory(), UserFactory()
        opt_in(reader, secretive, open_friend)
        Rsvp.objects.create(
            tweetup=week["tokyo"], user=secretive, status=Rsvp.Status.GOING, private=True
        )
        smtp_mailer.messages.clear()
        send_now(digests_schedule)
        assert digests(smtp_mailer) == []  # a private RSVP alone brings no digest

        going(week["berlin"], open_friend)
        send_now(digests_schedule)

        (mail,) = digests(smtp_mailer)
        for body in bodies(mail):
            assert "1 tweetup where people you follow are going" in body
            assert "Berlin: drinks on Wednesday" in body
            assert "Tokyo" not in body
        assert mail["Subject"] == "Your network: 1 tweetup where people you follow are going"

    def test_a_protected_account_counts_for_the_people_who_follow_it_only(
        self, send_now, week, reader, smtp_mailer
    ):
        protected = UserFactory(x_protected=True)
        other_reader = MailableUserFactory()
        opt_in(reader, protected)
        opt_in(other_reader, UserFactory())  # opted in, does not follow the account
        going(week["tokyo"], protected)
        smtp_mailer.messages.clear()

        send_now(digests_schedule)

        (mail,) = digests(smtp_mailer)
        assert mail["To"] == f"{reader.username}@example.com"
        for body in bodies(mail):
            assert "Tokyo: ramen on Friday" in body and "1 person you follow" in body

    def test_it_is_skipped_when_their_network_is_no_longer_going_this_week(
        self, send_now, week, reader, smtp_mailer, django_capture_on_commit_callbacks
    ):
        friend = UserFactory()
        opt_in(reader, friend)
        going(week["tokyo"], friend)
        going(week["later"], friend)
        with django_capture_on_commit_callbacks(execute=False):
            digests_schedule()
        Rsvp.objects.filter(user=friend, tweetup=week["tokyo"]).update(status="not_going")
        smtp_mailer.messages.clear()

        message = OutgoingMessage.objects.get(kind=MessageKind.DIGEST)
        assert outgoing_message_send(message_id=message.pk).status == "skipped"
        message.refresh_from_db()
        assert message.last_error == "nothing left in the week's digest"
        assert digests(smtp_mailer) == []

    def test_someone_who_follows_a_city_too_gets_one_digest_with_both(
        self, send_now, week, fan, smtp_mailer
    ):
        friend = UserFactory()
        opt_in(fan, friend)
        going(week["tokyo"], friend)
        smtp_mailer.messages.clear()

        send_now(digests_schedule)

        (mail,) = digests(smtp_mailer)
        assert mail["Subject"] == "This week in Berlin and Tokyo: 2 tweetups"
        text = mail_part(mail, "text/plain")
        assert "1 tweetup where people you follow are going" in text
        assert "because you follow Berlin and Tokyo on Tweetups" in text


def test_who_gets_a_network_digest_and_what_it_says_take_queries_independent_of_the_graph(
    send_now, organizer, berlin, django_capture_on_commit_callbacks
):
    def run(readers: int, friends: int, generated: int) -> tuple[int, int]:
        OutgoingMessage.objects.filter(kind=MessageKind.DIGEST).delete()
        people = [UserFactory() for _ in range(friends)]
        tweetups = [
            send_now(
                tweetup_create,
                organizer=organizer,
                details=details(berlin, starts_at=days_ahead(1 + n), hashtag=f"Graph{n}x{friends}"),
            )
            for n in range(friends)
        ]
        for tweetup, person in zip(tweetups, people, strict=True):
            going(tweetup, person)
        for _ in range(readers):
            opt_in(MailableUserFactory(), *people, generated=generated)
        with (
            django_capture_on_commit_callbacks(execute=False),
            CaptureQueriesContext(connection) as fan_out,
        ):
            ids = digests_schedule()
        assert len(ids) >= readers
        message = (
            OutgoingMessage.objects.filter(kind=MessageKind.DIGEST)
            .select_related("recipient", "tweetup", "broadcast")
            .order_by("-pk")
            .first()
        )
        with CaptureQueriesContext(connection) as composing:
            compose(message, address="x@example.com")
        return len(fan_out), len(composing)

    assert run(readers=1, friends=1, generated=0) == run(readers=4, friends=6, generated=2000)
