"""Default SLA policies of kpis.md "Support" (editable in the admin)."""

from django.db import migrations

DEFAULTS = [
    # priority, respond minutes, resolve minutes, calendar
    ("P1", 60, 4 * 60, "24x7"),
    ("P2", 4 * 60, 8 * 60, "business"),
    ("P3", 8 * 60, 24 * 60, "business"),
    ("P4", 16 * 60, 80 * 60, "business"),
]


def create_policies(apps, schema_editor):
    SlaPolicy = apps.get_model("support", "SlaPolicy")
    for priority, respond, resolve, calendar in DEFAULTS:
        SlaPolicy.objects.get_or_create(
            priority=priority,
            defaults={"respond_minutes": respond, "resolve_minutes": resolve, "calendar": calendar},
        )


class Migration(migrations.Migration):
    dependencies = [("support", "0002_initial")]
    operations = [migrations.RunPython(create_policies, migrations.RunPython.noop)]
