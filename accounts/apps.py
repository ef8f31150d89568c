from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from accounts.models import network_consent_cache_key
        from tweetups.page_frames import PERSONAL_KEYS

        PERSONAL_KEYS["x_network"] = network_consent_cache_key  # whether they opted in
