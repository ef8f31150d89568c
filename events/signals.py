"""What happens to tweetups and RSVPs, for other apps to act on (notifications mails it).

Each is sent by events/services.py inside the transaction of the change, and Django's
Signal.send calls the receivers right there: what they write commits or rolls back with
the change itself, and an error in one undoes the change. events imports no other app;
the apps that care connect receivers here.
"""

from django.dispatch import Signal

# A tweetup was created (kwargs: tweetup).
tweetup_created = Signal()
# A tweetup is about to be saved with new details (kwargs: tweetup, holding the new values
# and the new revision). Sent before the save, with the row locked: the database still
# holds the old values, to compare with.
tweetup_changing = Signal()
# A tweetup was cancelled (kwargs: tweetup).
tweetup_cancelled = Signal()
# Someone's RSVP was saved (kwargs: tweetup, rsvp).
rsvp_changed = Signal()
# People moved off the waitlist to going (kwargs: tweetup, rsvps; maybe an empty list).
waitlist_promoted = Signal()
