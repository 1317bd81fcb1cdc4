"""Project delivery KPIs (kpis.md "Project delivery")."""

from __future__ import annotations
