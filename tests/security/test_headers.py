"""Browser security headers and templates: CSP without inline scripts, no framing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    p
    for p in ROOT.glob("**/templates/**/*.html")
    if ".venv" not in p.parts and "node_modules" not in p.parts
)

pytestmark = pytest.mark.django_db


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_pages_send_a_csp_without_inline_scripts(client):
    response = client.get(reverse("accounts:login"))
    csp = csp_directives(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_pages_refuse_to_be_framed_and_sniffed(client):
    response = client.get(reverse("accounts:login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_htmx_is_told_not_to_inject_its_indicator_style(client):
    response = client.get(reverse("accounts:login"))
    assert b'<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in (
        response.content
    )


def test_templates_are_found():
    assert len(TEMPLATES) > 10
    assert ROOT / "templates" / "base.html" in TEMPLATES


@pytest.mark.parametrize("path", TEMPLATES, ids=[str(p.relative_to(ROOT)) for p in TEMPLATES])
def test_template_has_no_inline_script_or_event_handler(path):
    text = path.read_text()
    for tag in re.findall(r"<script\b[^>]*>", text, flags=re.IGNORECASE):
        # A <script src> or a JSON data block (json_script) is fine; code inline is not.
        assert "src=" in tag or "application/json" in tag, f"inline script: {tag}"
    assert not re.search(r"\son[a-z]+\s*=", text, flags=re.IGNORECASE), "inline event handler"
    assert not re.search(r"\bhx-on[:-]", text), "hx-on evaluates inline code"
    assert "javascript:" not in text.lower()


@pytest.mark.parametrize("path", TEMPLATES, ids=[str(p.relative_to(ROOT)) for p in TEMPLATES])
def test_every_post_form_in_a_template_carries_the_csrf_token(path):
    text = path.read_text()
    for form in re.findall(r"<form\b[^>]*>.*?</form>", text, flags=re.IGNORECASE | re.DOTALL):
        if re.search(r"method=[\"']?post", form, flags=re.IGNORECASE):
            assert "{% csrf_token %}" in form, form[:120]
