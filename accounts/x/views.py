from allauth.socialaccount.providers.base import ProviderException
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.twitter_oauth2.views import TwitterOAuth2Adapter
from django.conf import settings
from django.shortcuts import render

from accounts.adapters import client_ip
from accounts.x.formats import X_ID_RE, X_USERNAME_RE
from tweetups import ratelimit


def profile_problem(profile: object) -> str | None:
    """Why `profile` is not a usable X user object, or None when it is."""
    if not isinstance(profile, dict):
        return "the profile is not an object"
    if not isinstance(profile.get("id"), str) or not X_ID_RE.match(profile["id"]):
        return "the profile has no valid id"
    if not isinstance(profile.get("username"), str) or not X_USERNAME_RE.match(profile["username"]):
        return "the profile has no valid username"
    if not isinstance(profile.get("name"), str):
        return "the profile has no name"
    if not isinstance(profile.get("profile_image_url", ""), str):
        return "the profile image URL is not a string"
    return None


class XOAuth2Adapter(TwitterOAuth2Adapter):
    """allauth's X adapter, pointed at settings and strict about what X sends back.

    allauth turns OAuth2Error, ProviderException and requests' errors into its
    authentication error page; anything else would be a 500. So X's answers are checked
    here and a malformed one raises one of those.
    """

    @property
    def authorize_url(self):
        return settings.X_AUTHORIZE_URL

    @property
    def access_token_url(self):
        return f"{settings.X_API_BASE_URL}/2/oauth2/token"

    @property
    def profile_url(self):
        return f"{settings.X_API_BASE_URL}/2/users/me"

    def parse_token(self, data):
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            raise OAuth2Error("X sent a token response without an access token")
        try:
            token = super().parse_token(data)
        except (TypeError, ValueError) as exc:  # e.g. "expires_in": "soon"
            raise OAuth2Error("X sent a token response we could not read") from exc
        # What the person granted (they may have unticked a scope): the opt-in checks it.
        scope = data.get("scope")
        token.granted_scopes = frozenset(scope.split()) if isinstance(scope, str) else frozenset()
        return token

    def get_user_info(self, token):
        try:
            profile = super().get_user_info(token)
        except (KeyError, TypeError) as exc:  # a JSON body without {"data": {...}}
            raise ProviderException("X sent a profile response without data") from exc
        problem = profile_problem(profile)
        if problem:
            raise ProviderException(f"X sent an unusable profile: {problem}")
        return profile


_oauth2_login = OAuth2LoginView.adapter_view(XOAuth2Adapter)


def oauth2_login(request, *args, **kwargs):
    # allauth starts the sign-in (writing its state to the session) on anything but GET:
    # a HEAD, as link checkers send, must show the confirm page like a GET instead.
    if request.method == "HEAD":
        request.method = "GET"
    if request.method != "GET" and not _may_start_sign_in(request):
        response = render(request, "429.html", status=429)
        response["Retry-After"] = str(settings.SIGN_IN_RATE_WINDOW_SECONDS)
        return response
    return _oauth2_login(request, *args, **kwargs)


def _may_start_sign_in(request) -> bool:
    # Each start writes its state into a new session row: bound them per client address.
    # allauth 65 rate-limits its password login but not a provider's login start; and our
    # shared limiter, unlike allauth's, lets people in when Redis is away.
    return ratelimit.hit(
        scope="x-sign-in",
        key=client_ip(request) or "unknown",
        limit=settings.SIGN_IN_RATE_LIMIT,
        window_seconds=settings.SIGN_IN_RATE_WINDOW_SECONDS,
    )


oauth2_callback = OAuth2CallbackView.adapter_view(XOAuth2Adapter)
