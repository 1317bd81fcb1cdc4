"""A staff member works a ticket in a real browser (headless Debian Chromium, Playwright).

Opens a ticket (the contract list narrows to the chosen client over HTMX), answers it
(first response), waits on the customer and resumes, then resolves it on first contact.
"""

from __future__ import annotations

import pytest

from support.models import SlaPolicy, Ticket, TicketPause
from tests.factories import ClientFactory, ContractFactory, EmployeeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_open_answer_pause_and_resolve_a_ticket(browser_page):
    from playwright.sync_api import expect

    page = browser_page
    # A transactional test flushes the tables, the migrated default policies with them.
    SlaPolicy.objects.get_or_create(
        priority="P1", defaults={"respond_minutes": 60, "resolve_minutes": 240, "calendar": "24x7"}
    )
    user = UserFactory(username="sam", first_name="Sam", last_name="Staff")
    user.set_password("s3cret-pass")
    user.save()
    EmployeeFactory(user=user, role="staff", full_name="Sam Staff")
    acme = ClientFactory(code="ACME", name="Acme")
    ContractFactory(client=acme, code="MS-ACME")
    ContractFactory(client=ClientFactory(code="OTHER"), code="MS-OTHER")

    page.goto("/accounts/login/")
    page.fill("input[name=username]", "sam")
    page.fill("input[name=password]", "s3cret-pass")
    page.click("button[type=submit]")

    page.goto("/tickets/new/")
    page.select_option("select[name=client]", label="ACME Acme")
    contract = page.locator("#ticket-links select[name=contract]")
    # The HTMX swap narrows the contracts to the chosen client's.
    expect(contract.locator("option", has_text="MS-OTHER")).to_have_count(0)
    expect(contract.locator("option", has_text="MS-ACME")).to_have_count(1)
    contract.select_option(label="MS-ACME Managed services")
    page.select_option("select[name=priority]", "P1")
    page.fill("input[name=subject]", "Scanners offline")
    page.click("button:has-text('Open ticket')")
    page.wait_for_selector("h1:has-text('Scanners offline')")
    ticket = Ticket.objects.get()
    assert (ticket.contract.code, ticket.assignee.full_name) == ("MS-ACME", "Sam Staff")

    page.fill("textarea[name=body]", "Looking into it now.")
    page.click("button:has-text('Add comment')")
    page.wait_for_selector("#ticket-comments .badge:has-text('First response')")
    page.wait_for_selector("#ticket-status .status:has-text('In progress')")

    page.click("button:has-text('Wait on customer')")
    page.wait_for_selector("#ticket-status :text('clock stopped')")
    assert TicketPause.objects.filter(ticket=ticket, resumed_at__isnull=True).count() == 1
    page.click("button:has-text('Customer replied: resume')")
    page.wait_for_selector("#ticket-status .status:has-text('In progress')")

    page.click("summary:has-text('Resolve')")
    page.check("input[name=first_contact_resolved]")
    page.click("button:has-text('Resolve ticket')")
    page.wait_for_selector("#ticket-status .status:has-text('Resolved')")
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert ticket.first_response_at is not None
    assert ticket.first_contact_resolved is True
    assert TicketPause.objects.get(ticket=ticket).resumed_at is not None
