"""``manage.py otp_enroll USERNAME``: give a user a TOTP second factor for the admin."""

from __future__ import annotations

import io
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from synapse.security.services import totp_device_enroll


class Command(BaseCommand):
    help = (
        "Create (or replace) the user's TOTP device and print its otpauth:// URI and a QR "
        "code to scan with an authenticator app. The admin asks for its codes when "
        "SYNAPSE_ADMIN_REQUIRE_OTP is on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--no-qr", action="store_true", help="print the URI only")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            device = totp_device_enroll(username=options["username"])
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user named {options['username']!r}.") from exc
        uri = device.config_url
        if not options["no_qr"]:
            import qrcode

            code = qrcode.QRCode(border=1)
            code.add_data(uri)
            out = io.StringIO()
            code.print_ascii(out=out, invert=True)
            self.stdout.write(out.getvalue())
        self.stdout.write(uri)
        self.stdout.write(
            "Scan the code or enter the URI in an authenticator app; the admin sign-in then "
            "asks for its 6-digit code. Running this again replaces the device."
        )
