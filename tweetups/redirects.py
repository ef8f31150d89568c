"""Where to send someone after an action: only ever a path on this site."""

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default: str = "/") -> str:
    """The `next` parameter if it is a path on this site, else `default`.

    Only paths: `redirect()` would read a bare word such as "account_logout" as a URL name.
    """
    candidate = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
    if (
        candidate
        and candidate.startswith("/")
        and "\x00" not in candidate
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return default


def redirect_next(request, default: str = "/") -> HttpResponseRedirect:
    return HttpResponseRedirect(safe_next(request, default))
