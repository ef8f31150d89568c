from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Email notifications"

    def ready(self):
        from notifications import receivers  # noqa: F401  connects the receivers
        from notifications.models import followed_cities_cache_key
        from tweetups.page_frames import PERSONAL_KEYS

        PERSONAL_KEYS["followed_cities"] = followed_cities_cache_key  # the Follow buttons
