"""Template context for every page: whether to offer "See who you follow" (base.html, in a
personal hole of the frame)."""

from accounts.network import NETWORK_OFFER_SESSION_KEY


def network_offer(request) -> dict:
    # Signed-in only; never on the page that is the offer itself. Reads the session, which a
    # signed-in request has loaded already: no query.
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"network_offer": False}
    match = request.resolver_match
    if match is not None and match.view_name == "accounts:network":
        return {"network_offer": False}
    return {"network_offer": bool(request.session.get(NETWORK_OFFER_SESSION_KEY))}
