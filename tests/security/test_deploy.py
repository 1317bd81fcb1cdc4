"""Deployment checklist: ``check --deploy --fail-level WARNING`` under production settings."""

from __future__ import annotations

import pytest
from django.core.checks import ERROR

from synapse.security.checks import demo_logins_absent
from tests.factories import UserFactory
from tests.security.conftest import manage, settings_value

DEPLOY_CHECK = ("check", "--deploy", "--fail-level", "WARNING")


def test_deploy_check_passes_with_the_production_environment(prod_env):
    result = manage(prod_env(), *DEPLOY_CHECK)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "issue"),
    [
        ({"DJANGO_DEBUG": "1"}, "security.W018"),  # debug on
        ({"DJANGO_SECRET_KEY": None}, "synapse.E001"),  # no secret key
        ({"DJANGO_SECRET_KEY": "short"}, "security.W009"),  # a weak key
        ({"DJANGO_SECURE_COOKIES": "0"}, "security.W012"),  # session cookie over HTTP
        ({"DJANGO_SECURE_SSL_REDIRECT": "0"}, "security.W008"),  # no HTTPS redirect
        ({"DJANGO_SECURE_HSTS_SECONDS": "0"}, "security.W004"),  # no HSTS
        ({"DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "0"}, "security.W005"),
        ({"DJANGO_SECURE_HSTS_PRELOAD": "0"}, "security.W021"),
    ],
    ids=["debug", "no-key", "weak-key", "cookies", "ssl-redirect", "hsts", "subdomains", "preload"],
)
def test_deploy_check_fails_without_each_protection(prod_env, overrides, issue):
    result = manage(prod_env(**overrides), *DEPLOY_CHECK)
    assert result.returncode != 0
    assert issue in result.stdout + result.stderr


def test_production_defaults_of_the_security_settings(prod_env):
    env = prod_env()
    assert settings_value(env, "SECURE_SSL_REDIRECT") == "True"
    assert settings_value(env, "SECURE_HSTS_SECONDS") == str(365 * 24 * 3600)
    assert settings_value(env, "CSRF_COOKIE_SECURE") == "True"
    assert settings_value(env, "ALLOWED_HOSTS") == "['synapse.example.com']"
    assert settings_value(env, "SYNAPSE_ADMIN_REQUIRE_OTP") == "True"
    assert settings_value(env, "X_FRAME_OPTIONS") == "'DENY'"


def test_debug_mode_keeps_the_demo_usable(prod_env):
    env = prod_env(DJANGO_DEBUG="1")
    assert settings_value(env, "SYNAPSE_ADMIN_REQUIRE_OTP") == "False"
    assert settings_value(env, "SECURE_SSL_REDIRECT") == "False"
    assert settings_value(env, "SECURE_HSTS_SECONDS") == "0"


def test_proxy_ssl_header_and_otp_come_from_the_environment(prod_env):
    env = prod_env(
        DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto", SYNAPSE_ADMIN_REQUIRE_OTP="0"
    )
    assert settings_value(env, "SECURE_PROXY_SSL_HEADER") == "('HTTP_X_FORWARDED_PROTO', 'https')"
    assert settings_value(env, "SYNAPSE_ADMIN_REQUIRE_OTP") == "False"
    env = prod_env(DJANGO_SECURE_PROXY_SSL_HEADER="X-Scheme=secure")
    assert settings_value(env, "SECURE_PROXY_SSL_HEADER") == "('HTTP_X_SCHEME', 'secure')"


@pytest.mark.django_db
def test_deploy_check_refuses_demo_logins_with_the_demo_password(settings):
    settings.DEBUG = False
    admin = UserFactory(username="admin", is_superuser=True)
    admin.set_password("demo")
    admin.save()
    UserFactory(username="exec").set_password("x")
    errors = demo_logins_absent()
    assert [(e.id, e.level) for e in errors] == [("synapse.E002", ERROR)]
    assert "admin" in errors[0].msg
    settings.DEBUG = True  # the demo, in debug mode, may have them
    assert demo_logins_absent() == []
    settings.DEBUG = False
    admin.set_password("a-long-and-unguessable-passphrase")
    admin.save()
    assert demo_logins_absent() == []
