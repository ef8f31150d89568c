"""Run the daily search for tweetup talk in the foreground: `manage.py find_tweetups`."""

from django.core.management.base import BaseCommand

from events.found.scan import tweetups_find


class Command(BaseCommand):
    help = (
        "Search the recent posts of today's active cities not yet searched today for tweetup "
        "talk, and suggest drafts to their authors. Each city is searched once a UTC day."
    )

    def handle(self, *args, verbosity=1, **options):
        report = tweetups_find()
        if verbosity:
            self.stdout.write(
                f"{report.cities} city(ies) searched in {report.queries} query(ies): "
                f"{report.requests} request(s), {report.posts_read} post(s) read, "
                f"{report.drafts_created} new draft(s)."
                + (f" Stopped: {report.stopped}" if report.stopped else "")
            )
