from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe


def safe_next(request, default: str = "/") -> str:
    """The `next` parameter if it stays on this site, else `default`."""
    candidate = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


@require_safe
def sign_in(request):
    """The only way in: a button that POSTs to the X provider, carrying `next`."""
    next_url = safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url)
    return render(request, "account/login.html", {"next": next_url})
