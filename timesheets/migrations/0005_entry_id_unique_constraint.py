"""Time entries' entry_id: unique by a constraint, without the ``LIKE`` index.

PostgreSQL gets two indexes for a ``unique=True`` CharField: the unique one and a
``varchar_pattern_ops`` one that serves only ``LIKE 'prefix%'`` (``startswith``).
Nothing asks that of an entry id (the import and the admin look entries up by equality;
the admin's searches are ``icontains``, which no btree serves), and each index is
written on every insert and rebuilt by a bulk import (0.7 s of the large one: issue 7,
docs/performance.md). A ``UniqueConstraint`` on the column gives the same unique index
and the same validation message. The history table's copy of the field loses its index
too (simple_history indexes what is unique; history is read by entry, never by entry id).

EXPLAIN on the large bench firm (893k entries): ``WHERE entry_id = 'E00000042'`` is an
index scan on the unique index, cost 0.42..8.44, before and after; ``= ANY(...)``
(the import's lookups) the same, 0.42..12.88. Only ``LIKE 'E0000004%'`` used the
dropped index.
"""

import timesheets.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('projects', '0003_history'),
        ('support', '0006_ticket_kpi_cover_indexes'),
        ('timesheets', '0004_entry_fk_indexes_covered'),
    ]

    operations = [
        migrations.AlterField(
            model_name='historicaltimeentry',
            name='entry_id',
            field=models.CharField(default=timesheets.models.new_entry_id, max_length=64),
        ),
        migrations.AlterField(
            model_name='timeentry',
            name='entry_id',
            field=models.CharField(default=timesheets.models.new_entry_id, max_length=64),
        ),
        migrations.AddConstraint(
            model_name='timeentry',
            constraint=models.UniqueConstraint(fields=('entry_id',), name='entry_entry_id_unique'),
        ),
    ]
