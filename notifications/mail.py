"""Turning an outbox row into an email: HTML and text bodies, headers, calendar invitation.

Everything here reads; nothing writes. Times are the tweetup city's, with the zone named.
"""

import email.policy
from datetime import UTC
from email.message import MIMEPart
from email.utils import parseaddr
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from events.calendar import Attendee, tweetup_ics
from events.local_time import local_when
from events.models import Rsvp, Tweetup
from events.network import network_where_going
from notifications.links import rsvp_links, site_url, unsubscribe_url
from notifications.models import (
    DIGEST_PERIOD,
    Category,
    Invitation,
    MessageKind,
    OutgoingMessage,
    digest_tweetups,
)

# Kinds whose mail carries Going · Maybe · Can't go buttons.
RSVP_BUTTON_KINDS = {
    MessageKind.CONFIRMATION,
    MessageKind.REMINDER,
    MessageKind.NEW_TWEETUP,
    MessageKind.PROMOTION,
    MessageKind.CHANGE,
    MessageKind.INVITATION,
}
# The iCalendar PARTSTAT for each RSVP that gets an invitation. Waitlisted people have no
# seat, so no event for their calendar until a promotion sends one.
RSVP_PARTSTAT = {Rsvp.Status.GOING: "ACCEPTED", Rsvp.Status.MAYBE: "TENTATIVE"}


def _reason(message: OutgoingMessage) -> str:
    """Why this person gets this mail, for the footer."""
    match message.kind:
        case MessageKind.CONFIRMATION:
            return "You get this because you said you're going to this tweetup."
        case MessageKind.REMINDER:
            return "You get this because you're going to this tweetup."
        case MessageKind.PROMOTION:
            return "You get this because you were on this tweetup's waitlist."
        case MessageKind.NEW_TWEETUP:
            return f"You get this because you follow {message.tweetup.city.name} on Tweetups."
        case MessageKind.ORGANIZER_MESSAGE:
            return (
                "You get this because you answered this tweetup's RSVP. "
                "The organizer wrote it; Tweetups sent it."
            )
    return "You get this because you answered this tweetup's RSVP."


def _join_names(names: list[str]) -> str:
    """'Berlin', 'Berlin and Tokyo', 'Berlin, Lagos and Tokyo'."""
    if not names:
        return "the cities you follow"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def sender_domain() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "tweetups.localhost"


def google_calendar_url(tweetup: Tweetup) -> str:
    def utc(moment):
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    query = {
        "action": "TEMPLATE",
        "text": tweetup.title,
        "dates": f"{utc(tweetup.starts_at)}/{utc(tweetup.ends_at)}",
        "ctz": tweetup.city.timezone,
        "details": site_url(tweetup.get_absolute_url()),
        "location": tweetup.location,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def _digest_subject(cities: list[str], count: int, network_count: int) -> str:
    if not count:  # only their network's: they follow no city with a tweetup this week
        plural = "s" if network_count != 1 else ""
        return f"Your network: {network_count} tweetup{plural} where people you follow are going"
    return f"This week in {_join_names(cities)}: {count} tweetup{'s' if count > 1 else ''}"


def _subject(message: OutgoingMessage) -> str:
    tweetup = message.tweetup
    title = " ".join(tweetup.title.split())  # headers take no line breaks
    when = f"{tweetup.local_starts_at:%a %-d %b}"
    match message.kind:
        case MessageKind.CONFIRMATION:
            return f"You're going: {title} ({when})"
        case MessageKind.REMINDER:
            return f"Tomorrow: {title}" if _is_tomorrow(tweetup) else f"Coming up: {title}"
        case MessageKind.CHANGE:
            return f"Changed: {title} is now {when}"
        case MessageKind.CANCELLATION:
            return f"Cancelled: {title} ({when})"
        case MessageKind.PROMOTION:
            return f"A seat opened up: you're going to {title}"
        case MessageKind.NEW_TWEETUP:
            return f"New in {tweetup.city.name}: {title} ({when})"
        case MessageKind.ORGANIZER_MESSAGE:
            subject = " ".join(message.broadcast.subject.split())
            return f"{subject} · {title}"
        case MessageKind.INVITATION:
            return f"You're invited: {title} ({when})"
    raise ValueError(message.kind)


def _is_tomorrow(tweetup: Tweetup) -> bool:
    today = timezone.now().astimezone(tweetup.city.tzinfo).date()
    return (tweetup.local_starts_at.date() - today).days == 1


class NotificationEmail(EmailMultiAlternatives):
    """An email whose List-Unsubscribe header goes out as one line.

    The standard library folds a header longer than 78 characters, and a URL has no space
    to fold at, so it would become an RFC 2047 encoded word that no mail client reads as
    a URL. RFC 5322 allows lines up to 998 characters: these headers are set raw.
    """

    unfolded_headers = ("List-Unsubscribe",)

    def message(self, *, policy=email.policy.default):
        msg = super().message(policy=policy.clone(refold_source="none"))
        for name in self.unfolded_headers:
            value = self.extra_headers.get(name)
            if value:
                del msg[name]
                msg.set_raw(name, value)
        return msg


def compose(message: OutgoingMessage, *, address: str) -> EmailMultiAlternatives:
    """The EmailMultiAlternatives for an outbox row, to `address`."""
    recipient = message.recipient
    category = message.category
    unsubscribe = unsubscribe_url(user_id=recipient.pk, category=category)
    context = {
        "message": message,
        "kind": message.kind,
        "recipient": recipient,
        "category_label": Category(category).label,
        "unsubscribe_url": unsubscribe,
        "settings_url": site_url(reverse("notifications:settings")),
        "site_url": settings.SITE_URL,
    }
    if message.kind == MessageKind.DIGEST:
        context |= _digest_context(message)
        subject = _digest_subject(
            context["cities"], len(context["items"]), context["network_count"]
        )
    else:
        context |= _tweetup_mail_context(message)
        subject = _subject(message)
    template = f"notifications/email/{message.kind}"
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    domain = sender_domain()
    mail = NotificationEmail(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={
            # The same row always gets the same Message-ID, so a re-send after a crash
            # (see delivery.DUPLICATES_AFTER_CRASH) is one message to most mail clients.
            "Message-ID": f"<outbox-{message.pk}@{domain}>",
            "List-Id": f"Tweetups {Category(category).label} <{category}.{domain}>",
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",  # RFC 3834: no vacation replies
        },
    )
    mail.attach_alternative(html, "text/html")
    if method := context.get("calendar_method"):
        tweetup = message.tweetup
        ics = tweetup_ics(
            tweetup,
            url=context["tweetup_url"],
            method=method,
            attendee=Attendee(address=address, name=recipient.name, partstat=context["partstat"]),
        )
        part = MIMEPart()
        # text/calendar with the iTIP method as a parameter, which calendar clients read.
        part.set_content(
            ics.decode(),
            subtype="calendar",
            params={"method": method},
            disposition="attachment",
            filename=f"{tweetup.slug}.ics",
        )
        mail.attach(part)
    return mail


def _tweetup_mail_context(message: OutgoingMessage) -> dict:
    """What a mail about one tweetup shows, and the calendar file it carries, if any."""
    tweetup, recipient = message.tweetup, message.recipient
    rsvp_status = None
    if message.kind == MessageKind.CHANGE:  # sent to people going, maybe and waitlisted
        rsvp_status = (
            Rsvp.objects.filter(tweetup=tweetup, user=recipient)
            .values_list("status", flat=True)
            .first()
        )
    method, partstat = _calendar_method(message.kind, rsvp_status)
    return {
        "tweetup": tweetup,
        "rsvp_status": rsvp_status,
        "when": local_when(tweetup),
        "zone": _zone(tweetup),
        "location": tweetup.location,
        "tweetup_url": site_url(tweetup.get_absolute_url()),
        "rsvp_links": (
            rsvp_links(user_id=recipient.pk, tweetup_id=tweetup.pk)
            if message.kind in RSVP_BUTTON_KINDS and tweetup.accepts_rsvps
            else []
        ),
        "calendar_method": method,
        "partstat": partstat,
        "google_calendar_url": google_calendar_url(tweetup) if method == "REQUEST" else "",
        "broadcast": message.broadcast,
        "reason": _reason(message),
    } | (_invitation_context(message) if message.kind == MessageKind.INVITATION else {})


def _invitation_context(message: OutgoingMessage) -> dict:
    """Who invited the recipient, by which handle."""
    invitation = (
        Invitation.objects.filter(tweetup=message.tweetup, invitee=message.recipient)
        .select_related("inviter")
        .order_by("created_at", "id")
        .first()
    )
    inviter = invitation.inviter if invitation else message.tweetup.organizer
    handle = invitation.handle if invitation else message.recipient.x_username
    return {
        "inviter": inviter,
        "reason": (
            f"You get this because @{inviter.x_username} invited @{handle} on Tweetups."
            if inviter.x_username
            else "You get this because someone going invited you on Tweetups."
        ),
    }


def _calendar_method(kind: str, rsvp_status: str | None) -> tuple[str | None, str | None]:
    """(iTIP method, attendee PARTSTAT) of the .ics a mail carries; (None, None) for none.

    Confirmations and promotions go to people going (the send checks it). A change notice
    also reaches people who said maybe, whose calendar gets the event as tentative, and
    people on the waitlist, who get none: they have no seat yet.
    """
    if kind == MessageKind.CANCELLATION:
        return "CANCEL", None
    if kind in (MessageKind.CONFIRMATION, MessageKind.PROMOTION):
        return "REQUEST", RSVP_PARTSTAT[Rsvp.Status.GOING]
    if kind == MessageKind.CHANGE and rsvp_status in RSVP_PARTSTAT:
        return "REQUEST", RSVP_PARTSTAT[rsvp_status]
    return None, None


def _zone(tweetup: Tweetup) -> str:
    return f"{tweetup.city.name} time, {tweetup.city.timezone}"


DIGEST_NETWORK_SHOWN = 3  # tweetups named in the digest's "Your network"; the rest counted
DIGEST_ANSWERS = {
    Rsvp.Status.GOING: "You're going.",
    Rsvp.Status.MAYBE: "You said maybe.",
    Rsvp.Status.NOT_GOING: "You said you can't go.",
    Rsvp.Status.WAITLISTED: "You're on the waitlist.",
}


def _digest_context(message: OutgoingMessage) -> dict:
    """The week's tweetups in the cities the recipient follows, each with RSVP buttons."""
    recipient = message.recipient
    answers = Rsvp.objects.filter(tweetup=OuterRef("pk"), user=recipient).values("status")
    tweetups = (
        digest_tweetups(
            user_id=recipient.pk,
            start=timezone.now(),
            end=message.created_at + DIGEST_PERIOD,
        )
        .select_related("city", "organizer")
        .annotate(answer=Subquery(answers[:1]))
    )
    items = [
        {
            "tweetup": tweetup,
            "when": local_when(tweetup),
            "zone": _zone(tweetup),
            "location": tweetup.location,
            "tweetup_url": site_url(tweetup.get_absolute_url()),
            "answer": DIGEST_ANSWERS.get(tweetup.answer, ""),
            "rsvp_links": rsvp_links(user_id=recipient.pk, tweetup_id=tweetup.pk),
        }
        for tweetup in tweetups
    ]
    cities = list(dict.fromkeys(item["tweetup"].city.name for item in items))
    # "Your network": upcoming tweetups anywhere that people they follow on X go to, the
    # soonest few by name, as the network page lists them (one query, whatever the graph).
    network, network_count = network_where_going(recipient, shown=DIGEST_NETWORK_SHOWN)
    network_items = [
        {
            "tweetup": tweetup,
            "when": local_when(tweetup),
            "zone": _zone(tweetup),
            "tweetup_url": site_url(tweetup.get_absolute_url()),
            "going": tweetup.network_count,
        }
        for tweetup in network
    ]
    if items:
        reason = f"You get this because you follow {_join_names(cities)} on Tweetups."
    else:
        reason = (
            "You get this because you chose to see who you follow on X, "
            "and some of them are going to tweetups this week."
        )
    return {
        "items": items,
        "cities": cities,
        "network_items": network_items,
        "network_count": network_count,
        "network_more": network_count - len(network_items),
        "network_url": site_url(reverse("events:network")),
        "reason": reason,
    }
