import dataclasses
from datetime import UTC, datetime, timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import FollowedXId, User, XNetworkConsent
from accounts.network import network_consent_grant
from events.models import City, Rsvp, Topic, Tweetup
from events.services import TweetupDetails
from notifications.models import CityFollow, EmailPreferences, MessageKind, OutgoingMessage


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"xuser{n}")
    x_id = factory.Sequence(lambda n: str(1000000 + n))
    x_username = factory.Sequence(lambda n: f"tweeter{n}")
    display_name = factory.Sequence(lambda n: f"Tweeter {n}")
    avatar_url = factory.LazyAttribute(
        lambda u: f"https://pbs.twimg.com/profile_images/{u.x_id}.jpg"
    )


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = City
        django_get_or_create = ("slug",)

    name = "Berlin"
    country = "Germany"
    slug = factory.LazyAttribute(lambda c: c.name.lower().replace(" ", "-"))
    timezone = "Europe/Berlin"


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    name = "Tech"
    slug = factory.LazyAttribute(lambda t: t.name.lower().replace(" ", "-"))


class TweetupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tweetup
        skip_postgeneration_save = True

    city = factory.SubFactory(CityFactory)
    organizer = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Tweetup number {n}")
    slug = factory.Sequence(lambda n: f"tweetup-number-{n}")
    description = "Drinks and talk."
    venue_name = "Café Kreuzberg"
    venue_address = "Oranienstraße 1, Berlin"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    ends_at = factory.LazyAttribute(lambda t: t.starts_at + timedelta(hours=3))
    capacity = None
    hashtag = factory.Sequence(lambda n: f"tweetup{n}")

    @factory.post_generation
    def organizer_going(obj, create, extracted, **kwargs):
        # As tweetup_create does: the organizer is going.
        if create:
            Tweetup.objects.filter(pk=obj.pk).update(going_count=1)
            obj.going_count = 1
            Rsvp.objects.get_or_create(
                tweetup=obj, user=obj.organizer, defaults={"status": "going"}
            )


class EmailAddressFactory(factory.django.DjangoModelFactory):
    """A verified primary address (allauth's), so mail can go to its user."""

    class Meta:
        model = EmailAddress

    user = factory.SubFactory(UserFactory)
    email = factory.LazyAttribute(lambda a: f"{a.user.username}@example.com")
    verified = True
    primary = True


class MailableUserFactory(UserFactory):
    """A user with a verified primary address: someone notifications can reach."""

    class Meta:
        skip_postgeneration_save = True

    email_address = factory.RelatedFactory(EmailAddressFactory, factory_related_name="user")


class EmailPreferencesFactory(factory.django.DjangoModelFactory):
    """Every category on unless turned off: EmailPreferencesFactory(user=u, digest=False)."""

    class Meta:
        model = EmailPreferences
        django_get_or_create = ("user",)

    user = factory.SubFactory(MailableUserFactory)


class CityFollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CityFollow

    user = factory.SubFactory(MailableUserFactory)
    city = factory.SubFactory(CityFactory)


class OutgoingMessageFactory(factory.django.DjangoModelFactory):
    """A queued confirmation to someone going; its task was never enqueued."""

    class Meta:
        model = OutgoingMessage
        skip_postgeneration_save = True

    recipient = factory.SubFactory(MailableUserFactory)
    kind = MessageKind.CONFIRMATION
    tweetup = factory.SubFactory(TweetupFactory)
    revision = factory.LazyAttribute(lambda m: m.tweetup.revision)

    @factory.post_generation
    def recipient_going(obj, create, extracted, **kwargs):
        if create and obj.kind == MessageKind.CONFIRMATION:
            Rsvp.objects.get_or_create(
                tweetup=obj.tweetup, user=obj.recipient, defaults={"status": "going"}
            )


def follows(user, *people, generated: int = 0) -> None:
    """`user` opted in to "See who you follow", and their list holds `people` (plus
    `generated` ids of nobody on the site)."""
    if not XNetworkConsent.objects.filter(user=user).exists():
        network_consent_grant(user=user, access_token="token", refresh_token="", expires_at=None)
    ids = [person.x_id for person in people] + [str(9_000_000 + n) for n in range(generated)]
    FollowedXId.objects.bulk_create([FollowedXId(user=user, x_id=x_id) for x_id in ids])


def opt_in(user, *people, generated: int = 0) -> None:
    """`user` opted in, and X said they follow `people` (and `generated` others); unlike
    `follows`, their list was just read from X."""
    network_consent_grant(user=user, access_token="token", refresh_token="", expires_at=None)
    XNetworkConsent.objects.filter(user=user).update(last_read_at=timezone.now())
    ids = [p.x_id for p in people] + [str(8_000_000 + n) for n in range(generated)]
    FollowedXId.objects.bulk_create([FollowedXId(user=user, x_id=x_id) for x_id in ids])


def going(tweetup, *people, status=Rsvp.Status.GOING):
    """Each of `people` answered `status` to `tweetup` (not through the service)."""
    for person in people:
        Rsvp.objects.create(tweetup=tweetup, user=person, status=status)


HARBOUR_WALK_STARTS = datetime(2030, 6, 1, 17, 0, tzinfo=UTC)


def harbour_walk(city, **changes) -> TweetupDetails:
    """What an organizer types for a photo walk in `city` (tweetup_create's details), with
    `changes`: words to search for and every field a calendar event is written from."""
    return dataclasses.replace(
        TweetupDetails(
            city=city,
            title="Harbour Photo Walk",
            description="Bring a camera.",
            venue_name="Landwehrkanal",
            starts_at=HARBOUR_WALK_STARTS,
            ends_at=HARBOUR_WALK_STARTS + timedelta(hours=2),
            hashtag="HarbourPhotos",
        ),
        **changes,
    )
