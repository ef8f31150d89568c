"""Your network: upcoming tweetups anywhere where people you follow on X are going."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from accounts.models import XNetworkConsent
from events.network import network_faces, network_tweetups
from events.pagination import page_of


@require_safe
@login_required
def network_page(request):
    """Soonest first, each with the faces and handles of whom you follow that are going.
    A fixed number of queries whatever the graph: the consent, a page of tweetups (with
    their counts), and the faces of that page."""
    me = request.user
    consent = XNetworkConsent.objects.filter(user=me).first()
    page = None
    if consent is not None:
        per_page = settings.TWEETUPS_PER_PAGE
        page = page_of(network_tweetups(me), number=request.GET.get("page"), per_page=per_page)
        faces = network_faces(me, [tweetup.pk for tweetup in page.object_list])
        for tweetup in page.object_list:
            tweetup.network_people = faces.get(tweetup.pk, [])
            tweetup.network_more = tweetup.network_count - len(tweetup.network_people)
    context = {
        "consent": consent,
        "page": page,
        "query": {},
        "opt_in_url": reverse("accounts:network"),
    }
    return render(request, "events/network.html", context)
