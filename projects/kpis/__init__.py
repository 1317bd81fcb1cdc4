"""Project delivery KPIs (``delivery``) and revenue and relationship KPIs (``revenue``)."""

from projects.kpis import delivery, revenue  # noqa: F401
