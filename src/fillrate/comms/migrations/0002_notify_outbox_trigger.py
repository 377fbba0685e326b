"""The outbox trigger: every event row that tells a customer something (or
that a webhook subscribes to) queues its delivery in the statement that
inserts the event, so in the same transaction (DESIGN.md invariant 4).

PostgreSQL: one statement-level trigger with a transition table, so a
receipt that writes 12,500 events in one INSERT queues 12,500 emails in
one INSERT ... SELECT. SQLite (no statement triggers): row triggers.
The event types are spelt here as they are in `core.event_types` (a test
checks that each still exists: tests/comms/test_emails.py). Which email an
event becomes: BackorderOpened -> backorder_created,
BackorderExpectedDateChanged -> date_changed, BackorderAllocated that made
the backorder ready -> ready, BackorderFulfilled -> shipped (complete) or
partly_shipped, BackorderCancelled / BackorderLinesCancelled -> cancelled.
"""

from django.db import migrations

KIND = """CASE {e}.type
  WHEN 'BackorderOpened' THEN 'backorder_created'
  WHEN 'BackorderExpectedDateChanged' THEN 'date_changed'
  WHEN 'BackorderAllocated' THEN 'ready'
  WHEN 'BackorderFulfilled' THEN CASE WHEN {status} = 'complete' THEN 'shipped'
                                 ELSE 'partly_shipped' END
  ELSE 'cancelled' END"""
WANTED = """{e}.type IN ('BackorderOpened', 'BackorderExpectedDateChanged', 'BackorderAllocated',
  'BackorderFulfilled', 'BackorderCancelled', 'BackorderLinesCancelled')
  AND ({e}.type <> 'BackorderAllocated' OR {status} = 'ready')"""

PG_STATUS = "e.payload->>'status'"
POSTGRESQL = [
    f"""CREATE FUNCTION comms_queue_from_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO comms_notification (event_id, kind, subject, recipient, status, attempts,
                                  available_at, last_error, created_at)
  SELECT e.id, {KIND.format(e='e', status=PG_STATUS)}, e.subject, '', 'queued', 0,
         e.created_at, '', e.created_at
  FROM new_events e
  WHERE {WANTED.format(e='e', status=PG_STATUS)}
  ORDER BY e.id;
  INSERT INTO comms_webhookdelivery (webhook_id, event_id, status, attempts, available_at,
                                     last_error, created_at)
  SELECT t.webhook_id, e.id, 'queued', 0, e.created_at, '', e.created_at
  FROM new_events e
  JOIN comms_webhookeventtype t ON t.type = e.type
  JOIN comms_webhook w ON w.id = t.webhook_id AND w.deleted_at IS NULL
  ORDER BY e.id, t.webhook_id;
  RETURN NULL;
END $$""",
    """CREATE TRIGGER comms_queue_from_events AFTER INSERT ON core_event
REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT
EXECUTE FUNCTION comms_queue_from_events()""",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS comms_queue_from_events ON core_event",
    "DROP FUNCTION IF EXISTS comms_queue_from_events()",
]

SQLITE_STATUS = "json_extract(NEW.payload, '$.status')"
SQLITE = [
    f"""CREATE TRIGGER comms_notification_from_event AFTER INSERT ON core_event
WHEN {WANTED.format(e='NEW', status=SQLITE_STATUS)}
BEGIN
  INSERT INTO comms_notification (event_id, kind, subject, recipient, status, attempts,
                                  available_at, last_error, created_at)
  VALUES (NEW.id, {KIND.format(e='NEW', status=SQLITE_STATUS)}, NEW.subject, '', 'queued', 0,
          NEW.created_at, '', NEW.created_at);
END""",
    """CREATE TRIGGER comms_webhook_delivery_from_event AFTER INSERT ON core_event
BEGIN
  INSERT INTO comms_webhookdelivery (webhook_id, event_id, status, attempts, available_at,
                                     last_error, created_at)
  SELECT t.webhook_id, NEW.id, 'queued', 0, NEW.created_at, '', NEW.created_at
  FROM comms_webhookeventtype t
  JOIN comms_webhook w ON w.id = t.webhook_id AND w.deleted_at IS NULL
  WHERE t.type = NEW.type;
END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS comms_notification_from_event",
    "DROP TRIGGER IF EXISTS comms_webhook_delivery_from_event",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("comms", "0001_notify_outbox"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
