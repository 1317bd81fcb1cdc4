"""Revenue and relationship KPIs (kpis.md "Revenue and relationships")."""

from __future__ import annotations
