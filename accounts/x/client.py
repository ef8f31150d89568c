"""tweepy's real Client speaking for one person with their OAuth 2.0 user token, pointed at
X_API_BASE_URL like the sync's (tweetups/x_api.py)."""

import tweepy

from tweetups.x_api import tweepy_client


def user_client(access_token: str) -> tweepy.Client:
    """Close `client.session` when done."""
    return tweepy_client(access_token)
