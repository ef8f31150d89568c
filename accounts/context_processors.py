"""Template context for every page: whether to offer "See who you follow" (base.html, in a
personal hole of the frame)."""

from accounts.models import XNetworkConsent
from accounts.network import NETWORK_OFFER_SESSION_KEY


def network_offer(request) -> dict:
    # Signed-in only; never on the page that is the offer itself. Reads the session, which a
    # signed-in request has loaded already: no query unless the offer is on.
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"network_offer": False}
    match = request.resolver_match
    if match is not None and match.view_name == "accounts:network":
        return {"network_offer": False}
    if not request.session.get(NETWORK_OFFER_SESSION_KEY):
        return {"network_offer": False}
    # Offered at this sign-in, but they may have agreed since in another browser: the
    # cached answer listings use anyway (a query only when the cache doesn't know).
    return {"network_offer": not XNetworkConsent.objects.granted_by(user.pk)}
