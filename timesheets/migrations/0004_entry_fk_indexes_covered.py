"""Drop the single-column indexes of time entries' employee, project and cost contract.

Each is the leading column of a composite index already there (``entry_employee_date_idx``,
``entry_project_date_idx``, ``entry_contract_date_idx``), which serves every lookup on
the column alone — the foreign-key checks of a delete, ``filter(project=...)`` — as
well (PostgreSQL and SQLite both use a composite index for a condition on its first
column). Every index is written on every insert: a large import maintained 12 indexes
per time entry, now 9 (issue 7, docs/performance.md).

EXPLAIN on the large bench firm (893k entries), ``WHERE project_id = 5``: a bitmap
index scan on the single-column index, cost 7.44; without it, on
``entry_project_date_idx``, cost 7.44. The same for ``cost_contract_id`` (32.50 →
36.50) and ``employee_id`` (50.15 → 74.15): the same plan shape, a few more pages.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0003_history'),
        ('timesheets', '0003_entry_billable_date_idx'),
    ]

    operations = [
        migrations.AlterField(
            model_name='timeentry',
            name='cost_contract',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='attributed_entries', to='projects.contract'),
        ),
        migrations.AlterField(
            model_name='timeentry',
            name='employee',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='time_entries', to='timesheets.employee'),
        ),
        migrations.AlterField(
            model_name='timeentry',
            name='project',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='time_entries', to='projects.project'),
        ),
    ]
