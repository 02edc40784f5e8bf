"""Writes of the transactions app."""

from datetime import datetime

from django.db import transaction as db_transaction

from audit.models import AuditAction
from audit.services import audit_record

from .models import Note, Transaction

NOTE_MAX_LENGTH = 5000


class NoteInvalid(ValueError):
    """The note is empty or too long."""


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise NoteInvalid("Write something before adding the note.")
    if len(body) > NOTE_MAX_LENGTH:
        raise NoteInvalid(f"A note holds at most {NOTE_MAX_LENGTH} characters.")
    if "\x00" in body:  # PostgreSQL cannot store it; the form refuses it first
        raise NoteInvalid("The note contains a character that cannot be stored (NUL).")
    return body


def customer_note_create(*, actor, now: datetime, customer, body: str) -> Note:
    """Add a staff note to a customer (not to one of their transactions), audited as "note.add".

    The same `Note` model as transaction notes (its `transaction` is empty): the Activity tab, the audit log
    and the admin already know it, and a note is a note whatever it is about. Raises NoteInvalid when the
    body is blank, longer than NOTE_MAX_LENGTH characters or holds a NUL character.
    """
    body = _clean_body(body)
    with db_transaction.atomic():
        note = Note.objects.create(
            merchant=customer.merchant, customer=customer, author=actor, body=body, created_at=now
        )
        audit_record(
            merchant=customer.merchant,
            actor=actor,
            action=AuditAction.NOTE_ADD,
            target=customer,
            now=now,
            customer=customer,
            data={"note_id": note.pk, "body": body[:500]},
        )
    return note


def note_create(*, actor, now: datetime, txn: Transaction, body: str) -> Note:
    """Add a staff note to a transaction (and so to its customer's activity), audited as "note.add".

    Raises NoteInvalid when the body is blank or longer than NOTE_MAX_LENGTH characters.
    """
    body = (body or "").strip()
    if not body:
        raise NoteInvalid("Write something before adding the note.")
    if len(body) > NOTE_MAX_LENGTH:
        raise NoteInvalid(f"A note holds at most {NOTE_MAX_LENGTH} characters.")
    with db_transaction.atomic():
        note = Note.objects.create(
            merchant=txn.merchant,
            transaction=txn,
            customer=txn.customer,
            author=actor,
            body=body,
            created_at=now,
        )
        audit_record(
            merchant=txn.merchant,
            actor=actor,
            action=AuditAction.NOTE_ADD,
            target=txn,
            now=now,
            customer=txn.customer,
            data={"note_id": note.pk, "body": body[:500]},
        )
    return note
