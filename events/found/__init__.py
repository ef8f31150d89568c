"""Tweetups found in posts: once a day, recent posts of each active city searched for
tweetup talk, and drafts suggested to their authors (docs/found.md)."""
