"""Exact decimal fields stored as integers.

SQLite stores ``DecimalField`` values as floating point and sums them as such, so
totals of money or hours could drift from PostgreSQL's exact ``numeric`` sums.
These fields keep the value in the database as an integer count of hundredths
(cents for money, hundredths of an hour for hours), which both databases sum
exactly, and hand back ``Decimal`` on the Python side, including from
``Sum()``/``Min()``/``Max()`` aggregates whose output field is one of these.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core import exceptions
from django.db import models


class FixedPointField(models.BigIntegerField):
    """A ``Decimal`` with ``places`` decimals, stored as an integer of 10**-places units."""

    description = "Exact decimal stored as an integer of hundredths"

    def __init__(self, *args: Any, places: int = 2, **kwargs: Any) -> None:
        self.places = places
        self.scale = 10**places
        self.quantum = Decimal(1).scaleb(-places)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, ...]:
        name, path, args, kwargs = super().deconstruct()
        if self.places != 2:
            kwargs["places"] = self.places
        return name, path, args, kwargs

    def to_python(self, value: Any) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        try:
            return Decimal(str(value))
        except (InvalidOperation, ValueError) as exc:
            raise exceptions.ValidationError(
                "“%(value)s” must be a decimal number.", code="invalid", params={"value": value}
            ) from exc

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / self.scale).quantize(self.quantum)

    def get_prep_value(self, value: Any) -> int | None:
        if value is None or hasattr(value, "resolve_expression"):
            return value
        decimal = self.to_python(value)
        units = (decimal * self.scale).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return int(units)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        return value

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else str(value)

    def formfield(self, **kwargs: Any) -> forms.Field:
        defaults = {"form_class": forms.DecimalField, "decimal_places": self.places}
        defaults.update(kwargs)
        # IntegerField.formfield adds min/max validators for the integer range; skip them.
        return models.Field.formfield(self, **defaults)


class MoneyField(FixedPointField):
    """An amount in the firm's currency with 2 decimals, stored as integer cents."""


class HoursField(FixedPointField):
    """A number of hours with 2 decimals, stored as integer hundredths of an hour."""
