"""A minimal Telegram Bot API client over httpx: only what revocation needs.

Removing a member is banChatMember followed by unbanChatMember(only_if_banned=True): the ban kicks them out,
the unban lets them join again if they buy again.
"""

from __future__ import annotations

import httpx
from django.conf import settings

# Answers meaning "this person is not (or no longer) in the chat": removal is already achieved.
ALREADY_GONE = ("user not found", "participant_id_invalid", "user_not_participant", "member not found")


class TelegramError(Exception):
    """The Bot API refused or could not be reached. `message` is shown on the grant as its last error."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after

    @property
    def already_gone(self) -> bool:
        return any(marker in self.message.lower() for marker in ALREADY_GONE)


class TelegramClient:
    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ):
        if not token:
            raise TelegramError("No Telegram bot token is configured for this merchant.")
        self.base_url = (base_url or settings.TELEGRAM_API_BASE).rstrip("/")
        self._token = token
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def call(self, method: str, **params) -> object:
        """POST one Bot API method; returns `result` or raises TelegramError with the API's description."""
        url = f"{self.base_url}/bot{self._token}/{method}"
        try:
            response = self._http.post(url, json=params)
        except httpx.HTTPError as exc:
            raise TelegramError(f"Telegram unreachable: {exc.__class__.__name__}") from exc
        try:
            body = response.json()
        except ValueError:
            raise TelegramError(
                f"Telegram answered HTTP {response.status_code}", status=response.status_code
            ) from None
        if not body.get("ok"):
            description = body.get("description") or f"HTTP {response.status_code}"
            retry_after = (body.get("parameters") or {}).get("retry_after")
            raise TelegramError(description, status=response.status_code, retry_after=retry_after)
        return body.get("result")

    def ban_chat_member(self, *, chat_id: int, user_id: int) -> None:
        self.call("banChatMember", chat_id=chat_id, user_id=user_id, revoke_messages=False)

    def unban_chat_member(self, *, chat_id: int, user_id: int) -> None:
        self.call("unbanChatMember", chat_id=chat_id, user_id=user_id, only_if_banned=True)

    def remove_member(self, *, chat_id: int, user_id: int) -> None:
        """Kick without a lasting ban. A member who is already gone counts as removed."""
        try:
            self.ban_chat_member(chat_id=chat_id, user_id=user_id)
        except TelegramError as error:
            if not error.already_gone:
                raise
            return
        self.unban_chat_member(chat_id=chat_id, user_id=user_id)
