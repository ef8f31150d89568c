"""Hashtag sync: each active tweetup's hashtag read from X's recent search onto its wall.

How it works and which module holds what: docs/sync.md. Import from the submodules.
"""
