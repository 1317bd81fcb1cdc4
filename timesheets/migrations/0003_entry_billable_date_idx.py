"""A partial covering index for utilization: billable entries by date, with the employee
and the hours in the index (``INCLUDE``, PostgreSQL only; SQLite gets a partial index on
``date``).

``timesheets.selectors.billable_hours_by_employee`` (billable utilization, stored per
ISO week, month, quarter and year: 1,388 of its queries in a 5-year backfill) sums
the hours of the period's billable entries per employee. EXPLAIN ANALYZE of that
query for 2024 on the large bench firm (PostgreSQL 15, 893k entries, 122k of them
billable in 2024):

- before: Bitmap Heap Scan on timesheets_timeentry via entry_date_employee_idx
  (all 183k entries of the year, then ``Filter: billable`` drops 60k), 5,740 buffers;
  167 ms on a quiet machine, 364 ms on the shared one;
- after: Index Only Scan using entry_billable_date_idx (only the billable entries,
  nothing filtered), 3,198 buffers; 39 ms once the table is vacuumed (no heap fetches),
  209 ms on the shared machine on a freshly loaded, never vacuumed copy (every row
  still checked in the heap until autovacuum sets the visibility map).

The floor of ``manage.py bench`` reads the same rows and may use it too.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("timesheets", "0002_history"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="timeentry",
            index=models.Index(
                condition=models.Q(("billable", True)),
                fields=["date"],
                include=("employee", "hours"),
                name="entry_billable_date_idx",
            ),
        ),
    ]
