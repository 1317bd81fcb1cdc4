"""Filters of the employee and time-entry lists."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import Q, QuerySet

from timesheets.models import Employee, TimeEntry


class EmployeeFilter(django_filters.FilterSet):
    """Filter employees by role, manager and whether they are still employed."""

    manager = django_filters.CharFilter("manager__user__username", help_text="Username.")
    employed_on = django_filters.DateFilter(
        method="filter_employed_on", help_text="Employed on this day."
    )

    class Meta:
        model = Employee
        fields = ("role",)

    def filter_employed_on(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        """Keep employees whose employment includes ``value``."""
        return queryset.filter(employed_from__lte=value).filter(
            Q(employed_until__isnull=True) | Q(employed_until__gte=value)
        )


class TimeEntryFilter(django_filters.FilterSet):
    """Filter time entries by person, date range, what they were on, activity, billable."""

    employee = django_filters.CharFilter("employee__user__username", help_text="Username.")
    date_after = django_filters.DateFilter("date", lookup_expr="gte", help_text="On or after.")
    date_before = django_filters.DateFilter("date", lookup_expr="lte", help_text="On or before.")
    project = django_filters.CharFilter("project__code", help_text="Project code.")
    contract = django_filters.CharFilter("contract__code", help_text="Contract code.")
    ticket = django_filters.CharFilter("ticket__ref", help_text="Ticket ref.")

    class Meta:
        model = TimeEntry
        fields = ("activity", "billable")
