from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter

from accounts.services import user_update_from_x


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # No local sign-up form: the only way in is X.
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        return True

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        return user_update_from_x(user=user, profile=sociallogin.account.extra_data)

    def pre_social_login(self, request, sociallogin):
        # A returning user: refresh handle, name and avatar from the profile X just sent.
        if sociallogin.is_existing:
            user_update_from_x(user=sociallogin.user, profile=sociallogin.account.extra_data)
