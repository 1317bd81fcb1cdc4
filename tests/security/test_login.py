"""Signing in: no user enumeration, a new session key, no demo password outside debug."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.urls import reverse

from synapse.security.backends import client_ip_address
from tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture
def ada():
    user = EmployeeFactory(role="staff", user__username="ada", user__email="ada@firm.example").user
    user.set_password(PASSWORD)
    user.save()
    return user


def login(client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def page_text(response, username: str) -> str:
    """Return the page with the echoed username and the per-request tokens blanked."""
    text = response.content.decode().replace(username, "USERNAME")
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "TOKEN", text)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "TOKEN", text)


def test_unknown_user_and_wrong_password_get_the_same_answer(client, ada):
    wrong_password = login(client, "ada", "not-it")
    unknown_user = login(client, "nobody", "not-it")
    assert wrong_password.status_code == unknown_user.status_code == 200
    assert page_text(wrong_password, "ada") == page_text(unknown_user, "nobody")
    assert "Please enter a correct username and password" in page_text(unknown_user, "nobody")


def test_inactive_user_gets_the_same_answer_as_a_wrong_password(client, ada):
    wrong_password = login(client, "ada", "not-it")
    ada.is_active = False
    ada.save()
    inactive = login(client, "ada", PASSWORD)
    assert page_text(inactive, "ada") == page_text(wrong_password, "ada")


def test_login_gives_a_new_session_key(client, ada):
    client.get(reverse("accounts:login"))
    session = client.session
    session["before"] = "anonymous"
    session.save()
    before = session.session_key
    client.cookies[django_settings.SESSION_COOKIE_NAME] = before

    response = login(client, "ada", PASSWORD)
    assert response.status_code == 302
    assert client.session.session_key != before
    assert client.session["_auth_user_id"] == str(ada.pk)


def test_demo_password_is_refused_with_debug_off(client, settings):
    user = UserFactory(username="staff")
    user.set_password("demo")
    user.save()
    settings.DEBUG = False
    refused = login(client, "staff", "demo")
    assert refused.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Please enter a correct username and password" in refused.content.decode()

    settings.DEBUG = True
    assert login(client, "staff", "demo").status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_password_reset_answers_the_same_for_unknown_addresses(client, ada):
    url = reverse("accounts:password_reset")
    known = client.post(url, {"email": "ada@firm.example"})
    unknown = client.post(url, {"email": "nobody@firm.example"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("accounts:password_reset_done")
    assert [m.to for m in mail.outbox] == [["ada@firm.example"]]
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    assert "/accounts/password-reset/" in link


def test_password_reset_link_sets_a_password_that_passes_the_validators(client, ada):
    client.post(reverse("accounts:password_reset"), {"email": "ada@firm.example"})
    link = re.search(r"https?://[^/]+(\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    action = form_page.redirect_chain[-1][0]
    weak = client.post(action, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200
    assert "too common" in weak.content.decode()
    done = client.post(
        action, {"new_password1": "a-fresh-long-pass", "new_password2": "a-fresh-long-pass"}
    )
    assert done["Location"] == reverse("accounts:password_reset_complete")
    ada.refresh_from_db()
    assert ada.check_password("a-fresh-long-pass")


def test_password_validators_are_on():
    names = [v["NAME"].rsplit(".", 1)[-1] for v in django_settings.AUTH_PASSWORD_VALIDATORS]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]


def test_client_address_behind_proxies_is_the_trusted_hop(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7")
    settings.SYNAPSE_PROXY_COUNT = 0
    assert client_ip_address(request) == "10.9.9.9"
    settings.SYNAPSE_PROXY_COUNT = 1  # the client may forge the first entry, not the last
    assert client_ip_address(request) == "203.0.113.7"
    settings.SYNAPSE_PROXY_COUNT = 3  # fewer hops than proxies: the direct peer
    assert client_ip_address(request) == "10.9.9.9"
