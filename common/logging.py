"""Structured JSON logs (structlog) for web and worker processes.

Every line is one JSON object with the event, level, logger, timestamp and whatever the request bound in
structlog's context: request_id (common.middleware.RequestIdMiddleware), merchant and actor
(merchants.middleware). Standard-library loggers (Django, Celery, axes) go through the same renderer, so
one log pipeline parses everything. Secrets never reach a log line: `redact` masks known secret keys.
"""

import structlog

SECRET_KEYS = {
    "password",
    "secret",
    "token",
    "stripe_secret_key",
    "stripe_webhook_secret",
    "telegram_bot_token",
    "authorization",
    "cookie",
    "sessionid",
    "csrftoken",
    "api_key",
}


def redact(logger, method_name, event_dict):
    """Mask values whose key names a secret, whoever logged them."""
    for key in list(event_dict):
        if key.lower() in SECRET_KEYS or key.lower().endswith(("_secret", "_token", "_password")):
            event_dict[key] = "[redacted]"
    return event_dict


SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    redact,
]


def configure_structlog() -> None:
    """structlog loggers hand their events to the stdlib handlers configured by `logging_config`."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def json_formatter() -> structlog.stdlib.ProcessorFormatter:
    """The formatter the settings' LOGGING dict names: renders every record (structlog or stdlib) as JSON."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(default=str),
        ],
    )


def logging_config(level: str = "INFO") -> dict:
    """A dictConfig for settings.LOGGING: one JSON console handler at the root."""
    configure_structlog()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "common.logging.json_formatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Request lines are logged by our middleware context; Django's 4xx warnings stay, quieter.
            "django.server": {"level": "WARNING"},
        },
    }


def bind_request_identity(request) -> None:
    """Bind the merchant and actor of this request to every log line it produces."""
    merchant = getattr(request, "merchant", None)
    user = getattr(request, "user", None)
    structlog.contextvars.bind_contextvars(
        merchant=merchant.slug if merchant else None,
        actor=user.pk if user is not None and user.is_authenticated else None,
    )
