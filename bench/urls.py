"""The site's URLs plus a bare view: the floor any page's throughput is compared with."""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

from tweetups import urls as site_urls


@require_GET
def bare(request):
    return HttpResponse("ok")


@require_GET
def bare_signed_in(request):
    """What every page for a signed-in person pays first: the session and the user."""
    return HttpResponse(f"ok {request.user.pk}")


urlpatterns = [
    path("_bench/bare/", bare, name="bench_bare"),
    path("_bench/bare-signed-in/", bare_signed_in, name="bench_bare_signed_in"),
    path("", include(site_urls)),
]

handler400 = site_urls.handler400
handler403 = site_urls.handler403
handler404 = site_urls.handler404
handler500 = site_urls.handler500
