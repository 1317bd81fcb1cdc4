"""Support KPIs (kpis.md "Support")."""

from __future__ import annotations
