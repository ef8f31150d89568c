"""The URLconf: the busiest pages' patterns come first (tweetups/urls.py), so no pattern
may answer for a URL that another pattern names."""

from django.urls import get_resolver, resolve

from tests.test_security import concrete, walk
from tweetups import views as site_views

VALUES = {"slug": "some-slug", "x_id": "99", "token": "some:token", "pk": "1", "id": "1"}


# The site's own sign-in and email confirmation, in place of allauth's.
OVERRIDES = {"account_login", "account_confirm_email"}


def test_every_named_url_resolves_to_its_own_pattern():
    checked = 0
    for name, route in walk(get_resolver()):
        if name.startswith("admin:") or name.endswith(":None") or name == "None":
            continue
        if (url := concrete(route, VALUES)) is None:
            continue
        match = resolve(url)
        if match.func == site_views.page_not_found or match.url_name in OVERRIDES:
            continue  # allauth's, answered on purpose by the site (tweetups/urls.py)
        assert match.route == route, f"{url} ({name}) is answered by {match.route}"
        checked += 1
    assert checked > 40  # the walk found the site
