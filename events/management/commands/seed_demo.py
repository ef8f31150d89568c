"""Demo data for `make run`: cities, X users, tweetups past and upcoming, RSVPs and waitlists.

Safe to run on every start: rows are keyed on city slugs, X ids and tweetup slugs, so a
second run creates nothing. Tweetup times are relative to today in each city, and a run
moves an upcoming tweetup that has since passed back ahead, so the demo always has some.
Every write goes through the services, RSVPs included, so the data obeys their rules. The
data itself is in events/demo_data.py.
"""

from dataclasses import replace
from datetime import datetime, timedelta

from allauth.socialaccount.models import SocialAccount
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import user_update_from_x
from events.calendar_feeds import store_all_vevents, store_vevents
from events.demo_data import CITIES, DEMO_TOPICS, TWEETUPS, DemoTweetup, demo_profiles
from events.gazetteer import gazetteer
from events.models import City, Rsvp, Topic, Tweetup
from events.places import place_fields
from events.rsvps import rsvp_set
from events.services import TweetupDetails, tweetup_cancel, tweetup_create, tweetup_update

# The provider id allauth stores X sign-ins under (accounts.x.provider.XProvider keeps it).
X_PROVIDER_ID = "twitter_oauth2"


class Command(BaseCommand):
    help = "Load demo cities, X users, tweetups and RSVPs. Running it again changes no counts."

    def handle(self, *args, **options):
        created = {"cities": 0, "users": 0, "tweetups": 0}
        with transaction.atomic():
            cities = {}
            for slug, name, geoname_id in CITIES:
                cities[slug], new = self._seed_city(slug, name, geoname_id)
                created["cities"] += new
            users = {}
            for profile in demo_profiles():
                users[profile["username"]], new = self._seed_user(profile)
                created["users"] += new
            now = timezone.now()
            for spec in TWEETUPS:
                try:
                    with transaction.atomic():
                        created["tweetups"] += self._seed_tweetup(spec, cities, users, now)
                except ValidationError as exc:
                    # Only a hashtag clash with a tweetup someone made by hand gets here.
                    self.stderr.write(f"Skipped {spec.slug}: {'; '.join(exc.messages)}")
        self._print_summary(created, user_count=len(users))

    def _seed_city(self, slug: str, name: str, geoname_id: int) -> tuple[City, bool]:
        fields = {**place_fields(gazetteer().get(geoname_id)), "name": name}
        # Someone may have organized there from the gazetteer first, under its own slug.
        city = (
            City.objects.filter(slug=slug).first()
            or City.objects.filter(geoname_id=geoname_id).first()
        )
        if city is None:
            return City.objects.create(slug=slug, geoname_id=geoname_id, **fields), True
        was = (city.name, city.timezone)
        City.objects.filter(pk=city.pk).update(geoname_id=geoname_id, **fields)
        city.refresh_from_db()
        if (city.name, city.timezone) != was:  # in its tweetups' calendar texts
            store_all_vevents(Tweetup.objects.filter(city=city))
        return city, False

    def _seed_user(self, profile: dict) -> tuple[User, bool]:
        user = User.objects.filter(x_id=profile["id"]).first()
        created = user is None
        if created:
            user = User.objects.create_user(username=profile["username"])  # no password: X only
        user_update_from_x(user=user, profile=profile)
        # Signing in with X as this account (the emulator has it too) finds this user.
        SocialAccount.objects.update_or_create(
            provider=X_PROVIDER_ID,
            uid=profile["id"],
            defaults={"user": user, "extra_data": profile},
        )
        return user, created

    def _seed_tweetup(self, spec: DemoTweetup, cities: dict, users: dict, now: datetime) -> bool:
        city = cities[spec.city]
        details = spec.details(city, today=now.astimezone(city.tzinfo).date())
        topics = list(Topic.objects.filter(slug__in=DEMO_TOPICS.get(spec.slug, ())))
        details = replace(details, topics=topics)
        tweetup = Tweetup.objects.filter(slug=spec.slug).first()
        if tweetup is None:
            self._create_tweetup(spec, details, users)
            return True
        if not (spec.day > 0 and tweetup.is_past):
            # Still in the right tense: leave its times, as a move bumps its revision.
            details = replace(details, starts_at=tweetup.starts_at, ends_at=tweetup.ends_at)
        if set(tweetup.topics.all()) != set(topics) or any(
            getattr(tweetup, field) != value for field, value in details.columns().items()
        ):
            tweetup = tweetup_update(tweetup=tweetup, actor=tweetup.organizer, details=details)
        if tweetup.accepts_rsvps:
            self._rsvp(spec, tweetup, users)  # people added to the list since the last run
        return False

    def _create_tweetup(self, spec: DemoTweetup, details: TweetupDetails, users: dict) -> None:
        rsvp_details = details
        if spec.day < 0:
            # rsvp_set takes no RSVPs for a past tweetup, so it is held tomorrow while the
            # people RSVP, then moved to its date.
            shift = timedelta(days=1 - spec.day)
            rsvp_details = replace(
                details, starts_at=details.starts_at + shift, ends_at=details.ends_at + shift
            )
        tweetup = tweetup_create(organizer=users[spec.organizer], details=rsvp_details)
        # tweetup_create adds a random suffix to the slug; demo links stay the same.
        Tweetup.objects.filter(pk=tweetup.pk).update(slug=spec.slug)
        tweetup.slug = spec.slug
        store_vevents([tweetup])  # its calendar text links to its page
        self._rsvp(spec, tweetup, users)
        if rsvp_details is not details:
            tweetup_update(tweetup=tweetup, actor=tweetup.organizer, details=details)
        if spec.cancel_reason:
            tweetup_cancel(tweetup=tweetup, actor=tweetup.organizer, reason=spec.cancel_reason)

    def _rsvp(self, spec: DemoTweetup, tweetup: Tweetup, users: dict) -> None:
        for handle in spec.going:
            rsvp_set(user=users[handle], tweetup=tweetup, status=Rsvp.Status.GOING)
        for handle in spec.maybe:
            rsvp_set(user=users[handle], tweetup=tweetup, status=Rsvp.Status.MAYBE)

    def _print_summary(self, created: dict, user_count: int) -> None:
        slugs = [spec.slug for spec in TWEETUPS]
        demo = Tweetup.objects.filter(slug__in=slugs)
        upcoming = demo.scheduled().upcoming()
        rsvps = Rsvp.objects.filter(tweetup__in=demo)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data: {len(CITIES)} cities, {user_count} X users, "
                f"{demo.count()} tweetups ({upcoming.count()} upcoming in "
                f"{upcoming.values('city').distinct().count()} cities, "
                f"{demo.filter(status=Tweetup.Status.CANCELLED).count()} cancelled), "
                f"{rsvps.count()} RSVPs ({rsvps.waitlisted().count()} waitlisted). "
                f"New this run: {created['cities']} cities, {created['users']} users, "
                f"{created['tweetups']} tweetups."
            )
        )
