from datetime import timedelta

from allauth.account import views as allauth_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.models import FollowedXId, XNetworkConsent
from accounts.network import (
    NETWORK_OFFER_SESSION_KEY,
    NETWORK_SCOPE,
    network_disconnect,
    network_offer_decline,
)
from accounts.tasks import read_follows
from tweetups import ratelimit
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


@require_safe
@login_required
@never_cache
def network(request):
    """ "See who you follow": what is read from X and why, and the switch to start or stop it."""
    consent = XNetworkConsent.objects.filter(user=request.user).first()
    return render(
        request,
        "account/network.html",
        {
            "consent": consent,
            "followed_count": FollowedXId.objects.filter(user=request.user).count(),
            # "read 0 minutes ago" reads oddly.
            "read_just_now": bool(
                consent
                and consent.last_read_at
                and timezone.now() - consent.last_read_at < timedelta(minutes=1)
            ),
            "max_follows": settings.NETWORK_MAX_FOLLOWS_READ,
            "refresh_days": settings.NETWORK_REFRESH_DAYS,
            "authorize_url": reverse("twitter_oauth2_login") + f"?scope={NETWORK_SCOPE}",
        },
    )


@require_POST
@login_required
def network_disconnect_view(request):
    network_disconnect(user=request.user)
    messages.success(request, "Disconnected. We deleted who you follow and our access to X.")
    return redirect("accounts:network")


@require_POST
@login_required
def network_offer_decline_view(request):
    """ "Not now" on the "See who you follow" offer: gone now, and not made at sign-in again."""
    network_offer_decline(user=request.user)
    request.session.pop(NETWORK_OFFER_SESSION_KEY, None)
    messages.info(request, "No problem. You can turn it on any time from your account menu.")
    return redirect_next(request)


@require_POST
@login_required
def network_refresh(request):
    """ "Refresh now": a read sooner than NETWORK_REFRESH_DAYS, a few times an hour at most."""
    if not XNetworkConsent.objects.filter(user=request.user).exists():
        return redirect("accounts:network")
    allowed = ratelimit.hit(
        scope="x-network-refresh",
        key=str(request.user.pk),
        limit=settings.NETWORK_REFRESH_NOW_LIMIT,
        window_seconds=settings.NETWORK_REFRESH_NOW_WINDOW_SECONDS,
    )
    if not allowed:
        messages.warning(request, "You refreshed a few times already; try again in an hour.")
    else:
        read_follows.delay_on_commit(request.user.pk, force=True)
        messages.success(request, "We are reading who you follow on X again.")
    return redirect("accounts:network")
