"""KPI endpoints: stored snapshots (read) and live values (``kpi_report`` over HTTP)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from synapse.api.filters import KpiSnapshotFilter
from synapse.api.kpis import (
    kpi_query_errors,
    kpi_report_build,
    kpi_scope_allowed,
    kpi_snapshots_visible,
)
from synapse.api.permissions import HasRole, ReadOnlyRoles
from synapse.api.serializers import KpiQuerySerializer, KpiReportSerializer, KpiSnapshotSerializer
from synapse.api.viewsets import SynapseReadOnlyViewSet
from synapse.kpis.models import KpiSnapshot
from synapse.kpis.periods import Scope


@extend_schema_view(
    list=extend_schema(
        summary="List KPI snapshots",
        description=(
            "Stored KPI values written by the nightly job. Staff see their own employee "
            "scope, managers theirs and their team's, executives and admins everything."
        ),
    ),
    retrieve=extend_schema(summary="Read one KPI snapshot"),
)
class KpiSnapshotViewSet(SynapseReadOnlyViewSet):
    """Stored KPI snapshots: filter by key, grain, period start range and scope."""

    serializer_class = KpiSnapshotSerializer
    permission_classes = [ReadOnlyRoles]
    filterset_class = KpiSnapshotFilter
    ordering_fields = ("key", "grain", "period_start", "scope_kind", "scope_key", "value")
    ordering = ("key", "grain", "period_start", "scope_kind", "scope_key")
    queryset = KpiSnapshot.objects.none()

    def get_queryset(self):  # a KpiSnapshot queryset
        return kpi_snapshots_visible(user=self.request.user).order_by(*self.ordering)


def not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """Answer any unknown URL under /api/ with a JSON 404 (not the HTML page)."""
    return JsonResponse({"detail": "Not found."}, status=404)


class KpiLiveView(APIView):
    """Every KPI for a period and scope, computed live: the JSON of ``kpi_report``."""

    permission_classes = [HasRole]

    @extend_schema(
        summary="Compute KPIs live",
        description=(
            "Compute every KPI of kpis.md that supports the scope for the period "
            "[start, end], from the records (not the snapshots). The body is exactly what "
            "`manage.py kpi_report --format json` prints for the same arguments. A bad "
            "date, an end before the start or an unknown scope is a 400 naming the "
            "parameter; a scope your role may not read (staff: only "
            "`employee:<you>`; managers: themselves and their team) is a 403."
        ),
        parameters=[
            OpenApiParameter("start", str, required=True, description="First day, YYYY-MM-DD."),
            OpenApiParameter("end", str, required=True, description="Last day, YYYY-MM-DD."),
            OpenApiParameter(
                "scope",
                str,
                required=False,
                description="company (default), client:<code>, project:<code> "
                "or employee:<username>.",
            ),
        ],
        responses={200: KpiReportSerializer},
    )
    def get(self, request: Request) -> Response:
        query = KpiQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        scope_text = query.validated_data["scope"]
        try:
            scope = Scope.parse(scope_text)
        except ValueError:
            scope = None
        if scope is not None and not kpi_scope_allowed(user=request.user, scope=scope):
            raise PermissionDenied(f"Your role may not read the KPIs of {scope}.")
        errors = kpi_query_errors(start=start, end=end, scope_text=scope_text)
        if errors:
            raise ValidationError({name: [message] for name, message in errors.items()})
        return Response(kpi_report_build(start=start, end=end, scope=scope))
