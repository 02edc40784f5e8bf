"""Reads from a PostgreSQL streaming replica, with read-your-writes and a fallback to the primary.

Configured by `DATABASE_REPLICA_URL` (the `replica` database alias); without it every read goes to the
primary and nothing here does any work.

- Which requests: only GET/HEAD requests to the views named in `settings.TELLER_REPLICA_VIEWS` (the lists,
  the search and the customer page's tabs) read from the replica. Everything else, and every request of a
  staff action (POST, and the GET that opens its modal), reads and writes the primary.
- What: only models of the apps in `REPLICA_APPS` (merchant data). Sessions, users, memberships and
  sign-in throttling stay on the primary, so a sign-in, a role change or a deactivation counts at once.
- Read-your-writes: after a write request (any POST, PUT, PATCH or DELETE answered below 500) the
  primary's current WAL position is kept in the session. While the replica has not replayed up to that
  position, that session's reads go to the primary, so a staff member sees their own change on the next
  page however far the replica lags. Once it has, the pin is dropped.
- Fallback: a replica that refuses connections is left alone for `DOWN_FOR` seconds and reads go to the
  primary; /healthz reports it (common.health.check_replica).
"""

import logging
import time
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
REPLICA_APPS = frozenset(
    {"customers", "purchases", "transactions", "refunds", "providers", "access", "audit", "merchant_settings"}
)
SESSION_KEY = "teller_primary_lsn"
DOWN_FOR = 15.0  # seconds a failed replica is not tried again
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_read_alias: ContextVar[str | None] = ContextVar("teller_read_alias", default=None)
_down_until = 0.0


def configured() -> bool:
    return REPLICA in connections.settings


class ReplicaRouter:
    """Sends reads to the alias chosen for the current request (if any); every write to the primary."""

    def db_for_read(self, model, **hints):
        alias = _read_alias.get()
        if alias is None or model._meta.app_label not in REPLICA_APPS:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS  # inside a transaction (a write, a lock): read what it will write over
        return alias

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS  # also for an instance that was read from the replica

    def allow_relation(self, obj1, obj2, **hints):
        return True  # both aliases hold the same database

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


def lsn_number(text: str | None) -> int | None:
    """PostgreSQL's LSN text ('16/B374D848') as a comparable number."""
    if not text:
        return None
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def primary_lsn() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


def replica_status() -> dict:
    """The replica's replay position and whether it is in recovery (raises when it is unreachable)."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text")
        in_recovery, replayed = cursor.fetchone()
    return {"in_recovery": in_recovery, "replayed_lsn": replayed}


def mark_down(exc: Exception) -> None:
    global _down_until
    _down_until = time.monotonic() + DOWN_FOR
    logger.warning("replica unreachable, reading from the primary for %ss: %s", DOWN_FOR, exc)
    try:
        connections[REPLICA].close()
    except DatabaseError:
        pass


def is_down() -> bool:
    return time.monotonic() < _down_until


def choose_alias(request) -> str:
    """The alias this request's reads use: the replica unless it is down or behind this session's writes."""
    if not configured() or is_down():
        return DEFAULT_DB_ALIAS
    try:
        # One round trip, which also proves the replica answers.
        replayed = lsn_number(replica_status()["replayed_lsn"])
    except DatabaseError as exc:
        mark_down(exc)
        return DEFAULT_DB_ALIAS
    pinned = lsn_number(request.session.get(SESSION_KEY)) if hasattr(request, "session") else None
    if pinned is not None:
        if replayed is None or replayed < pinned:
            return DEFAULT_DB_ALIAS  # the replica has not replayed this staff member's last write yet
        request.session.pop(SESSION_KEY, None)
    return REPLICA


class ReplicaReadsMiddleware:
    """Chooses the read alias for the views that may read the replica and pins a writer to the primary.

    A replica that fails in the middle of a request (after it answered the check) is marked down and the
    view runs once more on the primary: the staff member gets the page, not an error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.teller_read_alias = DEFAULT_DB_ALIAS
        try:
            response = self.get_response(request)
        finally:
            self._stop_reading_replica(request)
        if (
            configured()
            and request.method in WRITE_METHODS
            and response.status_code < 500
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
        ):
            try:
                request.session[SESSION_KEY] = primary_lsn()
            except DatabaseError:
                pass  # the session is not pinned; the write itself already happened on the primary
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method not in ("GET", "HEAD") or not configured():
            return None
        match = request.resolver_match
        if match is None or match.view_name not in settings.TELLER_REPLICA_VIEWS:
            return None
        alias = choose_alias(request)
        request.teller_read_alias = alias
        if alias == REPLICA:
            request._teller_read_token = _read_alias.set(alias)
            request._teller_view = (view_func, view_args, view_kwargs)
        return None

    def process_exception(self, request, exception):
        view = getattr(request, "_teller_view", None)
        if view is None or request.teller_read_alias != REPLICA or not isinstance(exception, DatabaseError):
            return None
        mark_down(exception)
        self._stop_reading_replica(request)
        request.teller_read_alias = DEFAULT_DB_ALIAS
        view_func, view_args, view_kwargs = view
        response = view_func(request, *view_args, **view_kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        return response

    @staticmethod
    def _stop_reading_replica(request) -> None:
        token = getattr(request, "_teller_read_token", None)
        if token is not None:
            _read_alias.reset(token)
            request._teller_read_token = None
