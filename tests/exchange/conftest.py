"""Helpers for the exchange tests: a valid folder of every file, and running the commands."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

#: A small valid folder touching every file and every reference kind.
VALID: dict[str, str] = {
    "clients.csv": """\
code,name,became_client_on,churned_on
C1,Acme,2024-01-01,
C2,Globex,2024-01-01,2025-06-30
""",
    "employees.csv": """\
username,full_name,email,role,hours_per_day,employed_from,employed_until,cost_rate,bill_rate
ann,Ann Analyst,ann@example.com,staff,8,2024-01-01,,50,140
bob,Bob Boss,,manager,,2024-01-01,2025-12-31,80,200
""",
    "rates.csv": """\
username,effective_from,cost_rate,bill_rate
ann,2025-01-01,60,150
""",
    "holidays.csv": """\
date,name
2025-01-01,New Year
""",
    "leave.csv": """\
username,date,hours
ann,2025-02-07,8
""",
    "projects.csv": """\
code,client_code,name,billing,revenue,budget,planned_start,planned_end,actual_start,actual_end,status,requirements_met,user_count
P1,C1,ERP rollout,fixed,150000,100000,2025-01-06,2025-03-28,2025-01-06,,active,false,0
P2,C2,Network refresh,time_and_materials,,20000,2025-02-01,2025-02-28,,,planned,,
""",
    "progress.csv": """\
project_code,date,percent_complete
P1,2025-01-31,25.5
""",
    "project_expenses.csv": """\
expense_id,project_code,date,category,amount
X1,P1,2025-01-15,hardware,1200.50
""",
    "downtime.csv": """\
downtime_id,project_code,started_at,ended_at
D1,P1,2025-01-10T09:00:00,2025-01-10T11:30:00
""",
    "contracts.csv": """\
code,client_code,name,monthly_fee,start_date,end_date
MS1,C1,Managed services,10000,2024-01-01,
""",
    "overheads.csv": """\
month,category,amount
2025-01,facilities,5000
""",
    "tickets.csv": """\
ref,client_code,project_code,contract_code,priority,subject,opened_at,first_response_at,resolved_at,assignee,escalated,first_contact_resolved
"""
    'T1,C1,,MS1,P2,"Printer on fire, again",2025-02-03T10:00:00Z,'
    "2025-02-03T10:30:00Z,2025-02-03T15:00:00Z,ann,false,true\n"
    "T2,C1,P1,,P3,VPN down,2025-02-04T09:00:00Z,,,,no,no\n",
    "ticket_pauses.csv": """\
ticket_ref,paused_at,resumed_at
T1,2025-02-03T11:00:00Z,2025-02-03T12:00:00Z
""",
    "time_entries.csv": """\
entry_id,username,date,hours,billable,activity,project_code,contract_code,ticket_ref,note
E1,ann,2025-02-03,6,true,delivery,P1,,,
E2,ann,2025-02-03,2,false,support,,,T1,fixed the printer
E3,bob,2024-12-02,7.5,yes,delivery,P1,,,
""",
    "survey_invitations.csv": """\
invitation_id,kind,client_code,contact_email,sent_at,project_code,ticket_ref
I1,csat,C1,cio@acme.example,2025-02-04T08:00:00Z,,T1
""",
    "survey_responses.csv": """\
response_id,kind,client_code,score,responded_at,invitation_id,project_code,ticket_ref,comment
R1,csat,C1,5,2025-02-04T09:00:00Z,I1,,T1,Quick fix
R2,nps,C2,9,2025-02-05T09:00:00Z,,,,
""",
}


def write_folder(directory: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (name → text or bytes) into ``directory`` and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return directory


def run_command(name: str, *args: str) -> tuple[int, str, str]:
    """Run a management command; return (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def folder(tmp_path: Path) -> Callable[..., Path]:
    """Return a factory writing a folder: the VALID files with ``changes`` applied.

    ``changes`` maps a file name to new content, or to a ``(old, new)`` text replacement;
    ``only`` limits the folder to some files.
    """
    counter = iter(range(1000))

    def make(changes: dict | None = None, only: tuple[str, ...] | None = None) -> Path:
        files: dict[str, str | bytes] = {
            name: text for name, text in VALID.items() if only is None or name in only
        }
        for name, change in (changes or {}).items():
            if isinstance(change, tuple):
                old, new = change
                assert old in files[name], f"{old!r} not in {name}"
                files[name] = files[name].replace(old, new, 1)
            else:
                files[name] = change
        return write_folder(tmp_path / f"in{next(counter)}", files)

    return make
