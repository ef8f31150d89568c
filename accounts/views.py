from allauth.account import views as allauth_views
from django.shortcuts import render
from django.views.decorators.http import require_safe

from tweetups.redirects import redirect_next, safe_next


@require_safe
def sign_in(request):
    """The only way in: a button that POSTs to the X provider, carrying `next`."""
    if request.user.is_authenticated:
        return redirect_next(request)
    return render(request, "account/login.html", {"next": safe_next(request)})


class ConfirmEmailView(allauth_views.ConfirmEmailView):
    """allauth's email confirmation, minus signing out whoever opens someone else's link.

    allauth signs the current user out when the link belongs to another account, on GET
    too: anyone could sign a person out by sending them a link. The page names the
    account the address belongs to, and confirming it changes no one's session.
    """

    def logout_other_user(self, confirmation) -> None:
        pass


confirm_email = ConfirmEmailView.as_view()
