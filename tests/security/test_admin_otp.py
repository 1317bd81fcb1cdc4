"""The admin asks for a TOTP code when SYNAPSE_ADMIN_REQUIRE_OTP is on."""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "admin-pass-phrase-2025"


@pytest.fixture
def superuser():
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def test_admin_requires_a_verified_second_factor_when_on(client, superuser, settings):
    settings.SYNAPSE_ADMIN_REQUIRE_OTP = True
    client.force_login(superuser)  # a password sign-in on the site's own form
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    login_page = client.get(response["Location"])
    assert "otp_token" in login_page.content.decode()


def test_admin_is_plain_when_off(client, superuser, settings):
    settings.SYNAPSE_ADMIN_REQUIRE_OTP = False
    client.force_login(superuser)
    assert client.get(reverse("admin:index")).status_code == 200


def test_enrolled_admin_signs_in_with_password_and_code(client, superuser, settings):
    settings.SYNAPSE_ADMIN_REQUIRE_OTP = True
    call_command("otp_enroll", "root", "--no-qr", stdout=open("/dev/null", "w"))  # noqa: SIM115
    device = TOTPDevice.objects.get(user=superuser)
    form = {"username": "root", "password": PASSWORD, "next": reverse("admin:index")}

    wrong = client.post(reverse("admin:login"), {**form, "otp_token": "000000"})
    assert wrong.status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302

    ok = client.post(
        reverse("admin:login"),
        {**form, "otp_device": device.persistent_id, "otp_token": current_code(device)},
    )
    assert ok.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_otp_enroll_prints_an_otpauth_uri_and_replaces_the_device(superuser, capsys):
    call_command("otp_enroll", "root")
    first = capsys.readouterr().out
    uri = re.search(r"otpauth://totp/\S+", first).group(0)
    assert "issuer=Synapse" in uri
    assert "secret=" in uri
    call_command("otp_enroll", "root", "--no-qr")
    second = re.search(r"otpauth://totp/\S+", capsys.readouterr().out).group(0)
    assert second != uri
    assert TOTPDevice.objects.filter(user=superuser, confirmed=True).count() == 1


def test_otp_enroll_rejects_an_unknown_user():
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("otp_enroll", "nobody")
