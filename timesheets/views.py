"""The weekly timesheet (staff) and the approval queue (managers).

Views parse input, check who is asking, call one selector or service and render.
Staff see and change only their own week (there is no employee in the grid's URLs:
the week is always the signed-in person's); a timesheet of someone else that the
user may not read is a 404, one they may read but not decide a 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from synapse.accounts.roles import ADMIN, EXECUTIVE, MANAGER, STAFF, role_required, user_role
from timesheets import policies, selectors, services
from timesheets.forms import AddRowForm, CellForm, DecisionForm, SubmitForm, WeekForm
from timesheets.models import Employee, Timesheet
from timesheets.selectors import RowKey

WEEK = "timesheets/week.html"
SHEET = "timesheets/sheet_detail.html"
APPROVALS = "timesheets/approvals.html"
#: Session key of the rows added (or copied) in the page that hold no hours yet.
ADDED_ROWS = "timesheet_added_rows"
ADDED_ROWS_WEEKS_KEPT = 8


def _own_employee(request: HttpRequest) -> Employee:
    employee = getattr(request.user, "employee", None)
    if employee is None:
        raise PermissionDenied("Your account is not linked to an employee: it logs no time.")
    return employee


def _week_url(week_start: dt.date) -> str:
    return f"{reverse('timesheets:week')}?week={week_start.isoformat()}"


def _added_rows(request: HttpRequest, week_start: dt.date) -> list[RowKey]:
    """Return the rows added to the week in this session (malformed ones dropped)."""
    keys = []
    for token in request.session.get(ADDED_ROWS, {}).get(week_start.isoformat(), []):
        try:
            keys.append(RowKey.from_token(token))
        except ValueError:
            continue
    return keys


def _remember_rows(request: HttpRequest, week_start: dt.date, keys: list[RowKey]) -> None:
    """Keep ``keys`` as added rows of the week (a few recent weeks only)."""
    stored = dict(request.session.get(ADDED_ROWS, {}))
    tokens = stored.get(week_start.isoformat(), [])
    tokens += [key.token for key in keys if key.token not in tokens]
    stored[week_start.isoformat()] = tokens
    for old in sorted(stored)[:-ADDED_ROWS_WEEKS_KEPT]:
        del stored[old]
    request.session[ADDED_ROWS] = stored


def _week_context(
    request: HttpRequest, employee: Employee, week_start: dt.date, **extra: Any
) -> dict[str, Any]:
    grid = selectors.week_grid(
        employee=employee,
        week_start=week_start,
        viewer=request.user,
        extra_rows=_added_rows(request, week_start),
    )
    today = timezone.localdate()
    context = {
        "grid": grid,
        "employee": employee,
        "own": True,
        "today": today,
        "this_week": selectors.week_start_of(today),
        "previous_week": week_start - dt.timedelta(days=7),
        "next_week": week_start + dt.timedelta(days=7),
        "add_row_form": AddRowForm(
            targets=selectors.row_targets(employee=employee, week_start=week_start)
        ),
        "submit_form": SubmitForm(initial={"week": week_start, "version": grid.version}),
    }
    context.update(extra)
    return context


@require_GET
@role_required(STAFF, MANAGER, EXECUTIVE)
@vary_on_headers("HX-Request")
def week(request: HttpRequest) -> HttpResponse:
    """Show the signed-in person's week (``?week=`` any day of it; default this week)."""
    if getattr(request.user, "employee", None) is None and user_role(request.user) == ADMIN:
        return redirect("timesheets:approvals")
    employee = _own_employee(request)
    form = WeekForm(request.GET)
    week_start = form.week_start(timezone.localdate())
    for error in form.errors.get("week", []):
        messages.warning(request, f"{error} Showing this week.")
    template = WEEK
    if request.htmx:
        template += "#week-grid"
    return render(request, template, _week_context(request, employee, week_start))


@require_POST
@role_required(STAFF, MANAGER, EXECUTIVE)
@vary_on_headers("HX-Request")
def cell(request: HttpRequest) -> HttpResponse:
    """Save one cell; on HTMX return the cell (with its error) and the totals out of band."""
    employee = _own_employee(request)
    form = CellForm(request.POST, user=request.user)
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.time_entry_save_cell(
                employee=employee,
                key=data["row"],
                day=data["day"],
                hours=data["hours"],
                seen=data["seen"],
            )
        except services.TimesheetError as refused:
            error = refused.message
    else:
        error = form.first_error()
    if not form.is_valid() and ("row" in form.errors or "day" in form.errors):
        if request.htmx:
            return HttpResponse(error, status=400)
        messages.error(request, error)
        return redirect("timesheets:week")
    key: RowKey = form.cleaned_data["row"]
    day: dt.date = form.cleaned_data["day"]
    week_start = selectors.week_start_of(day)
    if not request.htmx:
        if error:
            messages.error(request, f"{day:%a %-d %b}: {error}")
        return redirect(_week_url(week_start))
    stored = selectors.cell_hours(employee=employee, key=key, day=day)
    context = {
        "key": key,
        "cell": stored,
        "editable": True,
        "error": error,
        "typed": request.POST.get("hours", "") if error else None,
        "totals": selectors.week_totals(employee=employee, key=key, week_start=week_start),
    }
    return render(request, WEEK + "#cell-saved", context)


@require_POST
@role_required(STAFF, MANAGER, EXECUTIVE)
@vary_on_headers("HX-Request")
def add_row(request: HttpRequest) -> HttpResponse:
    """Add an empty row to the week (kept in the session until a cell of it is filled)."""
    employee = _own_employee(request)
    week_start = WeekForm(request.POST).week_start(timezone.localdate())
    targets = selectors.row_targets(employee=employee, week_start=week_start)
    form = AddRowForm(request.POST, targets=targets)
    extra: dict[str, Any] = {}
    if form.is_valid():
        _remember_rows(request, week_start, [form.row_key()])
    else:
        extra["add_row_form"] = form
    if not request.htmx:
        if not form.is_valid():
            refused = form.errors.get("billable") or ["Choose what the row is for."]
            messages.error(request, refused[0])
        return redirect(_week_url(week_start))
    context = _week_context(request, employee, week_start, **extra)
    return render(request, WEEK + "#week-grid", context)


@require_POST
@role_required(STAFF, MANAGER, EXECUTIVE)
@vary_on_headers("HX-Request")
def copy_last_week(request: HttpRequest) -> HttpResponse:
    """Add last week's rows (not its hours) to the week."""
    employee = _own_employee(request)
    week_start = WeekForm(request.POST).week_start(timezone.localdate())
    notice = ""
    try:
        keys = services.timesheet_copy_last_week(employee=employee, week_start=week_start)
    except services.TimesheetError as refused:
        notice = refused.message
    else:
        _remember_rows(request, week_start, keys)
        notice = (
            f"{len(keys)} row(s) copied from last week; fill in this week's hours."
            if keys
            else "Last week has no rows that this week does not have already."
        )
    if not request.htmx:
        messages.info(request, notice)
        return redirect(_week_url(week_start))
    context = _week_context(request, employee, week_start, grid_notice=notice)
    return render(request, WEEK + "#week-grid", context)


@require_POST
@role_required(STAFF, MANAGER, EXECUTIVE)
def submit(request: HttpRequest) -> HttpResponse:
    """Submit the week for approval (a version compare-and-set)."""
    employee = _own_employee(request)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The week to submit is missing; reload the page.")
        return redirect("timesheets:week")
    week_start = selectors.week_start_of(form.cleaned_data["week"])
    try:
        services.timesheet_submit(
            employee=employee,
            week_start=week_start,
            version=form.cleaned_data["version"],
            now=timezone.now(),
        )
    except services.TimesheetError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Week submitted for approval.")
    return redirect(_week_url(week_start))


@require_GET
@role_required(MANAGER, EXECUTIVE)
def approvals(request: HttpRequest) -> HttpResponse:
    """List the submitted weeks of the manager's team (every team for executives)."""
    context = {
        "waiting": selectors.timesheets_awaiting_approval(user=request.user),
        "recent": selectors.timesheets_recently_decided(user=request.user),
        "sees_all": user_role(request.user) in (EXECUTIVE, ADMIN),
    }
    return render(request, APPROVALS, context)


def _sheet_or_404(request: HttpRequest, pk: int) -> Timesheet:
    sheet = selectors.timesheet_for_user(user=request.user, pk=pk)
    if sheet is None:
        raise Http404("No such timesheet.")
    return sheet


def _sheet_context(request: HttpRequest, sheet: Timesheet, **extra: Any) -> dict[str, Any]:
    can_decide = policies.may_decide_week(request.user, sheet)
    context = {
        "sheet": sheet,
        "grid": selectors.week_grid(
            employee=sheet.employee, week_start=sheet.week_start, viewer=request.user
        ),
        "employee": sheet.employee,
        "own": False,
        "can_decide": can_decide and sheet.status == Timesheet.Status.SUBMITTED,
        "decision_form": DecisionForm(initial={"version": sheet.version}),
    }
    context.update(extra)
    return context


@require_GET
@role_required(STAFF, MANAGER, EXECUTIVE)
def sheet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a timesheet read-only, with approve and reject for its manager."""
    sheet = _sheet_or_404(request, pk)
    if sheet.employee.user_id == request.user.pk:
        return redirect(_week_url(sheet.week_start))
    return render(request, SHEET, _sheet_context(request, sheet))


def _decide(request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
    sheet = _sheet_or_404(request, pk)
    if not policies.may_decide_week(request.user, sheet):
        raise PermissionDenied("Only the employee's manager can decide this week.")
    form = DecisionForm(request.POST)
    if not form.is_valid():
        context = _sheet_context(request, sheet, decision_form=form)
        return render(request, SHEET, context)
    decide = services.timesheet_approve if approve else services.timesheet_reject
    try:
        decide(
            timesheet=sheet,
            version=form.cleaned_data["version"],
            by=request.user,
            now=timezone.now(),
            comment=form.cleaned_data["comment"],
        )
    except services.TimesheetError as refused:
        for field, message in refused.errors.items():
            form.add_error(field, message)
        if not refused.errors:
            form.add_error(None, refused.message)
        return render(request, SHEET, _sheet_context(request, sheet, decision_form=form))
    verb = "approved" if approve else "rejected"
    messages.success(request, f"{sheet.employee}'s week of {sheet.week_start:%-d %b %Y} {verb}.")
    return redirect("timesheets:approvals")


@require_POST
@role_required(MANAGER, EXECUTIVE)
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve a submitted week (its manager; a version compare-and-set)."""
    return _decide(request, pk, approve=True)


@require_POST
@role_required(MANAGER, EXECUTIVE)
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    """Reject a submitted week with a comment saying what to fix."""
    return _decide(request, pk, approve=False)
