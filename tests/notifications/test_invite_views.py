"""The invite page: who may use it, bad input, the caps, the X post, and what it never says."""

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.models import Rsvp
from notifications.models import Invitation, MessageKind, OutgoingMessage
from tests.factories import (
    EmailPreferencesFactory,
    MailableUserFactory,
    TweetupFactory,
    UserFactory,
)
from tests.pages import text

pytestmark = pytest.mark.django_db


def url(tweetup) -> str:
    return reverse("notifications:invite", args=[tweetup.slug])


def person(tweetup, answer: str | None):
    """Someone with this answer to the tweetup (None: no answer)."""
    user = UserFactory()
    if answer:
        position = 1 if answer == "waitlisted" else None
        Rsvp.objects.create(tweetup=tweetup, user=user, status=answer, waitlist_position=position)
    return user


@pytest.fixture
def invited_page(client):
    """Post handles as `user` and follow the redirect to the page with the X post."""

    def post(tweetup, user, handles: str):
        client.force_login(user)
        response = client.post(url(tweetup), {"handles": handles})
        assert response.status_code == 302, text(response)
        return client.get(response["Location"])

    return post


class TestWhoMayInvite:
    @pytest.mark.parametrize("answer", ["going", "maybe", "organizer"])
    def test_the_organizer_and_people_going_or_maybe_see_the_link_and_may_invite(
        self, client, tweetup, answer
    ):
        user = tweetup.organizer if answer == "organizer" else person(tweetup, answer)
        client.force_login(user)
        page = client.get(tweetup.get_absolute_url())
        assert f'href="{url(tweetup)}"' in page.text
        assert client.get(url(tweetup)).status_code == 200
        assert client.post(url(tweetup), {"handles": "@maya_okafor"}).status_code == 302
        assert Invitation.objects.get().inviter == user

    @pytest.mark.parametrize("answer", [None, "not_going", "waitlisted"])
    def test_others_get_no_link_and_a_403(self, client, tweetup, answer):
        client.force_login(person(tweetup, answer))
        assert url(tweetup) not in client.get(tweetup.get_absolute_url()).text
        assert client.get(url(tweetup)).status_code == 403
        assert client.post(url(tweetup), {"handles": "@maya_okafor"}).status_code == 403
        assert not Invitation.objects.exists()

    def test_visitors_are_sent_to_sign_in(self, client, tweetup):
        assert url(tweetup) not in client.get(tweetup.get_absolute_url()).text
        for response in (client.get(url(tweetup)), client.post(url(tweetup), {"handles": "a"})):
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("account_login"))
        assert not Invitation.objects.exists()

    def test_a_cancelled_or_past_tweetup_takes_none(
        self, client, tweetup, django_capture_on_commit_callbacks
    ):
        past = TweetupFactory(
            organizer=tweetup.organizer, starts_at=timezone.now() - timedelta(days=2)
        )
        client.force_login(tweetup.organizer)
        from events.services import tweetup_cancel

        with django_capture_on_commit_callbacks(execute=False):
            tweetup_cancel(tweetup=tweetup, actor=tweetup.organizer, reason="Snow")
        for closed in (tweetup, past):
            assert url(closed) not in client.get(closed.get_absolute_url()).text
            response = client.post(url(closed), {"handles": "@maya_okafor"})
            assert response.status_code == 302 and response["Location"] == closed.get_absolute_url()
            assert "nobody can be invited" in text(client.get(response["Location"]))
        assert not Invitation.objects.exists()

    def test_csrf_is_checked(self, tweetup):
        client = Client(enforce_csrf_checks=True)
        client.force_login(tweetup.organizer)
        assert client.post(url(tweetup), {"handles": "@maya_okafor"}).status_code == 403
        assert not Invitation.objects.exists()


class TestBadInput:
    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            ("", "This field is required."),
            ("hello world!!", "Not an X handle: “world!!”"),
            ("@this_is_too_long", "Not an X handle: “@this_is_too_long”"),
            ("@" + "x" * 40, "Not an X handle: “@xxxxxxxxxxxxxxxxxxx…”"),
            ("@a@b, x.com/ok, <script>", "Not an X handle: “@a@b”, “<script>”"),
            (" ".join(f"@h{i}" for i in range(1000)), "That's far more than 10 handles"),
            (" ".join(f"@h{i}" for i in range(11)), "Up to 10 handles at a time: you entered 11"),
            ("@maya\x00", "Null characters are not allowed."),
            ("@Organizer_Self", "That's you"),
        ],
    )
    def test_a_clear_message_and_what_was_typed_is_kept(self, client, tweetup, typed, message):
        tweetup.organizer.x_username = "organizer_self"
        tweetup.organizer.save()
        client.force_login(tweetup.organizer)
        response = client.post(url(tweetup), {"handles": typed})
        assert response.status_code == 400
        assert message in text(response)
        if typed and "\x00" not in typed and len(typed) < 100:
            assert f'value="{html.escape(typed)}"' in response.text
        assert not Invitation.objects.exists()

    def test_profile_addresses_and_commas_work(self, invited_page, tweetup):
        page = invited_page(tweetup, tweetup.organizer, "https://x.com/Maya_Okafor, @sam;lee_k")
        assert "@Maya_Okafor, @sam, @lee_k" in re.sub(r"<[^>]+>", "", text(page))
        assert sorted(Invitation.objects.values_list("handle", flat=True)) == [
            "lee_k",
            "maya_okafor",
            "sam",
        ]


class TestTheXPost:
    def test_the_post_mentions_them_with_the_link(self, invited_page, tweetup):
        page = invited_page(tweetup, tweetup.organizer, "@maya_okafor sam_k")
        (href,) = re.findall(r'href="(https://x\.com/intent/post\?[^"]+)"', page.text)
        parts = urlsplit(html.unescape(href))
        query = parse_qs(parts.query)
        assert query["url"] == [f"http://testserver{tweetup.get_absolute_url()}"]
        (post,) = query["text"]
        assert post.startswith(f"Join me at {tweetup.title} · ")
        assert post.endswith(" @maya_okafor @sam_k")
        assert "Your post is ready" in text(page)


class TestNothingLeaks:
    def test_the_inviter_reads_the_same_whoever_the_handle_is(self, client, tweetup, settings):
        MailableUserFactory(x_username="has_mail")
        UserFactory(x_username="no_mail")
        EmailPreferencesFactory(user=MailableUserFactory(x_username="opted_out"), invitations=False)
        client.force_login(tweetup.organizer)
        pages = []
        for handle in ["has_mail", "no_mail", "opted_out", "no_account"]:
            response = client.post(url(tweetup), {"handles": f"@{handle}"})
            assert response.status_code == 302
            page = client.get(response["Location"]).content.decode()
            page = re.sub(r"\b[A-Za-z0-9]{64}\b", "CSRF", page)  # tokens are masked anew
            pages.append(page.replace(handle, "HANDLE"))
        assert pages[1:] == pages[:1] * 3
        assert OutgoingMessage.objects.filter(kind=MessageKind.INVITATION).count() == 1


class TestLimits:
    def test_past_the_day_cap_a_429_that_keeps_what_was_typed(self, client, tweetup, settings):
        settings.INVITATIONS_PER_DAY = 2
        client.force_login(tweetup.organizer)
        assert client.post(url(tweetup), {"handles": "@a1 @a2"}).status_code == 302
        response = client.post(url(tweetup), {"handles": "@a3"})
        assert response.status_code == 429
        assert "You can invite 2 people a day, and have 0 left today" in text(response)
        assert 'value="@a3"' in response.text
        assert Invitation.objects.count() == 2

    def test_the_post_rate_limit(self, client, tweetup, settings):
        settings.INVITE_RATE_LIMIT = 1
        client.force_login(tweetup.organizer)
        assert client.post(url(tweetup), {"handles": "@a1"}).status_code == 302
        response = client.post(url(tweetup), {"handles": "@a2"})
        assert response.status_code == 429
        assert "That's a lot of invitations at once" in text(response)
        assert list(Invitation.objects.values_list("handle", flat=True)) == ["a1"]

    def test_with_the_cache_away_the_database_caps_still_hold(self, client, tweetup, settings):
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
        settings.INVITE_RATE_LIMIT = 1  # fails open: the cache keeps no count
        settings.INVITATIONS_PER_DAY = 3
        client.force_login(tweetup.organizer)
        for handles in ("@a1", "@a2", "@a3"):
            assert client.post(url(tweetup), {"handles": handles}).status_code == 302
        assert client.post(url(tweetup), {"handles": "@a4"}).status_code == 429
        assert Invitation.objects.count() == 3
