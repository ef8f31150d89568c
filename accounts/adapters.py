import logging

from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.base.constants import AuthError
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import User
from accounts.network import (
    NETWORK_OFFER_SESSION_KEY,
    NETWORK_SCOPE,
    network_consent_grant,
    network_offer_due,
)
from accounts.services import user_update_from_x
from accounts.tasks import read_follows

logger = logging.getLogger(__name__)

LOGGED_IN_MESSAGE = "account/messages/logged_in.txt"
OPT_IN_FLAG = "_x_network_opt_in"  # set on the request that keeps a network consent


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as allauth's rate limits see it (django-axes uses it too)."""
    try:
        return get_adapter().get_client_ip(request)
    except PermissionDenied:  # no address at all, e.g. the test client's force_login()
        return None


class AccountAdapter(DefaultAccountAdapter):
    def login(self, request, user):
        super().login(request, user)
        # "See who you follow" is offered once signed in (a banner until they choose), unless
        # they said "Not now" before or already agreed.
        if network_offer_due(user=user):
            request.session[NETWORK_OFFER_SESSION_KEY] = True

    def add_message(self, request, level, message_template=None, *args, **kwargs):
        # The "See who you follow" opt-in goes through X's sign-in once more: the person is
        # already signed in, so it says "Thanks" for the opt-in, not "Signed in as".
        if message_template == LOGGED_IN_MESSAGE and getattr(request, OPT_IN_FLAG, False):
            return
        super().add_message(request, level, message_template, *args, **kwargs)

    def is_open_for_signup(self, request):
        # No local sign-up form: the only way in is X.
        return False

    def is_safe_url(self, url):
        # allauth parses `next` with urlparse, which raises on a broken IPv6 host such as
        # "http://[2001:db8::1/"; that is an unsafe URL, not a server error.
        try:
            return super().is_safe_url(url)
        except ValueError:
            return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        return True

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        return user_update_from_x(user=user, profile=sociallogin.account.extra_data)

    def pre_social_login(self, request, sociallogin):
        if sociallogin.state.get("process") == AuthProcess.CONNECT:
            self._refuse_connect(request, sociallogin)
        if not sociallogin.is_existing:
            # The X id is the identity: a user we already hold for it (imported, or whose
            # social account row was lost) signs in as that user instead of failing on x_id.
            known = User.objects.filter(x_id=sociallogin.account.uid).first()
            if known is not None:
                sociallogin.connect(request, known)
        # A returning user: refresh handle, name and avatar from the profile X just sent.
        if sociallogin.is_existing:
            user_update_from_x(user=sociallogin.user, profile=sociallogin.account.extra_data)
        if (sociallogin.state.get("data") or {}).get("x_network"):
            self._keep_network_consent(request, sociallogin)

    def _keep_network_consent(self, request, sociallogin):
        # The "See who you follow" opt-in: keep the tokens (encrypted) only for the person
        # who asked, signed in with this very X account, and only if X granted follows.read.
        token = sociallogin.token
        back = HttpResponseRedirect(reverse("accounts:network"))
        if not (
            sociallogin.is_existing
            and request.user.is_authenticated
            and sociallogin.user.pk == request.user.pk
        ):
            messages.warning(
                request,
                "To see who you follow, authorize the X account you signed in with.",
            )
            raise ImmediateHttpResponse(back)
        if token is None or NETWORK_SCOPE not in getattr(token, "granted_scopes", ()):
            messages.warning(
                request,
                "X did not give permission to read who you follow, so nothing was read.",
            )
            raise ImmediateHttpResponse(back)
        network_consent_grant(
            user=request.user,
            access_token=token.token,
            refresh_token=token.token_secret,
            expires_at=token.expires_at,
        )
        read_follows.delay_on_commit(request.user.pk)
        request.session.pop(NETWORK_OFFER_SESSION_KEY, None)
        setattr(request, OPT_IN_FLAG, True)
        messages.success(
            request, "Thanks. We are reading who you follow on X; it takes a minute or so."
        )

    def _refuse_connect(self, request, sociallogin):
        # One site account, one X account: the X id is the identity (User.x_id), so a
        # second X account attached through allauth's ?process=connect would make two X
        # accounts sign in as one person, and flip x_id to whichever was used last.
        handle = sociallogin.account.extra_data.get("username", "")
        mine = getattr(request.user, "x_username", "")
        if sociallogin.account.uid == getattr(request.user, "x_id", None):
            text = f"@{handle} is already the X account you sign in with."
        else:
            text = (
                f"Your Tweetups account stays with @{mine}: one X account per person. "
                f"To use @{handle}, sign out and sign in with it instead."
                if mine
                else f"To use @{handle}, sign in with it."
            )
        messages.warning(request, text)
        # allauth checked `next` when the sign-in started; keep it a path all the same.
        next_url = sociallogin.state.get("next") or "/"
        if not (
            next_url.startswith("/")
            and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()})
        ):
            next_url = "/"
        raise ImmediateHttpResponse(HttpResponseRedirect(next_url))

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ):
        # The template tells the person what happened; the log keeps only the exception's
        # class, since messages can quote X's response.
        if extra_context is not None:
            stale = (
                exception is None and "state_id" in extra_context and not extra_context.get("state")
            )
            extra_context["x_failure"] = "expired" if stale else "failed"
        if error != AuthError.CANCELLED:
            logger.warning(
                "Sign in with X failed: error=%s exception=%s",
                error,
                type(exception).__name__ if exception else None,
            )
