"""Turning an outbox row into an email: HTML and text bodies, headers, calendar invitation.

Everything here reads; nothing writes. Times are the tweetup city's, with the zone named.
"""

import contextlib
import email.policy
import smtplib
import threading
import time
from datetime import UTC
from email.message import MIMEPart
from email.utils import parseaddr
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from accounts.models import User
from events.calendar import tweetup_uid
from events.models import Rsvp, Tweetup
from events.templatetags.tweetup_tags import local_when
from notifications.models import (
    DIGEST_PERIOD,
    Category,
    Kind,
    OutgoingMessage,
    digest_tweetups,
)
from notifications.tokens import rsvp_token_make, unsubscribe_token_make

# Kinds whose mail carries Going · Maybe · Can't go buttons.
RSVP_BUTTON_KINDS = {
    Kind.CONFIRMATION,
    Kind.REMINDER,
    Kind.NEW_TWEETUP,
    Kind.PROMOTION,
    Kind.CHANGE,
}
# Kinds that attach an invitation (METHOD:REQUEST): to people going, and for a change
# notice also to people who said maybe (see _invitation_partstat).
INVITATION_KINDS = {Kind.CONFIRMATION, Kind.PROMOTION, Kind.CHANGE}
RSVP_BUTTONS = [("going", "Going"), ("maybe", "Maybe"), ("not_going", "Can't go")]
# The iCalendar PARTSTAT for each RSVP that gets an invitation. Waitlisted people have no
# seat, so no event for their calendar until a promotion sends one.
RSVP_PARTSTAT = {Rsvp.Status.GOING: "ACCEPTED", Rsvp.Status.MAYBE: "TENTATIVE"}


def _reason(message: OutgoingMessage) -> str:
    """Why this person gets this mail, for the footer."""
    match message.kind:
        case Kind.CONFIRMATION:
            return "You get this because you said you're going to this tweetup."
        case Kind.REMINDER:
            return "You get this because you're going to this tweetup."
        case Kind.PROMOTION:
            return "You get this because you were on this tweetup's waitlist."
        case Kind.NEW_TWEETUP:
            return f"You get this because you follow {message.tweetup.city.name} on Tweetups."
        case Kind.ORGANIZER_MESSAGE:
            return (
                "You get this because you answered this tweetup's RSVP. "
                "The organizer wrote it; Tweetups sent it."
            )
    return "You get this because you answered this tweetup's RSVP."


def _and(names: list[str]) -> str:
    """'Berlin', 'Berlin and Tokyo', 'Berlin, Lagos and Tokyo'."""
    if not names:
        return "the cities you follow"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def site_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def sender_domain() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "tweetups.localhost"


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


def google_calendar_url(tweetup: Tweetup) -> str:
    def utc(moment):
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    query = {
        "action": "TEMPLATE",
        "text": tweetup.title,
        "dates": f"{utc(tweetup.starts_at)}/{utc(tweetup.ends_at)}",
        "ctz": tweetup.city.timezone,
        "details": site_url(tweetup.get_absolute_url()),
        "location": _location(tweetup),
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def _location(tweetup: Tweetup) -> str:
    return ", ".join(p for p in [tweetup.venue_name, tweetup.venue_address, tweetup.city.name] if p)


def invitation_ics(
    tweetup: Tweetup, *, recipient: User, address: str, method: str, partstat: str | None
) -> bytes:
    """RFC 5545/5546: UID stable per tweetup, SEQUENCE the tweetup's revision, TZID the city's.

    REQUEST puts (or updates) the event in the recipient's calendar with their answer as
    PARTSTAT (ACCEPTED when going, TENTATIVE for maybe); CANCEL with the same UID and a
    higher SEQUENCE takes it out again, and claims no answer (`partstat` None).
    """
    from_name, from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    cal = Calendar()
    cal.add("prodid", "-//Tweetups//notifications//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", tweetup_uid(tweetup))
    event.add("sequence", tweetup.revision)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", tweetup.local_starts_at)
    event.add("dtend", tweetup.local_ends_at)
    event.add("summary", tweetup.title)
    event.add("location", vText(_location(tweetup)))
    url = site_url(tweetup.get_absolute_url())
    event.add("url", url)
    event.add("description", f"{tweetup.description}\n\n{url}".strip())
    cancelled = method == "CANCEL" or tweetup.is_cancelled
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{from_address}")
    organizer.params["cn"] = vText(from_name or "Tweetups")
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{address}")
    attendee.params["cn"] = vText(recipient.name)
    if partstat:
        attendee.params["partstat"] = partstat
    attendee.params["rsvp"] = "FALSE"  # nobody reads replies sent to the From address
    event.add("attendee", attendee)
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _digest_subject(cities: list[str], count: int) -> str:
    return f"This week in {_and(cities)}: {count} tweetup{'s' if count > 1 else ''}"


def _subject(message: OutgoingMessage) -> str:
    tweetup = message.tweetup
    title = " ".join(tweetup.title.split())  # headers take no line breaks
    when = f"{tweetup.local_starts_at:%a %-d %b}"
    match message.kind:
        case Kind.CONFIRMATION:
            return f"You're going: {title} ({when})"
        case Kind.REMINDER:
            return f"Tomorrow: {title}" if _is_tomorrow(tweetup) else f"Coming up: {title}"
        case Kind.CHANGE:
            return f"Changed: {title} is now {when}"
        case Kind.CANCELLATION:
            return f"Cancelled: {title} ({when})"
        case Kind.PROMOTION:
            return f"A seat opened up: you're going to {title}"
        case Kind.NEW_TWEETUP:
            return f"New in {tweetup.city.name}: {title} ({when})"
        case Kind.ORGANIZER_MESSAGE:
            subject = " ".join(message.broadcast.subject.split())
            return f"{subject} · {title}"
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


# One open SMTP connection per worker thread, reused from one message to the next: a
# fan-out to thousands of people otherwise spends most of its time saying EHLO and QUIT.
_open = threading.local()
REUSE_IDLE_SECONDS = 30


def deliver(mail: EmailMultiAlternatives) -> None:
    """Send one mail on this thread's open connection to the notifications mailer.

    A connection idle too long, configured differently, or not answering NOOP is replaced
    before the mail goes out; a failed send closes it and raises, so no mail is retried
    blindly here (the outbox decides about retries).
    """
    alias = settings.NOTIFICATIONS_MAILER
    config = repr(settings.MAILERS.get(alias))
    backend = getattr(_open, "backend", None)
    fresh = (
        backend is not None
        and _open.config == config
        and time.monotonic() - _open.used_at < REUSE_IDLE_SECONDS
        and _answers(backend)
    )
    if not fresh:
        _close_open_connection()
        backend = _open.backend = mailers[alias]
        _open.config = config
    try:
        # Opened here, send_messages leaves it open (it closes only what it opened itself).
        backend.open()
        backend.send_messages([mail])
    except BaseException:
        _close_open_connection()
        raise
    _open.used_at = time.monotonic()


def _answers(backend) -> bool:
    connection = getattr(backend, "connection", None)
    if connection is None:  # not an SMTP backend (locmem, console): nothing to check
        return True
    try:
        return connection.noop()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False


def _close_open_connection() -> None:
    backend = getattr(_open, "backend", None)
    _open.backend = None
    if backend is not None:
        with contextlib.suppress(smtplib.SMTPException, OSError):  # it is thrown away
            backend.close()


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
    if message.kind == Kind.DIGEST:
        context |= _digest_context(message)
        subject = _digest_subject(context["cities"], len(context["items"]))
    else:
        context |= _tweetup_context(message)
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
            # (see services.DUPLICATES_AFTER_CRASH) is one message to most mail clients.
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
        ics = invitation_ics(
            tweetup,
            recipient=recipient,
            address=address,
            method=method,
            partstat=context["partstat"],
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


def _tweetup_context(message: OutgoingMessage) -> dict:
    """What a mail about one tweetup shows, and the calendar file it carries, if any."""
    tweetup, recipient = message.tweetup, message.recipient
    rsvp_status = None
    if message.kind == Kind.CHANGE:  # sent to people going, maybe and waitlisted
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
        "location": _location(tweetup),
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
    }


def _calendar_method(kind: str, rsvp_status: str | None) -> tuple[str | None, str | None]:
    """(iTIP method, attendee PARTSTAT) of the .ics a mail carries; (None, None) for none.

    Confirmations and promotions go to people going (the send checks it). A change notice
    also reaches people who said maybe, whose calendar gets the event as tentative, and
    people on the waitlist, who get none: they have no seat yet.
    """
    if kind == Kind.CANCELLATION:
        return "CANCEL", None
    if kind in (Kind.CONFIRMATION, Kind.PROMOTION):
        return "REQUEST", RSVP_PARTSTAT[Rsvp.Status.GOING]
    if kind == Kind.CHANGE and rsvp_status in RSVP_PARTSTAT:
        return "REQUEST", RSVP_PARTSTAT[rsvp_status]
    return None, None


def _zone(tweetup: Tweetup) -> str:
    return f"{tweetup.city.name} time, {tweetup.city.timezone}"


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
            "location": _location(tweetup),
            "tweetup_url": site_url(tweetup.get_absolute_url()),
            "answer": DIGEST_ANSWERS.get(tweetup.answer, ""),
            "rsvp_links": rsvp_links(user_id=recipient.pk, tweetup_id=tweetup.pk),
        }
        for tweetup in tweetups
    ]
    cities = list(dict.fromkeys(item["tweetup"].city.name for item in items))
    return {
        "items": items,
        "cities": cities,
        "reason": f"You get this because you follow {_and(cities)} on Tweetups.",
    }
