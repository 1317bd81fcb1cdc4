"""Forms of the ticket desk: they parse and validate input; services make the changes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from projects.models import Client, Contract, Project
from support.models import Priority, Ticket
from support.selectors import LIST_VIEWS
from timesheets.models import Employee


class TicketFilterForm(forms.Form):
    """The list's filters: which view, which client, which priority (all optional)."""

    view = forms.ChoiceField(choices=list(LIST_VIEWS.items()), required=False)
    client = forms.ModelChoiceField(
        queryset=Client.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label="All clients",
    )
    priority = forms.ChoiceField(
        choices=[("", "All priorities"), *Priority.choices], required=False
    )

    def values(self) -> dict[str, str]:
        """Return the valid filters as plain strings (invalid ones are ignored)."""
        data = self.cleaned_data if self.is_valid() else {}
        client = data.get("client")
        return {
            "view": data.get("view") or "open",
            "client_code": client.code if client else "",
            "priority": data.get("priority") or "",
        }


#: The largest primary key (a signed 64-bit ``BigAutoField``).
MAX_ID = 2**63 - 1


class TicketForm(forms.Form):
    """Open or edit a ticket: client, its contract or project, priority, subject, text.

    A contract or project of another client is refused with a message naming both.
    ``version`` carries the version the edit is based on (compare-and-set).
    """

    client = forms.ModelChoiceField(
        queryset=Client.objects.order_by("code"), empty_label="— choose a client —"
    )
    contract = forms.ModelChoiceField(
        queryset=Contract.objects.none(), required=False, empty_label="— no contract —"
    )
    project = forms.ModelChoiceField(
        queryset=Project.objects.none(), required=False, empty_label="— no project —"
    )
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.P3)
    subject = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False)
    assign_to_me = forms.BooleanField(required=False, initial=True, label="Assign to me")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["assign_to_me"]
        else:
            del self.fields["version"]
        # Every contract and project validates (a wrong client gets a clear message in
        # clean()); the choices shown are narrowed to the chosen client when known.
        self.fields["contract"].queryset = Contract.objects.select_related("client")
        self.fields["project"].queryset = Project.objects.select_related("client")
        client_id = self._client_id()
        if client_id:
            self.fields["contract"].widget.choices = _choices(
                Contract.objects.filter(client_id=client_id), "— no contract —"
            )
            self.fields["project"].widget.choices = _choices(
                Project.objects.filter(client_id=client_id), "— no project —"
            )

    def _client_id(self) -> str | None:
        value = self.data.get("client") if self.is_bound else self.initial.get("client")
        if isinstance(value, Client):
            return str(value.pk)
        text = str(value) if value else ""
        # A number past the id column's range would overflow the query (SQLite): no id.
        return text if text.isdigit() and int(text) <= MAX_ID else None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        client = data.get("client")
        if client is None:
            return data
        for name in ("contract", "project"):
            linked = data.get(name)
            if linked is not None and linked.client_id != client.pk:
                self.add_error(
                    name,
                    f"{linked.code} belongs to client {linked.client.code}, "
                    f"not to {client.code}: choose one of {client.code}'s {name}s.",
                )
        return data

    @classmethod
    def initial_for(cls, ticket: Ticket) -> dict[str, Any]:
        """Return the form's initial values for editing ``ticket``."""
        return {
            "client": ticket.client_id,
            "contract": ticket.contract_id,
            "project": ticket.project_id,
            "priority": ticket.priority,
            "subject": ticket.subject,
            "description": ticket.description,
            "version": ticket.version,
        }


def _choices(queryset: QuerySet, empty: str) -> list[tuple[Any, str]]:
    return [("", empty), *((obj.pk, str(obj)) for obj in queryset.order_by("code"))]


class VersionForm(forms.Form):
    """A change based on a known version of the ticket."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class TransitionForm(VersionForm):
    """Move the ticket to another status, with an optional note."""

    to_status = forms.ChoiceField(choices=Ticket.Status.choices)
    note = forms.CharField(max_length=500, required=False)
    first_contact_resolved = forms.BooleanField(required=False, label="Resolved on first contact")


class AssignForm(VersionForm):
    """Give the ticket to one of the employees the user may assign to (or nobody)."""

    assignee = forms.ModelChoiceField(
        queryset=Employee.objects.none(), required=False, empty_label="— unassigned —"
    )

    def __init__(self, *args: Any, assignees: QuerySet[Employee], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees


class EscalateForm(VersionForm):
    """Escalate the ticket, saying why."""

    reason = forms.CharField(
        max_length=400,
        error_messages={"required": "Say why the ticket is escalated."},
    )


class CommentForm(forms.Form):
    """A comment on the ticket."""

    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10000,
        error_messages={"required": "Write something before adding a comment."},
    )
