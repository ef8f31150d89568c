"""The weekly digest and a person's X network, for people who chose to see whom they
follow on X: a line in their city digest about the tweetups people they follow are going
to, and a digest of its own for someone who follows no city, under the network page's
rules (no private RSVP, a protected account only for its followers), in a number of
queries that doesn't grow with the follow graph."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Rsvp
from events.services import tweetup_create
from events.templatetags.tweetup_tags import local_when
from notifications.delivery import outgoing_message_send
from notifications.mail import compose
from notifications.models import MessageKind, OutgoingMessage
from notifications.schedules import digests_schedule
from tests.factories import EmailPreferencesFactory, MailableUserFactory, UserFactory, going, opt_in
from tests.fixtures_mail import mail_links, mail_part
from tests.notifications.conftest import days_ahead, details, digests

pytestmark = pytest.mark.django_db


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
