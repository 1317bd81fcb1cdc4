"""Writes of project data: keeping the derived columns of projects in step."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from projects.models import Project, project_window


@transaction.atomic
def projects_refresh_derived(queryset: QuerySet[Project]) -> int:
    """Store the derived integration window of every project in ``queryset``.

    ``Project.save()`` keeps ``window_start``/``window_end`` (00:00 firm time on
    ``actual_start`` and on ``actual_end``) in step; bulk writes (``bulk_create``,
    ``update()``, the CSV importer) bypass it and must call this afterwards.
    Return the number of projects refreshed.
    """
    projects = list(queryset.only("pk", "actual_start", "actual_end"))
    for project in projects:
        project.window_start, project.window_end = project_window(
            actual_start=project.actual_start, actual_end=project.actual_end
        )
    Project.objects.bulk_update(projects, ["window_start", "window_end"], batch_size=1000)
    return len(projects)
