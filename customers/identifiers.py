"""Normalising payment details into merchant-wide Identifier values (shared by sync and blocking)."""

from .models import Identifier


def normalize_email(email: str) -> str:
    """Lower-case, and drop a "+tag" in the local part, so a blocked address cannot return in another
    spelling."""
    email = (email or "").strip().lower()
    local, sep, domain = email.rpartition("@")
    if not sep or not local:
        return email
    local = local.split("+", 1)[0] or local
    return f"{local}@{domain}"


def normalize(kind: str, value: str) -> str:
    if kind == Identifier.Kind.EMAIL:
        return normalize_email(value)
    return (value or "").strip()
