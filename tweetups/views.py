from django.shortcuts import render
from django.urls import NoReverseMatch
from django.views import csrf


def bad_request(request, exception=None):
    # Not Django's default, which is wrapped in requires_csrf_token: that runs the CSRF check
    # again, and reads the body that just failed to parse (a form POST in UTF-16), so a 500.
    return render(request, "errors/400.html", status=400)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the form was sent without its token (usually a lost cookie)."""
    try:
        return render(request, "errors/403_csrf.html", status=403)
    except NoReverseMatch:  # served under a URLconf without the site's pages (a test's own)
        return csrf.csrf_failure(request, reason)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    return render(request, "errors/500.html", status=500)
