"""A fresh install gets warehouse MAIN with a receiving, a pick and an issues
location, so stock can be adjusted and received before anyone sets up
places. A database that has a warehouse already (an upgrade, the demo) is
left as it is. Rename them, add locations or deactivate these on the
*Locations* page or with the API."""

from django.db import migrations

DEFAULT_WAREHOUSE = ("MAIN", "Main warehouse")
# code, name, kind, pick sequence: pick first on the pick path, the receiving
# dock near the end, the issues wall last.
DEFAULT_LOCATIONS = [
    ("PICK", "Pick shelves", "pick", 10),
    ("RECV", "Receiving dock", "receiving", 900),
    ("ISSUES", "Issues wall", "issues", 999),
]


def create_default_warehouse(apps, schema_editor):
    Warehouse = apps.get_model("inventory", "Warehouse")
    Location = apps.get_model("inventory", "Location")
    db = schema_editor.connection.alias
    if Warehouse.objects.using(db).exists():
        return
    code, name = DEFAULT_WAREHOUSE
    warehouse = Warehouse.objects.using(db).create(code=code, name=name)
    Location.objects.using(db).bulk_create([
        Location(warehouse=warehouse, code=code, name=name, kind=kind, pick_sequence=seq)
        for code, name, kind, seq in DEFAULT_LOCATIONS
    ])


class Migration(migrations.Migration):

    dependencies = [
        ("inventory", "0002_location_name_zone_active"),
    ]

    operations = [
        migrations.RunPython(create_default_warehouse, migrations.RunPython.noop),
    ]
