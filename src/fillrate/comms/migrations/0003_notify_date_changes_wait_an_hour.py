"""An expected-date change is due an hour after it happened (`available_at`),
so later changes of the same backorder within that hour merge into it
(`comms.worker`) and the worker's claim never walks past waiting ones.
The trigger of 0002 otherwise unchanged."""

import importlib

from django.db import migrations

previous = importlib.import_module("fillrate.comms.migrations.0002_notify_outbox_trigger")

DUE = """CASE WHEN {e}.type = 'BackorderExpectedDateChanged'
  THEN {later} ELSE {e}.created_at END"""


def _statements(vendor: str, due: str) -> list[str]:
    if vendor == "postgresql":
        function = previous.POSTGRESQL[0].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
        old = """SELECT e.id, {kind}, e.subject, '', 'queued', 0,
         e.created_at, '', e.created_at""".format(
            kind=previous.KIND.format(e="e", status=previous.PG_STATUS))
        assert old in function
        return [function.replace(old, old.replace(
            "0,\n         e.created_at,", f"0,\n         {due.format(e='e', later=PG_LATER)},"))]
    if vendor == "sqlite":
        trigger = previous.SQLITE[0]
        old = "'queued', 0,\n          NEW.created_at,"
        assert old in trigger
        return ["DROP TRIGGER IF EXISTS comms_notification_from_event",
                trigger.replace(old, f"'queued', 0,\n          "
                                f"{due.format(e='NEW', later=SQLITE_LATER)},")]
    return []


PG_LATER = "e.created_at + interval '1 hour'"
# Django keeps SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' text.
SQLITE_LATER = "strftime('%Y-%m-%d %H:%M:%f000', NEW.created_at, '+1 hour')"


def forward(apps, schema_editor):
    for statement in _statements(schema_editor.connection.vendor, DUE):
        schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            previous.POSTGRESQL[0].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"),
            params=None)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS comms_notification_from_event",
                              params=None)
        schema_editor.execute(previous.SQLITE[0], params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("comms", "0002_notify_outbox_trigger"),
    ]

    operations = [migrations.RunPython(forward, backward)]
