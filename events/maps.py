"""What the maps need from settings: the tile server (its host is in the CSP's img-src)."""

from django.conf import settings


def map_tiles() -> dict[str, str]:
    """The tile URL template and its attribution, for a map's data- attributes."""
    return {
        "url": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "attribution_url": settings.MAP_TILE_ATTRIBUTION_URL,
    }
