"""The import and user accounts: superusers untouched, email changes only on request,
leavers' accounts deactivated; billable internal or training time refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from synapse import rules
from tests.exchange.conftest import run_command
from tests.factories import EmployeeFactory, UserFactory
from timesheets.models import Employee, TimeEntry

pytestmark = pytest.mark.django_db

HEADER = (
    "username,full_name,email,role,hours_per_day,employed_from,employed_until,cost_rate,bill_rate\n"
)
User = get_user_model()


def employees(*rows: str) -> dict[str, str]:
    return {"employees.csv": HEADER + "".join(f"{row}\n" for row in rows)}


def test_a_superusers_username_is_refused_and_nothing_is_written(folder):
    UserFactory(username="root", email="root@firm.example", is_superuser=True, is_staff=True)
    directory = folder(
        employees(
            "ann,Ann Analyst,ann@example.com,staff,8,2024-01-01,,50,140",
            "root,Root Admin,root@firm.example,staff,8,2024-01-01,,50,140",
        ),
        only=("employees.csv",),
    )
    status, out, err = run_command("import_data", str(directory))
    assert status == 1
    assert err.splitlines()[0] == (
        "employees.csv:3: username: “root” is a superuser: the import does not change "
        "superusers' accounts"
    )
    assert not Employee.objects.exists()
    assert not User.objects.filter(username="ann").exists()


def test_changing_an_accounts_email_is_refused_without_the_flag(folder):
    EmployeeFactory(user=UserFactory(username="ann", email="ann@old.example"))
    directory = folder(
        employees("ann,Ann Analyst,ann@new.example,staff,8,2024-01-01,,50,140"),
        only=("employees.csv",),
    )
    status, out, err = run_command("import_data", str(directory))
    assert status == 1
    assert err.splitlines()[0] == (
        "employees.csv:2: email: would change the account's email from ann@old.example to "
        "ann@new.example; run import_data with --update-accounts to allow it"
    )
    assert User.objects.get(username="ann").email == "ann@old.example"
    assert Employee.objects.get().full_name != "Ann Analyst"


def test_the_flag_applies_each_email_change_and_lists_it(folder):
    EmployeeFactory(user=UserFactory(username="ann", email="ann@old.example"))
    EmployeeFactory(user=UserFactory(username="bob", email="bob@firm.example"))
    directory = folder(
        employees(
            "ann,Ann Analyst,ann@new.example,staff,8,2024-01-01,,50,140",
            "bob,Bob Boss,bob@firm.example,manager,8,2024-01-01,,80,200",
        ),
        only=("employees.csv",),
    )
    status, out, err = run_command("import_data", str(directory), "--update-accounts")
    assert status == 0, err
    changes = [line for line in out.splitlines() if line.startswith("Account email")]
    assert changes == ["Account email changed: ann: ann@old.example → ann@new.example"]
    assert User.objects.get(username="ann").email == "ann@new.example"
    assert User.objects.get(username="bob").email == "bob@firm.example"


def test_a_dry_run_with_the_flag_says_what_would_change_and_changes_nothing(folder):
    EmployeeFactory(user=UserFactory(username="ann", email="ann@old.example"))
    directory = folder(
        employees("ann,Ann Analyst,ann@new.example,staff,8,2024-01-01,,50,140"),
        only=("employees.csv",),
    )
    status, out, err = run_command("import_data", str(directory), "--update-accounts", "--dry-run")
    assert status == 0, err
    assert out.splitlines()[0] == (
        "Account email would change: ann: ann@old.example → ann@new.example"
    )
    assert User.objects.get(username="ann").email == "ann@old.example"


def test_the_same_email_or_a_new_account_needs_no_flag(folder):
    EmployeeFactory(user=UserFactory(username="ann", email="ann@example.com"))
    directory = folder(
        employees(
            "ann,Ann Analyst,ann@example.com,staff,8,2024-01-01,,50,140",
            "cat,Cat Coder,cat@example.com,staff,8,2024-01-01,,50,140",
        ),
        only=("employees.csv",),
    )
    status, out, err = run_command("import_data", str(directory))
    assert status == 0, err
    assert "Account email" not in out
    assert User.objects.get(username="cat").email == "cat@example.com"


def test_importing_a_past_end_date_deactivates_the_account(folder):
    EmployeeFactory(user=UserFactory(username="ann", email="ann@example.com"))
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    directory = folder(
        employees(
            f"ann,Ann Analyst,ann@example.com,staff,8,2024-01-01,{yesterday},50,140",
            "cat,Cat Coder,cat@example.com,staff,8,2024-01-01,,50,140",
        ),
        only=("employees.csv",),
    )
    status, out, err = run_command("import_data", str(directory))
    assert status == 0, err
    assert User.objects.get(username="ann").is_active is False
    assert User.objects.get(username="cat").is_active is True


@pytest.mark.parametrize("activity", ["internal", "training"])
def test_billable_internal_or_training_time_is_refused(folder, activity):
    directory = folder(
        {
            "time_entries.csv": (
                "E2,ann,2025-02-03,2,false,support,,,T1,",
                f"E2,ann,2025-02-03,2,true,{activity},,,T1,",
            )
        }
    )
    status, out, err = run_command("import_data", str(directory))
    assert status == 1
    message = rules.non_billable_error({"billable": True, "activity": activity})
    assert message == f"must be false: {activity} time is never billable"
    assert err.splitlines()[0] == f"time_entries.csv:3: billable: {message}"
    assert not TimeEntry.objects.exists()
