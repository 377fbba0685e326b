# The choice links, communications and substitutions (issue 15) and the
# reports' indexes and backlog totals (issue 16) were made side by side;
# neither depends on the other.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("backorders", "0008_choice_comms_substitutions"),
        ("backorders", "0008_reports_backlog_totals"),
    ]
    operations = []
