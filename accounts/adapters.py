import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base.constants import AuthError

from accounts.models import User
from accounts.services import user_update_from_x

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
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
        if not sociallogin.is_existing:
            # The X id is the identity: a user we already hold for it (imported, or whose
            # social account row was lost) signs in as that user instead of failing on x_id.
            known = User.objects.filter(x_id=sociallogin.account.uid).first()
            if known is not None:
                sociallogin.connect(request, known)
        # A returning user: refresh handle, name and avatar from the profile X just sent.
        if sociallogin.is_existing:
            user_update_from_x(user=sociallogin.user, profile=sociallogin.account.extra_data)

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
