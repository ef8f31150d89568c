from django import template

from notifications.models import CityFollow, followed_cities_cache_key
from tweetups.page_frames import read_ahead

register = template.Library()


@register.simple_tag(takes_context=True)
def follows_city(context, city) -> bool:
    """Whether the signed-in person follows `city` (cached; nothing to read when signed out)."""
    request = context["request"]
    if not request.user.is_authenticated:
        return False
    known = read_ahead(request, followed_cities_cache_key(request.user.pk))
    return city.pk in CityFollow.objects.city_ids_of(request.user.pk, known=known)
