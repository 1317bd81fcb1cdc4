"""The base serializer of every API model, and the KPI serializers."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import get_error_detail

from synapse.dates import validate_date_range
from synapse.fields import FixedPointField
from synapse.kpis.models import KpiSnapshot

Rule = Callable[..., dict[str, str]]


@extend_schema_field(OpenApiTypes.STR)
class UsernameField(serializers.SlugRelatedField):
    """An employee named by their username."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="user__username", **kwargs)


class SynapseModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer that knows the exact fields and checks rows like the CSV import.

    - ``MoneyField``/``HoursField`` (integer hundredths in the database) are decimals
      with 2 places in the API, not integers.
    - ``rule`` is the row rule of ``synapse.rules`` for this record: the same
      checks, with the same messages, as the import and the forms. ``rule_context``
      supplies facts from other records (e.g. a person's employment).
    - Then the model's constraints are checked, so that a bad row is a 400 with a
      message rather than a database error.
    - ``money_fields`` are left out for callers who may not see money
      (``timesheets.policies.may_see_money``).
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        FixedPointField: serializers.DecimalField,
    }
    rule: ClassVar[Rule | None] = None
    #: Fields holding money: absent (not null) for users who may not see money.
    money_fields: ClassVar[tuple[str, ...]] = ()

    def get_fields(self) -> dict[str, serializers.Field]:
        """Return the fields, without ``money_fields`` unless the caller may see money.

        The OpenAPI schema is generated with the caller's request too, so a role that
        may not see money finds no money field in its schema either.
        """
        from timesheets.policies import may_see_money

        fields = super().get_fields()
        if self.money_fields:
            request = self.context.get("request")
            if request is None or not may_see_money(request.user):
                for name in self.money_fields:
                    fields.pop(name, None)
        return fields

    def build_standard_field(self, field_name: str, model_field: models.Field) -> tuple[type, dict]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, FixedPointField):
            field_class = serializers.DecimalField
            kwargs.pop("min_value", None)
            kwargs.pop("max_value", None)
            kwargs["max_digits"] = 14
            kwargs["decimal_places"] = model_field.places
        if isinstance(model_field, models.DateField):  # DateTimeField too
            kwargs["validators"] = [*kwargs.get("validators", []), validate_date_range]
        return field_class, kwargs

    def row(self, attrs: Mapping[str, Any]) -> dict[str, Any]:
        """Return the record as it would be saved: the instance's values updated by ``attrs``."""
        row: dict[str, Any] = {}
        if self.instance is not None:
            for field in self.instance._meta.concrete_fields:
                row[field.name] = getattr(self.instance, field.name)
        row.update(attrs)
        return row

    def rule_context(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Return the keyword arguments the row rule needs beyond the row (none by default)."""
        return {}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        row = self.row(attrs)
        rule = type(self).rule
        if rule is not None:
            errors = rule(row, **self.rule_context(row))
            if errors:
                raise serializers.ValidationError({k: [v] for k, v in errors.items()})
        self.constraints_check(attrs)
        return attrs

    def constraints_check(self, attrs: Mapping[str, Any]) -> None:
        """Raise a 400 when the record would break one of the model's constraints."""
        model = self.Meta.model
        candidate = copy.copy(self.instance) if self.instance is not None else model()
        for name, value in attrs.items():
            field = _concrete_field(model, name)
            if field is not None:
                setattr(candidate, name, value)
        try:
            candidate.validate_constraints()
        except DjangoValidationError as exc:
            detail = get_error_detail(exc)
            if isinstance(detail, dict) and "__all__" in detail:
                detail["non_field_errors"] = detail.pop("__all__")
            raise serializers.ValidationError(detail) from exc


def _concrete_field(model: type[models.Model], name: str) -> models.Field | None:
    try:
        field = model._meta.get_field(name)
    except Exception:  # a serializer-only attribute
        return None
    return field if getattr(field, "concrete", False) else None


class KpiSnapshotSerializer(serializers.ModelSerializer):
    """A stored KPI value for one KPI, period and scope (read-only)."""

    scope = serializers.SerializerMethodField()

    class Meta:
        model = KpiSnapshot
        fields = (
            "id",
            "key",
            "grain",
            "period_start",
            "period_end",
            "scope_kind",
            "scope_key",
            "scope",
            "value",
            "numerator",
            "denominator",
            "sample_size",
            "status",
            "band_low",
            "band_high",
            "reason",
            "definition_version",
            "computed_at",
        )
        read_only_fields = fields

    def get_scope(self, obj: KpiSnapshot) -> str:
        """Return the scope as ``kpi_report`` spells it (``company``, ``client:C1``...)."""
        return obj.scope_kind if not obj.scope_key else f"{obj.scope_kind}:{obj.scope_key}"


class KpiQuerySerializer(serializers.Serializer):
    """The query of the live KPI endpoint: ``start``, ``end`` and ``scope``."""

    start = serializers.DateField(help_text="First day, YYYY-MM-DD.")
    end = serializers.DateField(help_text="Last day, YYYY-MM-DD (inclusive).")
    scope = serializers.CharField(
        default="company",
        help_text="company, client:<code>, project:<code> or employee:<username>.",
    )


class KpiValueSerializer(serializers.Serializer):
    """One KPI value, as ``kpi_report`` prints it (numbers rounded to 4 decimals)."""

    value = serializers.FloatField(allow_null=True)
    unit = serializers.CharField()
    numerator = serializers.FloatField(allow_null=True)
    denominator = serializers.FloatField(allow_null=True)
    sample_size = serializers.IntegerField()
    status = serializers.CharField(allow_null=True)
    band = serializers.ListField(
        child=serializers.FloatField(allow_null=True), allow_null=True, min_length=2, max_length=2
    )
    reason = serializers.CharField(required=False, help_text="Why there is no value.")


class KpiReportSerializer(serializers.Serializer):
    """Every KPI for one period and scope: the JSON of ``manage.py kpi_report``."""

    start = serializers.DateField()
    end = serializers.DateField()
    scope = serializers.CharField()
    kpis = serializers.DictField(child=KpiValueSerializer())
