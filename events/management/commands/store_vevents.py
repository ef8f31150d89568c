"""Keep every tweetup's calendar text again: `manage.py store_vevents`."""

from django.core.management.base import BaseCommand

from events.calendar_feeds import store_all_vevents


class Command(BaseCommand):
    help = (
        "Write every tweetup's VEVENT, as its calendar feeds show it, into the database "
        "(TweetupVevent), a thousand at a time. Run it after upgrading icalendar or changing "
        "events.calendar.VEVENT_FORMAT: until then feeds with nothing cached write each "
        "event themselves, correct but slower."
    )

    def handle(self, *args, verbosity=1, **options):
        stored = store_all_vevents()
        if verbosity:
            self.stdout.write(f"Kept the calendar text of {stored} tweetup(s).")
