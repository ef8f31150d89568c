from django import template

from notifications.models import CityFollow

register = template.Library()


@register.simple_tag(takes_context=True)
def follows_city(context, city) -> bool:
    """Whether the signed-in person follows `city` (cached; nothing to read when signed out)."""
    user = context["request"].user
    return user.is_authenticated and city.pk in CityFollow.objects.city_ids_of(user.pk)
