"""A tweetup's card image (Open Graph / X card)."""

from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from events.cards import CardFacts
from events.sharing import tweetup_card
from events.views.lookups import tweetup_or_404

# The page links the card with ?v=<digest>: that address never changes its picture, so it
# may be kept long. Without it (or with an old one), caches ask again after a few minutes.
CARD_MAX_AGE_VERSIONED = 7 * 24 * 3600
CARD_MAX_AGE = 300


@require_safe
def tweetup_card_png(request, slug):
    tweetup = tweetup_or_404(slug)
    facts = CardFacts.of(tweetup)
    digest = facts.digest
    etag = f'"{digest}"'
    max_age = CARD_MAX_AGE_VERSIONED if request.GET.get("v") == digest else CARD_MAX_AGE
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(tweetup_card(tweetup, facts), content_type="image/png")
    for name, value in headers.items():
        response[name] = value
    return response
