"""Shared viewset plumbing: lookups by external key and summaries for the docs."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, ProtectedError, RestrictedError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.exceptions import APIException


class InUse(APIException):
    """The record cannot be deleted: other records refer to it."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This record is referred to by other records and cannot be deleted."
    default_code = "in_use"


class SynapseModelViewSet(viewsets.ModelViewSet):
    """A model viewset addressed by the record's external key (code, ref, id...).

    Keys may contain dots. Deleting a record others refer to is a 409 with a message.
    """

    lookup_value_regex = "[^/]+"

    def perform_destroy(self, instance: Model) -> None:
        try:
            instance.delete()
        except (ProtectedError, RestrictedError) as exc:
            referring = getattr(exc, "protected_objects", None) or exc.restricted_objects
            kinds = sorted({str(obj._meta.verbose_name_plural) for obj in referring})
            raise InUse(
                f"{instance} is referred to by {', '.join(kinds)}: delete or move those first."
            ) from exc


class SynapseReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """A read-only model viewset addressed by the record's external key."""

    lookup_value_regex = "[^/]+"


def documented(singular: str, plural: str, *, writes: str, read_only: bool = False) -> Any:
    """Return a class decorator giving each action of a viewset a summary and description.

    ``writes`` says who may write (and is repeated on every write operation).
    """
    actions: dict[str, Any] = {
        "list": extend_schema(summary=f"List {plural}", description=writes),
        "retrieve": extend_schema(summary=f"Read one {singular}", description=writes),
    }
    if not read_only:
        actions |= {
            "create": extend_schema(summary=f"Create a {singular}", description=writes),
            "update": extend_schema(summary=f"Replace a {singular}", description=writes),
            "partial_update": extend_schema(
                summary=f"Change some fields of a {singular}", description=writes
            ),
            "destroy": extend_schema(summary=f"Delete a {singular}", description=writes),
        }
    return extend_schema_view(**actions)
