import ast
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.management import call_command
from django.db.models import Count, F, Q

from accounts.models import User
from events import demo_data
from events.management.commands import seed_demo
from events.models import City, Rsvp, Tweetup
from xemulator.demo import DEMO_USERS as EMULATOR_DEMO_USERS

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (City, User, SocialAccount, Tweetup, Rsvp)
    }


def test_seed_demo_twice_changes_no_counts():
    first_output = seed()
    counts = row_counts()
    second_output = seed()

    assert row_counts() == counts
    assert counts["City"] == 12
    assert counts["User"] == counts["SocialAccount"] >= 15
    assert counts["Tweetup"] >= 30
    assert "Skipped" not in first_output + second_output
    assert "New this run: 0 cities, 0 users, 0 tweetups" in second_output


def test_seed_demo_has_upcoming_tweetups_in_several_cities_in_their_own_zones():
    seed()

    upcoming = Tweetup.objects.scheduled().upcoming()
    assert upcoming.values("city").distinct().count() >= 8
    assert Tweetup.objects.past().exists()
    assert City.objects.get(slug="mumbai").timezone == "Asia/Kolkata"
    assert City.objects.get(slug="san-francisco").timezone == "America/Los_Angeles"
    # Start times are wall-clock times in the city, not in UTC.
    kreuzberg = Tweetup.objects.get(slug="kreuzberg-tech-drinks")
    assert (kreuzberg.local_starts_at.hour, kreuzberg.local_starts_at.minute) == (19, 0)


def test_seed_demo_fills_some_tweetups_and_never_overbooks():
    seed()

    with_capacity = Tweetup.objects.filter(capacity__isnull=False).annotate(
        going=Count("rsvps", filter=Q(rsvps__status=Rsvp.Status.GOING))
    )
    assert all(tweetup.going <= tweetup.capacity for tweetup in with_capacity)
    full = [tweetup for tweetup in with_capacity if tweetup.going == tweetup.capacity]
    assert len(full) >= 2
    assert Rsvp.objects.waitlisted().filter(tweetup__in=full).count() >= 3
    assert Tweetup.objects.filter(status=Tweetup.Status.CANCELLED).count() == 1
    # Every organizer is going to their own tweetup, as tweetup_create makes them.
    # The services kept the stored seat counts in step with the RSVPs.
    for tweetup in Tweetup.objects.annotate(
        going=Count("rsvps", filter=Q(rsvps__status=Rsvp.Status.GOING))
    ):
        assert tweetup.going_count == tweetup.going, tweetup.slug
    organizer_going = Tweetup.objects.filter(
        rsvps__user=F("organizer"), rsvps__status=Rsvp.Status.GOING
    )
    assert organizer_going.count() == Tweetup.objects.count()


def test_seed_demo_moves_stale_tweetups_back_into_the_future():
    seed()
    tweetup = Tweetup.objects.get(slug="shibuya-tweetup")
    starts_at = tweetup.starts_at
    # As if the demo database were a month old: the tweetup is over.
    Tweetup.objects.filter(pk=tweetup.pk).update(
        starts_at=starts_at - timedelta(days=30), ends_at=tweetup.ends_at - timedelta(days=30)
    )

    seed()

    tweetup.refresh_from_db()
    assert tweetup.starts_at == starts_at
    assert Tweetup.objects.upcoming().filter(pk=tweetup.pk).exists()


def test_seed_demo_users_include_the_x_emulators_accounts_with_their_ids():
    seed()

    for profile in EMULATOR_DEMO_USERS:
        user = User.objects.get(x_id=profile["id"])
        assert (user.x_username, user.display_name) == (profile["username"], profile["name"])
        # Signing in at the emulator as this account finds the seeded user, not a new one.
        account = SocialAccount.objects.get(provider="twitter_oauth2", uid=profile["id"])
        assert account.user == user
        assert account.extra_data["username"] == profile["username"]
        assert not user.has_usable_password()
    organizers = User.objects.filter(organized_tweetups__isnull=False).distinct()
    assert organizers.filter(x_id__in=[p["id"] for p in EMULATOR_DEMO_USERS]).count() >= 5


def test_seed_demo_has_the_x_emulators_accounts_without_importing_the_emulator():
    # A production command: it writes rows, and runs where the development emulator isn't
    # installed. Its copy of the emulator's accounts must still match them exactly.
    for module in (seed_demo, demo_data):
        source = Path(module.__file__).read_text()
        imported = {
            name
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Import | ast.ImportFrom)
            for name in (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
            )
        }
        assert not any(name.split(".")[0] == "xemulator" for name in imported), module

    seeded = {profile["id"]: profile for profile in demo_data.demo_profiles()}
    for account in EMULATOR_DEMO_USERS:
        profile = seeded[account["id"]]
        assert {key: profile[key] for key in profile} == {key: account[key] for key in profile}
