"""The ticket desk: lists, a ticket's page with HTMX panels, create and edit.

Views parse input, check who is asking, call one selector or service and render.
Every page checks permission server-side: a ticket the user may not see is a 404,
a change by someone who may only read it (executives) a 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from support import policies, selectors, services
from support.forms import (
    AssignForm,
    CommentForm,
    EscalateForm,
    TicketFilterForm,
    TicketForm,
    TransitionForm,
)
from support.models import Ticket
from synapse.accounts.roles import EXECUTIVE, MANAGER, STAFF, role_required

PAGE_SIZE = 25
DETAIL = "support/ticket_detail.html"
Status = Ticket.Status

ACTION_LABELS = {
    Status.IN_PROGRESS: "Start work",
    Status.WAITING: "Wait on customer",
    Status.RESOLVED: "Resolve",
    Status.CLOSED: "Close",
}


def _ticket_or_404(request: HttpRequest, pk: int) -> Ticket:
    ticket = selectors.ticket_for_detail(user=request.user, pk=pk)
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def _workable_or_403(request: HttpRequest, pk: int) -> Ticket:
    ticket = _ticket_or_404(request, pk)
    if not policies.may_work_ticket(request.user, ticket):
        raise PermissionDenied("You can read this ticket but not change it.")
    return ticket


def _actions(ticket: Ticket) -> list[dict[str, str]]:
    """Return the status changes offered on the ticket's page, with their labels."""
    out = []
    for to in services.TRANSITIONS.get(ticket.status, ()):
        if services.ticket_is_reopen(from_status=ticket.status, to_status=to):
            label = "Reopen"
        elif ticket.status == Status.WAITING and to == Status.IN_PROGRESS:
            label = "Customer replied: resume"
        else:
            label = ACTION_LABELS[to]
        out.append({"to": to, "label": label})
    return out


def _detail_context(request: HttpRequest, ticket: Ticket, **extra: Any) -> dict[str, Any]:
    now = timezone.now()
    can_work = policies.may_work_ticket(request.user, ticket)
    assignees = policies.ticket_assignees_for(request.user)
    clocks = selectors.ticket_sla_clocks(ticket=ticket, now=now)
    context = {
        "ticket": ticket,
        "can_work": can_work,
        "actions": _actions(ticket) if can_work else [],
        "clocks": {
            name: {
                "clock": clock,
                "left_text": None if clock.left is None else selectors.duration_text(clock.left),
            }
            for name, clock in clocks.items()
        },
        "timeline": selectors.ticket_timeline(ticket=ticket),
        "comments": selectors.ticket_comments(ticket=ticket),
        "comment_form": CommentForm(),
        "assign_form": AssignForm(
            initial={"assignee": ticket.assignee_id, "version": ticket.version},
            assignees=assignees,
        ),
        "can_reassign": can_work and _may_reassign(request),
        "can_take": can_work and ticket.assignee_id is None,
        "escalate_form": EscalateForm(initial={"version": ticket.version}),
        "is_done": ticket.status in services.DONE,
        "oob": False,
    }
    context.update(extra)
    return context


def _may_reassign(request: HttpRequest) -> bool:
    return policies.may_reassign_ticket(request.user)


@require_GET
@role_required(STAFF, MANAGER, EXECUTIVE)
@vary_on_headers("HX-Request")
def ticket_list(request: HttpRequest) -> HttpResponse:
    """List the tickets the user may see, filtered (view, client, priority) and paginated."""
    filters = TicketFilterForm(request.GET or None)
    values = (
        filters.values() if request.GET else {"view": "open", "client_code": "", "priority": ""}
    )
    tickets = selectors.tickets_for_list(user=request.user, now=timezone.now(), **values)
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "views": selectors.LIST_VIEWS,
        "current": values,
        "page": page,
        "query": query.urlencode(),
        "now": timezone.now(),
        "can_create": policies.may_open_ticket(request.user),
    }
    template = "support/ticket_list.html"
    if request.htmx:
        template += "#ticket-list"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@role_required(STAFF, MANAGER)
@vary_on_headers("HX-Request")
def ticket_create(request: HttpRequest) -> HttpResponse:
    """Open a ticket (agents); an HTMX change of client narrows the contract/project lists."""
    if not policies.may_open_ticket(request.user):
        raise PermissionDenied("You cannot open tickets.")
    template = "support/ticket_form.html"
    if request.method == "GET":
        form = TicketForm(initial={"client": request.GET.get("client")})
        if request.htmx and request.GET.get("client"):
            template += "#ticket-links"
        return render(request, template, {"form": form, "ticket": None})
    form = TicketForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        employee = getattr(request.user, "employee", None)
        try:
            ticket = services.ticket_create(
                by=request.user,
                client=data["client"],
                contract=data["contract"],
                project=data["project"],
                priority=data["priority"],
                subject=data["subject"],
                description=data["description"],
                assignee=employee if data["assign_to_me"] else None,
            )
        except services.TicketError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Ticket {ticket.ref} opened.")
            return redirect("support:ticket_detail", pk=ticket.pk)
    return render(request, template, {"form": form, "ticket": None})


@require_GET
@role_required(STAFF, MANAGER, EXECUTIVE)
@vary_on_headers("HX-Request")
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a ticket: SLA clocks, actions, assignment, timeline and comments."""
    ticket = _ticket_or_404(request, pk)
    template = DETAIL
    if request.htmx:
        template += "#ticket-status"
    return render(request, template, _detail_context(request, ticket))


@require_http_methods(["GET", "POST"])
@role_required(STAFF, MANAGER)
@vary_on_headers("HX-Request")
def ticket_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit what a ticket is about; a save based on an old version is refused."""
    ticket = _workable_or_403(request, pk)
    template = "support/ticket_form.html"
    if request.method == "GET":
        if request.htmx and request.GET.get("client"):
            form = TicketForm(initial={"client": request.GET.get("client")}, editing=True)
            return render(request, template + "#ticket-links", {"form": form, "ticket": ticket})
        form = TicketForm(initial=TicketForm.initial_for(ticket), editing=True)
        return render(request, template, {"form": form, "ticket": ticket})
    form = TicketForm(request.POST, editing=True)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.ticket_update(
                ticket=ticket,
                by=request.user,
                version=data["version"] if data["version"] is not None else -1,
                client=data["client"],
                contract=data["contract"],
                project=data["project"],
                priority=data["priority"],
                subject=data["subject"],
                description=data["description"],
            )
        except services.TicketConflict as conflict:
            # Keep what the user typed, based now on the latest version: saving again
            # is a deliberate overwrite after reading the message.
            data = request.POST.copy()
            data["version"] = str(conflict.ticket.version)
            form = TicketForm(data, editing=True)
            form.is_valid()
            form.add_error(None, str(conflict))
            return render(
                request, template, {"form": form, "ticket": conflict.ticket, "conflict": True}
            )
        except services.TicketError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Ticket {ticket.ref} saved.")
            return redirect("support:ticket_detail", pk=ticket.pk)
    return render(request, template, {"form": form, "ticket": ticket})


def _panel_response(
    request: HttpRequest, pk: int, *, error: str = "", success: str = ""
) -> HttpResponse:
    """Return the status panel (HTMX) or redirect to the ticket's page with a message."""
    if request.htmx:
        ticket = _ticket_or_404(request, pk)
        context = _detail_context(request, ticket, panel_error=error, panel_success=success)
        return render(request, DETAIL + "#ticket-status", context)
    if error:
        messages.error(request, error)
    elif success:
        messages.success(request, success)
    return redirect("support:ticket_detail", pk=pk)


def _form_error(form: Any) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@require_POST
@role_required(STAFF, MANAGER)
def ticket_transition_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the ticket's status (start, wait, resume, resolve, close, reopen)."""
    ticket = _workable_or_403(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _panel_response(request, pk, error=_form_error(form))
    data = form.cleaned_data
    try:
        ticket = services.ticket_transition(
            ticket=ticket,
            by=request.user,
            version=data["version"],
            to_status=data["to_status"],
            note=data["note"],
            first_contact_resolved=data["first_contact_resolved"],
        )
    except services.TicketError as error:
        return _panel_response(request, pk, error=str(error))
    return _panel_response(
        request, pk, success=f"{ticket.ref} is now {ticket.get_status_display()}."
    )


@require_POST
@role_required(STAFF, MANAGER)
def ticket_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign the ticket: managers reassign within their team; staff take unassigned ones."""
    ticket = _workable_or_403(request, pk)
    form = AssignForm(request.POST, assignees=policies.ticket_assignees_for(request.user))
    if not form.is_valid():
        return _panel_response(request, pk, error=_form_error(form))
    assignee = form.cleaned_data["assignee"]
    try:
        services.ticket_assign(
            ticket=ticket, by=request.user, version=form.cleaned_data["version"], assignee=assignee
        )
    except services.TicketError as error:
        return _panel_response(request, pk, error=str(error))
    who = assignee.full_name if assignee else "nobody"
    return _panel_response(request, pk, success=f"{ticket.ref} assigned to {who}.")


@require_POST
@role_required(STAFF, MANAGER)
def ticket_escalate_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Escalate the ticket with a reason."""
    ticket = _workable_or_403(request, pk)
    form = EscalateForm(request.POST)
    if not form.is_valid():
        return _panel_response(request, pk, error=_form_error(form))
    try:
        services.ticket_escalate(
            ticket=ticket,
            by=request.user,
            version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
    except services.TicketError as error:
        return _panel_response(request, pk, error=str(error))
    return _panel_response(request, pk, success=f"{ticket.ref} escalated.")


@require_POST
@role_required(STAFF, MANAGER)
def ticket_comment_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a comment; on HTMX return the comments panel and the refreshed status panel."""
    ticket = _workable_or_403(request, pk)
    form = CommentForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.ticket_comment_add(
                ticket=ticket, by=request.user, body=form.cleaned_data["body"]
            )
        except services.TicketError as exc:
            error = str(exc)
        else:
            form = CommentForm()
    else:
        error = _form_error(form)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("support:ticket_detail", pk=pk)
    ticket = _ticket_or_404(request, pk)
    context = _detail_context(request, ticket, comment_form=form, comment_error=error)
    comments = render_to_string(DETAIL + "#ticket-comments", context, request=request)
    context["oob"] = True
    status = render_to_string(DETAIL + "#ticket-status", context, request=request)
    return HttpResponse(comments + status)
