from django.shortcuts import render
from django.views.decorators.http import require_safe

from tweetups.redirects import redirect_next, safe_next


@require_safe
def sign_in(request):
    """The only way in: a button that POSTs to the X provider, carrying `next`."""
    if request.user.is_authenticated:
        return redirect_next(request)
    return render(request, "account/login.html", {"next": safe_next(request)})
