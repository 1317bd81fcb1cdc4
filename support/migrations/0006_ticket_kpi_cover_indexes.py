"""Covering indexes for the support KPIs: tickets by resolution and by SLA decision
moment, with the KPI inputs in the index (``INCLUDE``, PostgreSQL only; SQLite keeps a
plain index on the moment). They replace the two single-column indexes on
``resolved_at`` and ``sla_decided_at`` (still the leading column: every other use of
those stays served; the historical table's copies go too, nothing filters it by them).

``support.selectors.resolved_ticket_totals`` (MTTR, MTTR P1–P4, first-contact
resolution, escalations) groups the tickets resolved in a period per (client id,
priority) and per (assignee id, priority); ``sla_decided_totals`` the tickets decided in
a period per client id. Stored per month, quarter and year: 255 of their queries in a
5-year backfill. EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) of the per-client query for 2023
on the large bench firm (PostgreSQL 15, 250k tickets, 48,734 resolved in 2023; shared
machine, load 3.9, four runs each):

- before: Index Scan using support_ticket_resolved_at_89fa4a81, every row then read
  from the table: 44,065 buffers (consecutive index entries point at different heap
  pages, so almost one page visit per ticket); 75–83 ms;
- after: Index Only Scan using ticket_resolved_cover_idx, Heap Fetches: 0: 403
  buffers; 19–47 ms. Per (assignee, priority): 63–75 → 38–65 ms.
- decided per client, before: Index Scan using support_ticket_sla_decided_at_8af4815f,
  44,022 buffers, 51–95 ms; after: Index Only Scan using ticket_decided_cover_idx,
  244 buffers, 25–34 ms.

Index-only scans need the visibility map (set by VACUUM, as autovacuum does and as the
bench does after loading); the counts are of ``resolved_at`` / ``sla_decided_at``, not of
the primary key, which is not in the index. Sizes on the large firm: 16 MB and 9.9 MB
(against 7.7 MB each). The floor of ``manage.py bench`` reads the same rows and may use
them too.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0005_history"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalticket",
            name="resolved_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="historicalticket",
            name="sla_decided_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="resolved_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="ticket",
            name="sla_decided_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["resolved_at"],
                include=(
                    "opened_at",
                    "priority",
                    "client",
                    "assignee",
                    "first_contact_resolved",
                    "escalated",
                ),
                name="ticket_resolved_cover_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["sla_decided_at"],
                include=("client", "sla_met"),
                name="ticket_decided_cover_idx",
            ),
        ),
    ]
