"""Serializers of employees (read-only) and time entries."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from rest_framework import serializers

from projects.models import Contract, Project
from support.models import Ticket
from synapse import rules
from synapse.api.permissions import employee_of
from synapse.api.serializers import SynapseModelSerializer, UsernameField
from timesheets import policies
from timesheets.models import Employee, TimeEntry


class EmployeeSerializer(SynapseModelSerializer):
    """An employee, addressed by username; ``manager`` is the manager's username."""

    username = serializers.CharField(source="user.username", read_only=True)
    manager = UsernameField(read_only=True, allow_null=True)
    # Blank for some people: a plain string, not an "email" format that "" would break.
    email = serializers.CharField(read_only=True, help_text="Email address, or empty.")

    class Meta:
        model = Employee
        fields = (
            "username",
            "full_name",
            "email",
            "role",
            "hours_per_day",
            "employed_from",
            "employed_until",
            "manager",
        )
        read_only_fields = fields


class TimeEntrySerializer(SynapseModelSerializer):
    """Hours one employee worked on one day, addressed by ``entry_id``.

    ``employee`` is a username (default: you). References are codes: ``project`` and
    ``contract`` codes, the ``ticket`` ref — each one the caller may book time to
    (``timesheets.policies.bookable_targets``: a ticket you may not work is a 400).
    ``cost``, ``bill_value`` and ``cost_contract`` are derived from the rates in force
    (read-only); ``cost`` and ``bill_value`` are money, so only executives and
    administrators get them (for anyone else the keys are absent from responses and
    from their schema). Checked like the CSV import: hours 0–24, the person's day at
    most 24 hours, the date within their employment.
    """

    money_fields = ("cost", "bill_value")

    rule = staticmethod(rules.validate_time_entry)
    employee = UsernameField(
        queryset=Employee.objects.select_related("user"),
        required=False,
        help_text="Username; defaults to you. Staff log their own time, managers also "
        "their team's.",
        error_messages={"does_not_exist": "“{value}” is not someone whose time you may log."},
    )
    project = serializers.SlugRelatedField(
        slug_field="code", queryset=Project.objects.all(), required=False, allow_null=True
    )
    contract = serializers.SlugRelatedField(
        slug_field="code", queryset=Contract.objects.all(), required=False, allow_null=True
    )
    ticket = serializers.SlugRelatedField(
        slug_field="ref",
        queryset=Ticket.objects.all(),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": "No ticket “{value}” that you may book time to."},
    )
    cost_contract = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = TimeEntry
        fields = (
            "entry_id",
            "employee",
            "date",
            "hours",
            "billable",
            "activity",
            "project",
            "contract",
            "ticket",
            "note",
            "cost",
            "bill_value",
            "cost_contract",
        )
        read_only_fields = ("cost", "bill_value", "cost_contract")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            employee = fields["employee"]
            employee.queryset = policies.restrict(employee.queryset, request.user, policies.CHANGE)
            targets = policies.bookable_targets(request.user)
            fields["project"].queryset = targets.projects
            fields["contract"].queryset = targets.contracts
            fields["ticket"].queryset = targets.tickets
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and attrs.get("employee") is None:
            request = self.context.get("request")
            employee = employee_of(request.user) if request is not None else None
            if employee is None:
                raise serializers.ValidationError(
                    {"employee": ["is required: you have no employee record of your own."]}
                )
            attrs["employee"] = employee
        return super().validate(attrs)

    def row(self, attrs: Mapping[str, Any]) -> dict[str, Any]:
        row = super().row(attrs)
        employee = row.get("employee")
        row["username"] = employee.user.username if employee is not None else None
        return row

    def rule_context(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Return the person's employment and the hours of their other entries that day."""
        employee, day = row.get("employee"), row.get("date")
        if employee is None or day is None:
            return {}
        others = TimeEntry.objects.filter(employee=employee, date=day)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        other_hours = others.aggregate(total=Sum("hours", default=Decimal(0)))["total"]
        return {
            "employment": (employee.employed_from, employee.employed_until),
            "other_hours_that_day": other_hours,
        }
