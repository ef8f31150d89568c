"""events' signals, turned into notices. Connected in NotificationsConfig.ready().

events.services and events.rsvps send each inside the transaction of its change, so the
outbox rows these write commit (or roll back) with it.
"""

from django.dispatch import receiver

from events import signals
from notifications import notices


@receiver(signals.tweetup_created, dispatch_uid="notifications.tweetup_created")
def _tweetup_created(sender, *, tweetup, **kwargs):
    notices.notices_for_new_tweetup(tweetup=tweetup)


@receiver(signals.tweetup_changing, dispatch_uid="notifications.tweetup_changing")
def _tweetup_changing(sender, *, tweetup, **kwargs):
    notices.notices_for_tweetup_change(tweetup=tweetup)


@receiver(signals.tweetup_cancelled, dispatch_uid="notifications.tweetup_cancelled")
def _tweetup_cancelled(sender, *, tweetup, **kwargs):
    notices.notices_for_cancellation(tweetup=tweetup)


@receiver(signals.rsvp_changed, dispatch_uid="notifications.rsvp_changed")
def _rsvp_changed(sender, *, tweetup, rsvp, **kwargs):
    notices.notices_for_rsvp(tweetup=tweetup, rsvp=rsvp)


@receiver(signals.waitlist_promoted, dispatch_uid="notifications.waitlist_promoted")
def _waitlist_promoted(sender, *, tweetup, rsvps, **kwargs):
    notices.notices_for_promotion(tweetup=tweetup, rsvps=rsvps)
