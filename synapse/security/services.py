"""Second-factor enrolment: a TOTP device for a user."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "authenticator app"


@transaction.atomic
def totp_device_enroll(*, username: str) -> TOTPDevice:
    """Give the user a new confirmed TOTP device, replacing the one made by this service.

    Raise ``User.DoesNotExist`` for an unknown username. The caller shows the device's
    ``config_url`` (an ``otpauth://`` URI) to the user, once, to load into an app.
    """
    user = get_user_model().objects.get(username=username)
    TOTPDevice.objects.filter(user=user, name=DEVICE_NAME).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
