"""The site's URLs plus a bare view: the floor any page's throughput is compared with."""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

from tweetups import urls as site_urls


@require_GET
def bare(request):
    return HttpResponse("ok")


urlpatterns = [
    path("_bench/bare/", bare, name="bench_bare"),
    path("", include(site_urls)),
]

handler403 = site_urls.handler403
handler404 = site_urls.handler404
handler500 = site_urls.handler500
