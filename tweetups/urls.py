from django.contrib import admin
from django.urls import include, path, re_path

from accounts import views as account_views
from tweetups import views as site_views

urlpatterns = [
    # First: the pages most requests are for, so resolving them tries the fewest patterns.
    # No pattern of events.urls overlaps another app's.
    path("", include("events.urls")),
    path("readyz", site_views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", account_views.sign_in, name="account_login"),
    # allauth's account URLs are on for email management; the site has no passwords and
    # no sign-up of its own, so these answer 404 before allauth sees them. So does the
    # list of connected accounts (3rdparty/): one X account per person, nothing to manage.
    re_path(
        r"^accounts/(?:signup|password|reauthenticate|login/code|3rdparty/$)",
        site_views.page_not_found,
    ),
    # A link never signs anyone out: not allauth's view, which does on GET.
    re_path(
        r"^accounts/confirm-email/(?P<key>[-:\w]+)/$",
        account_views.confirm_email,
        name="account_confirm_email",
    ),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("notifications.urls")),
    path("", include("feeds.urls")),
]

handler400 = "tweetups.views.bad_request"
handler403 = "tweetups.views.permission_denied"
handler404 = "tweetups.views.page_not_found"
handler500 = "tweetups.views.server_error"
