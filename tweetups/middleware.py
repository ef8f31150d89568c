"""Site-wide response rules."""

from django.utils.cache import patch_cache_control


def private_by_default(get_response):
    """A response that didn't say it may be shared is for its reader only: signed-in pages,
    forms with a CSRF token, messages. Only `page_cache.for_visitors` marks pages public."""

    def middleware(request):
        response = get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_cache=True)
        return response

    return middleware
