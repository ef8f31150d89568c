"""Subscribable feeds of tweetups: iCalendar (per city, and a private one per person) and
Atom (per city), cheap to poll: a fixed number of queries and conditional GETs."""
