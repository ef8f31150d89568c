"""Who wants which mail: email preferences, city follows, and who can be mailed at all."""

from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef

from accounts.models import User
from events.models import City
from notifications.models import Category, CityFollow, EmailPreferences, followed_cities_cache_key


@transaction.atomic
def email_preferences_update(*, user: User, values: dict[str, bool]) -> EmailPreferences:
    """Turn categories on or off; categories not in `values` stay as they are."""
    preferences, _ = EmailPreferences.objects.select_for_update().get_or_create(user=user)
    for category in Category:
        if category.value in values:
            setattr(preferences, category.value, bool(values[category.value]))
    preferences.save()
    return preferences


@transaction.atomic
def email_category_unsubscribe(*, user_id: int, category: str) -> EmailPreferences:
    """Turn one category off (the List-Unsubscribe one-click); running it twice is harmless."""
    preferences, _ = EmailPreferences.objects.update_or_create(
        user_id=user_id, defaults={Category(category).value: False}
    )
    return preferences


@transaction.atomic
def city_follow(*, user: User, city: City) -> CityFollow:
    """Hear about new tweetups in `city`."""
    follow, _ = CityFollow.objects.get_or_create(user=user, city=city)
    _forget_followed_cities(user.pk)
    return follow


@transaction.atomic
def city_unfollow(*, user: User, city: City) -> None:
    """Stop hearing about new tweetups in `city`."""
    CityFollow.objects.filter(user=user, city=city).delete()
    _forget_followed_cities(user.pk)


def _forget_followed_cities(user_id: int) -> None:
    key = followed_cities_cache_key(user_id)
    cache.delete(key)  # now, and again once committed, so no reader caches the old set
    transaction.on_commit(lambda: cache.delete(key), robust=True)


# --- Who can be mailed -------------------------------------------------------------------
def with_verified_email(users):
    return users.filter(
        Exists(EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)),
    )


def wanting(users, category: str):
    """Users who have not turned `category` off (no preferences row means all on)."""
    return users.exclude(
        Exists(
            EmailPreferences.objects.filter(
                user=OuterRef("pk"), **{Category(category).value: False}
            )
        )
    )


def mail_address(user: User) -> str | None:
    """The verified address mail goes to: the primary one if it is verified."""
    return (
        EmailAddress.objects.filter(user=user, verified=True)
        .order_by("-primary", "pk")
        .values_list("email", flat=True)
        .first()
    )
