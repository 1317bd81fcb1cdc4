"""Survey invitations sent to client contacts, and their CSAT and NPS responses."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class SurveyKind(models.TextChoices):
    CSAT = "csat", "CSAT (1–5)"
    NPS = "nps", "NPS (0–10)"


class SurveyInvitation(models.Model):
    """A survey link sent to a client contact after a project or a ticket.

    Its email is delivered at least once: an invitation Synapse writes starts with
    ``mail_pending`` set, and only a successful send clears it and records
    ``emailed_at`` (``sent_at`` then becomes that moment, so the link's lifetime runs
    from the email). ``mail_claimed_until`` is the lease of the sender that holds it; a
    sender that died leaves a lease that runs out and the sweep sends the mail again.
    Imported invitations were sent by another tool: nothing is pending for them.
    """

    invitation_id = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=8, choices=SurveyKind.choices)
    client = models.ForeignKey(
        "projects.Client", on_delete=models.PROTECT, related_name="survey_invitations"
    )
    contact = models.ForeignKey(
        "projects.ClientContact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations",
    )
    contact_email = models.EmailField()
    sent_at = models.DateTimeField(db_index=True)
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_invitations",
    )
    ticket = models.ForeignKey(
        "support.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_invitations",
    )
    used_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    mail_pending = models.BooleanField(default=False)
    mail_claimed_until = models.DateTimeField(null=True, blank=True)
    mail_attempts = models.PositiveIntegerField(default=0)
    mail_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(mail_pending=True), name="invitation_mail_pending_idx"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(mail_pending=False) | Q(emailed_at__isnull=True),
                name="invitation_pending_not_emailed",
            ),
            models.UniqueConstraint(
                fields=["kind", "project"],
                condition=Q(project__isnull=False),
                name="invitation_once_per_project",
            ),
            models.UniqueConstraint(
                fields=["kind", "ticket"],
                condition=Q(ticket__isnull=False),
                name="invitation_once_per_ticket",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invitation_id} {self.kind} to {self.contact_email}"


class SurveyResponse(models.Model):
    """A client's answer: a CSAT score 1–5 or an NPS score 0–10, with an optional comment."""

    response_id = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=8, choices=SurveyKind.choices)
    client = models.ForeignKey(
        "projects.Client", on_delete=models.PROTECT, related_name="survey_responses"
    )
    score = models.PositiveSmallIntegerField()
    responded_at = models.DateTimeField(db_index=True)
    invitation = models.OneToOneField(
        SurveyInvitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="response"
    )
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
    )
    ticket = models.ForeignKey(
        "support.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
    )
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-responded_at"]
        indexes = [models.Index(fields=["kind", "responded_at"], name="response_kind_time_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="csat") & Q(score__gte=1) & Q(score__lte=5))
                | (Q(kind="nps") & Q(score__gte=0) & Q(score__lte=10)),
                name="response_score_on_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.response_id} {self.kind} {self.score}"
