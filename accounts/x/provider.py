"""The X provider, pointed at settings.X_AUTHORIZE_URL / X_API_BASE_URL.

allauth's twitter_oauth2 adapter hard-codes x.com; SOCIALACCOUNT_PROVIDERS names this
subclass as its provider_class, so the provider id stays `twitter_oauth2`.
"""

from allauth.socialaccount.providers.twitter_oauth2.provider import TwitterOAuth2Provider

from accounts.network import NETWORK_SCOPE
from accounts.x.views import XOAuth2Adapter


class XProvider(TwitterOAuth2Provider):
    oauth2_adapter_class = XOAuth2Adapter

    def get_redirect_from_request_kwargs(self, request):
        # The "See who you follow" button asks for follows.read with ?scope=follows.read
        # (allauth adds it to the configured scopes); the state remembers it was the opt-in,
        # so the callback keeps the tokens only then.
        kwargs = super().get_redirect_from_request_kwargs(request)
        if NETWORK_SCOPE in kwargs["scope"]:
            kwargs["scope"] = list(dict.fromkeys(kwargs["scope"]))
            kwargs["data"] = {"x_network": True}
        return kwargs


provider_classes = [XProvider]
