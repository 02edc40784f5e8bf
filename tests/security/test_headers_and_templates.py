"""Security headers on real pages, no inline script/style in any template, and a clean `check --deploy`."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.urls import reverse

from tests.factories import CustomerFactory, TransactionFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "customers:list",
    "transactions:list",
    "audit:list",
    "staff",
    "providers:events",
    "purchases:access-codes",
]

# What the Content-Security-Policy forbids, found in a template before a browser finds it.
INLINE_PATTERNS = {
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "<style> block": re.compile(r"<style[\s>]", re.I),
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc\s*=)[^>]*>", re.I),
    "on...= handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "hx-on handler": re.compile(r"\shx-on", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def _templates():
    dirs = [ROOT / "templates", *ROOT.glob("*/templates")]
    return sorted(p for d in dirs if ".venv" not in d.parts for p in d.rglob("*.html"))


def test_no_template_has_inline_scripts_styles_or_event_handlers():
    found = [
        f"{path.relative_to(ROOT)}:{n}: {what}"
        for path in _templates()
        for n, line in enumerate(path.read_text().splitlines(), 1)
        for what, pattern in INLINE_PATTERNS.items()
        if pattern.search(line)
    ]

    assert len(_templates()) > 10
    assert found == []


@pytest.mark.parametrize("name", PAGES)
def test_main_pages_send_a_strict_content_security_policy(owner_client, merchant, name):
    TransactionFactory(customer=CustomerFactory(merchant=merchant))

    response = owner_client.get(reverse(name))

    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'nonce-" in script_src  # the one script tag carries the request's nonce


def test_pages_forbid_framing_sniffing_and_cross_site_referrers(client):
    response = client.get(reverse("login"))

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Content-Security-Policy" in response


def test_hsts_is_sent_over_https_in_production_mode(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    response = client.get(reverse("login"), secure=True)

    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def _production_env(**extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "REDIS_URL", "DEBUG", "DJANGO_"))
    }
    env.update(
        TELLER_PRODUCTION="true",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="teller.example.com",
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def _run(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_sets_secure_cookies_hsts_and_https_redirect():
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k)"
        " for k in ['DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT',"
        " 'SECURE_HSTS_SECONDS', 'SESSION_COOKIE_HTTPONLY']}))"
    )
    env = _production_env(DJANGO_SETTINGS_MODULE="config.settings")

    result = _run(["-c", code], env)
    values = json.loads(result.stdout.strip().splitlines()[-1])

    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SESSION_COOKIE_HTTPONLY": True,
    }


# Run in a fresh process: INSTALLED_APPS and the URLconf are fixed when Django starts. The pay page is
# requested only where no route matches it (the view itself would need a migrated database).
SANDBOX_PROBE = """
import json, django; django.setup()
from django.apps import apps
from django.test import Client
from django.urls import Resolver404, resolve
from merchants.models import Merchant
from payments.base import ProviderNotConnected
from payments.registry import get_provider
try:
    provider = type(get_provider(Merchant(name="M", slug="m", provider="SANDBOX"))).__name__
except ProviderNotConnected:
    provider = "not connected"
try:
    route, status = resolve("/sandbox/pay/cs_test_x/").view_name, None
except Resolver404:
    route = None
    status = Client().get("/sandbox/pay/cs_test_x/", secure=True, HTTP_HOST="teller.example.com").status_code
print(json.dumps({"installed": apps.is_installed("sandbox"), "provider": provider, "route": route,
                  "status": status}))
"""


def _sandbox_probe(env):
    result = _run(["-c", SANDBOX_PROBE], {**env, "DJANGO_SETTINGS_MODULE": "config.settings"})
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_mode_has_no_sandbox_app_page_or_provider():
    assert _sandbox_probe(_production_env()) == {
        "installed": False,
        "provider": "not connected",
        "route": None,
        "status": 404,
    }


def test_the_sandbox_is_on_by_default_outside_production_and_can_be_switched_off():
    development = {**_production_env(), "TELLER_PRODUCTION": "false"}

    on = _sandbox_probe(development)
    off = _sandbox_probe({**development, "TELLER_SANDBOX": "false"})
    forced = _sandbox_probe(_production_env(TELLER_SANDBOX="true"))

    assert on == {"installed": True, "provider": "SandboxProvider", "route": "sandbox:pay", "status": None}
    assert off == {"installed": False, "provider": "not connected", "route": None, "status": 404}
    assert forced["installed"] is True and forced["route"] == "sandbox:pay"


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEY"])
def test_production_mode_refuses_to_start_without_its_keys(missing):
    env = _production_env()
    env.pop(missing)

    result = _run(["manage.py", "check"], env)

    assert result.returncode != 0
    assert missing in result.stderr
