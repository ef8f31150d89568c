"""The absolute links a mail carries: the site's pages, one-click RSVPs and unsubscribes."""

from django.conf import settings
from django.urls import reverse

from notifications.tokens import rsvp_token_make, unsubscribe_token_make

RSVP_BUTTONS = [("going", "Going"), ("maybe", "Maybe"), ("not_going", "Can't go")]


def site_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def rsvp_links(*, user_id: int, tweetup_id: int) -> list[tuple[str, str]]:
    """(label, absolute URL) for each choice; each URL's token acts for that choice only."""
    return [
        (
            label,
            site_url(
                reverse(
                    "notifications:rsvp_link",
                    args=[rsvp_token_make(user_id=user_id, tweetup_id=tweetup_id, choice=value)],
                )
            ),
        )
        for value, label in RSVP_BUTTONS
    ]


def unsubscribe_url(*, user_id: int, category: str) -> str:
    token = unsubscribe_token_make(user_id=user_id, category=category)
    return site_url(reverse("notifications:unsubscribe", args=[token]))
