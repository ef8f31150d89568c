"""The X provider, pointed at settings.X_AUTHORIZE_URL / X_API_BASE_URL.

allauth's twitter_oauth2 adapter hard-codes x.com; SOCIALACCOUNT_PROVIDERS names this
subclass as its provider_class, so the provider id stays `twitter_oauth2`.
"""

from allauth.socialaccount.providers.twitter_oauth2.provider import TwitterOAuth2Provider

from accounts.x.views import XOAuth2Adapter


class XProvider(TwitterOAuth2Provider):
    oauth2_adapter_class = XOAuth2Adapter


provider_classes = [XProvider]
