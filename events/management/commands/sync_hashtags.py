"""Run one hashtag sync cycle in the foreground: `manage.py sync_hashtags [--tweetup SLUG]`."""

from django.core.management.base import BaseCommand, CommandError

from events.models import Tweetup
from events.sync.cycle import run_sync_cycle
from events.sync.errors import XTransientError


class Command(BaseCommand):
    help = (
        "Read the hashtags of the tweetups due for a sync from X now, printing a line per "
        "query. With --tweetup, just that tweetup, due or not."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tweetup", metavar="SLUG", help="Sync only this tweetup, now.")

    def handle(self, *args, tweetup=None, verbosity=1, **options):
        only = None
        if tweetup:
            found = Tweetup.objects.filter(slug=tweetup).first()
            if found is None:
                raise CommandError(f"No tweetup with the slug {tweetup!r}.")
            only = [found.pk]

        def progress(line: str) -> None:
            if verbosity:
                self.stdout.write(line)

        try:
            report = run_sync_cycle(tweetup_ids=only, force=bool(only), progress=progress)
        except XTransientError as exc:
            raise CommandError(f"{exc}; nothing more was read this time.") from exc
        if verbosity:
            # What was stored counts, even from a read that X stopped half-way.
            self.stdout.write(
                f"{report.due} tweetup(s) due, {len(report.synced)} synced, "
                f"{report.requests} request(s), {report.posts_read} post(s) read "
                f"({report.posts_billed} billed by X), {report.links_added} new on walls."
            )
        if report.held_back:
            self.stderr.write(
                f"{len(report.held_back)} tweetup(s) held back to share the post budget; "
                "their organizer's panel says until when."
            )
        if report.failing:
            self.stderr.write(
                f"X refused the search for {len(report.failing)} tweetup(s); they are tried "
                "again soon."
            )
        if report.carried_over:
            self.stderr.write(
                f"The cycle's time ran out: {len(report.carried_over)} tweetup(s) are left for "
                "the next cycle."
            )
        if report.bad_data:
            self.stderr.write(
                f"{len(report.bad_data)} tweetup(s) have data the sync can't work with and were "
                "left out; their organizer's panel says why."
            )
        if report.rate_limited_until:
            self.stderr.write(
                f"X rate limit reached; try again after {report.rate_limited_until:%H:%M} UTC."
            )
        if report.auth_failed:
            raise CommandError("X refused the app's credentials: check X_BEARER_TOKEN.")
        if report.budget_exhausted:
            self.stderr.write("This month's post-read budget is used up.")
