"""A second PostgreSQL session on the test database, to hold a lock the way another worker would."""

import psycopg
from django.db import connection


def other_session(*, autocommit: bool = True) -> psycopg.Connection:
    db = connection.settings_dict
    dsn = {"dbname": db["NAME"], "user": db["USER"], "password": db["PASSWORD"], "host": db["HOST"]}
    dsn["port"] = db["PORT"] or 5432
    return psycopg.connect(**{k: v for k, v in dsn.items() if v}, autocommit=autocommit)
