"""The webhook ingest floor: Teller's WSGI application plus one bare endpoint, for bench/webhooks.py.

POST /bench-floor/<merchant slug>/ does only what any correct ingest must pay for: read the merchant's
webhook secret, verify the Stripe-Signature header over the body, insert the raw body into one table, and
answer 200. No middleware, no JSON parsing, no de-duplication, no wake-up of the applier. Every other path
goes to Teller itself, so both run in the same gunicorn processes with the same settings and connections.

    gunicorn --pythonpath bench floor_wsgi:application
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import stripe  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402

teller = get_wsgi_application()

from merchants.selectors import stripe_webhook_endpoint  # noqa: E402

PREFIX = "/bench-floor/"
TABLE = "bench_floor_event"


def ensure_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} "
            "(id bigserial PRIMARY KEY, merchant_id bigint NOT NULL, body text NOT NULL, "
            "received_at timestamptz NOT NULL DEFAULT now())"
        )


def _answer(start_response, status: str, payload: dict):
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def floor(environ, start_response):
    close_old_connections()  # what Django's request_started does: honour CONN_MAX_AGE and health checks
    slug = environ["PATH_INFO"][len(PREFIX) :].strip("/")
    endpoint = stripe_webhook_endpoint(slug)  # the same lookup as Teller's: one SELECT of two columns
    if endpoint is None:
        return _answer(start_response, "404 Not Found", {"error": "unknown merchant"})
    length = int(environ.get("CONTENT_LENGTH") or 0)
    payload = environ["wsgi.input"].read(length).decode("utf-8")
    try:
        stripe.WebhookSignature.verify_header(
            payload,
            environ.get("HTTP_STRIPE_SIGNATURE", ""),
            endpoint.secret,
            settings.STRIPE_WEBHOOK_TOLERANCE,
        )
    except (ValueError, stripe.SignatureVerificationError):
        return _answer(start_response, "400 Bad Request", {"error": "bad signature"})
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (merchant_id, body) VALUES (%s, %s)", [endpoint.merchant_id, payload]
        )
    return _answer(start_response, "200 OK", {"received": True})


def application(environ, start_response):
    if environ.get("PATH_INFO", "").startswith(PREFIX) and environ.get("REQUEST_METHOD") == "POST":
        return floor(environ, start_response)
    return teller(environ, start_response)
