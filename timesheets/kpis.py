"""People KPIs (kpis.md "People")."""

from __future__ import annotations
