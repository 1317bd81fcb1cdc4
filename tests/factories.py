"""factory-boy factories for every model, with explicit dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from projects.models import (
    Client,
    ClientContact,
    Contract,
    Downtime,
    Overhead,
    Project,
    ProjectExpense,
    ProjectProgress,
)
from support.models import Ticket, TicketPause
from surveys.models import SurveyInvitation, SurveyResponse
from timesheets.models import Employee, Holiday, Leave, Rate, TimeEntry


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"Client {n}")
    became_client_on = dt.date(2024, 1, 1)


class ClientContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientContact

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@client.example")


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    code = factory.Sequence(lambda n: f"MS-{n:03d}")
    client = factory.SubFactory(ClientFactory)
    name = "Managed services"
    monthly_fee = Decimal("10000.00")
    start_date = dt.date(2024, 1, 1)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"PRJ-{n:03d}")
    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Project {n}")
    billing = Project.Billing.FIXED
    revenue = Decimal("150000.00")
    budget = Decimal("100000.00")
    planned_start = dt.date(2025, 1, 1)
    planned_end = dt.date(2025, 3, 1)
    status = Project.Status.PLANNED


class ProjectProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectProgress

    project = factory.SubFactory(ProjectFactory)
    date = dt.date(2025, 1, 31)
    percent_complete = Decimal(50)


class ProjectExpenseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectExpense

    expense_id = factory.Sequence(lambda n: f"X{n}")
    project = factory.SubFactory(ProjectFactory)
    date = dt.date(2025, 1, 15)
    category = "hardware"
    amount = Decimal("1000.00")


class DowntimeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Downtime

    downtime_id = factory.Sequence(lambda n: f"DT{n}")
    project = factory.SubFactory(ProjectFactory)
    started_at = dt.datetime(2025, 1, 10, 0, 0, tzinfo=dt.UTC)
    ended_at = dt.datetime(2025, 1, 10, 1, 0, tzinfo=dt.UTC)


class OverheadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Overhead

    month = dt.date(2025, 1, 1)
    category = Overhead.Category.SALES_MARKETING
    amount = Decimal("10000.00")


class EmployeeFactory(factory.django.DjangoModelFactory):
    """An employee with a user and a first rate: ``EmployeeFactory(rates=(cost, bill))``."""

    class Meta:
        model = Employee
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    full_name = factory.Sequence(lambda n: f"Employee {n}")
    role = Employee.Role.STAFF
    hours_per_day = Decimal(8)
    employed_from = dt.date(2024, 1, 1)

    @factory.post_generation
    def rates(obj, create, extracted, **kwargs):
        if create:
            cost, bill = extracted or (Decimal("50.00"), Decimal("140.00"))
            Rate.objects.create(
                employee=obj, effective_from=obj.employed_from, cost_rate=cost, bill_rate=bill
            )


class RateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rate

    employee = factory.SubFactory(EmployeeFactory)
    effective_from = dt.date(2025, 1, 1)
    cost_rate = Decimal("60.00")
    bill_rate = Decimal("150.00")


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holiday
        django_get_or_create = ("date",)

    date = dt.date(2025, 1, 1)
    name = "Holiday"


class LeaveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Leave

    employee = factory.SubFactory(EmployeeFactory)
    date = dt.date(2025, 2, 3)
    hours = Decimal(8)


class TimeEntryFactory(factory.django.DjangoModelFactory):
    """A time entry; save it through ``timesheets.services`` to cost it (see there)."""

    class Meta:
        model = TimeEntry

    entry_id = factory.Sequence(lambda n: f"T{n}")
    employee = factory.SubFactory(EmployeeFactory)
    date = dt.date(2025, 2, 3)
    hours = Decimal(8)
    billable = True
    activity = TimeEntry.Activity.DELIVERY


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    ref = factory.Sequence(lambda n: f"TCK-{n:05d}")
    client = factory.SubFactory(ClientFactory)
    priority = "P3"
    subject = "Printer on fire"
    opened_at = dt.datetime(2025, 2, 3, 10, 0, tzinfo=dt.UTC)


class TicketPauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketPause

    ticket = factory.SubFactory(TicketFactory)
    paused_at = dt.datetime(2025, 2, 3, 11, 0, tzinfo=dt.UTC)


class SurveyInvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyInvitation

    invitation_id = factory.Sequence(lambda n: f"INV{n}")
    kind = "csat"
    client = factory.SubFactory(ClientFactory)
    contact_email = factory.Sequence(lambda n: f"contact{n}@client.example")
    sent_at = dt.datetime(2025, 2, 1, 12, 0, tzinfo=dt.UTC)


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyResponse

    response_id = factory.Sequence(lambda n: f"S{n}")
    kind = "csat"
    client = factory.SubFactory(ClientFactory)
    score = 5
    responded_at = dt.datetime(2025, 2, 1, 12, 0, tzinfo=dt.UTC)
