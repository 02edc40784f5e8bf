"""Teller's synchronous face of the Telegram Bot API, built on python-telegram-bot (PTB).

PTB is asyncio-only; Teller calls the bot from Celery tasks and WSGI views, which are synchronous. A
TelegramClient owns one asyncio.Runner (one event loop) for its lifetime, so the calls made inside one
`with TelegramClient(...)` block share PTB's HTTP connection, and nothing outlives the block. PTB errors
become TelegramError, whose `message` is what staff see on a grant or a settings check.

Removing a member is banChatMember followed by unbanChatMember(only_if_banned=True): the ban kicks them out,
the unban lets them join again if they buy again.
"""

from __future__ import annotations

import asyncio
import ssl
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

import httpx
import telegram
from django.conf import settings
from telegram import error as tg_error
from telegram.request import HTTPXRequest

# Answers meaning "this person is not (or no longer) in the chat": removal is already achieved.
ALREADY_GONE = ("user not found", "participant_id_invalid", "user_not_participant", "member not found")
# Rights the bot needs in every chat it manages, with how the settings page names them.
REQUIRED_RIGHTS = {
    "can_restrict_members": "ban users (remove members)",
    "can_invite_users": "invite users via link",
}


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


def _translate(exc: tg_error.TelegramError) -> TelegramError:
    status = {
        tg_error.BadRequest: 400,
        tg_error.InvalidToken: 401,
        tg_error.Forbidden: 403,
        tg_error.Conflict: 409,
        tg_error.RetryAfter: 429,
    }.get(type(exc))
    if isinstance(exc, tg_error.RetryAfter):
        seconds = int(exc.retry_after.total_seconds()) if hasattr(exc.retry_after, "total_seconds") else None
        return TelegramError(exc.message, status=429, retry_after=seconds or exc.retry_after)
    if isinstance(exc, tg_error.NetworkError) and status is None:
        return TelegramError(f"Telegram unreachable: {exc.message}")
    return TelegramError(exc.message, status=status)


@cache
def _ssl_context() -> ssl.SSLContext:
    """Loading the CA bundle costs ~10 ms of CPU (far more on a busy machine); httpx would do it for every
    client, and PTB builds two per Bot. One context per process serves them all."""
    return httpx.create_ssl_context()


def _request(timeout: float) -> HTTPXRequest:
    return HTTPXRequest(
        connect_timeout=timeout,
        read_timeout=timeout,
        write_timeout=timeout,
        httpx_kwargs={"verify": _ssl_context()},
    )


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@dataclass(frozen=True)
class BotInfo:
    id: int
    username: str


@dataclass(frozen=True)
class ChatCheck:
    """What getChat + getChatMember(bot) tell about a chat the bot should manage."""

    chat_id: int
    title: str
    kind: str  # Telegram's chat type: channel, supergroup, group
    username: str
    is_admin: bool
    missing: tuple[str, ...]  # human descriptions of the rights the bot lacks


class TelegramClient:
    def __init__(self, token: str, *, base_url: str | None = None, timeout: float = 10.0):
        if not token:
            raise TelegramError("No Telegram bot token is configured for this merchant.")
        base = (base_url or settings.TELEGRAM_API_BASE).rstrip("/")
        # PTB appends the token to base_url; no initialize(): that would cost a getMe before every call.
        self._bot = telegram.Bot(
            token, base_url=f"{base}/bot", request=_request(timeout), get_updates_request=_request(timeout)
        )
        self._runner = asyncio.Runner()
        # Celery tasks and WSGI views have no event loop. Where one runs already in this thread (an async
        # caller, Playwright's sync API in browser tests), this client runs its loop in a thread of its own.
        self._thread = ThreadPoolExecutor(max_workers=1) if _loop_running() else None

    def _on_loop(self, coroutine):
        if self._thread is None:
            return self._runner.run(coroutine)
        return self._thread.submit(self._runner.run, coroutine).result()

    def close(self) -> None:
        try:
            self._on_loop(self._bot.shutdown())
        finally:
            if self._thread is None:
                self._runner.close()
            else:
                self._thread.submit(self._runner.close).result()
                self._thread.shutdown()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _run(self, coroutine):
        try:
            return self._on_loop(coroutine)
        except tg_error.TelegramError as exc:
            raise _translate(exc) from exc

    # -- the calls Teller makes --------------------------------------------------------------------------

    def get_me(self) -> BotInfo:
        me = self._run(self._bot.get_me())
        return BotInfo(id=me.id, username=me.username or "")

    def set_webhook(self, *, url: str, secret_token: str, allowed_updates: list[str]) -> None:
        self._run(self._bot.set_webhook(url=url, secret_token=secret_token, allowed_updates=allowed_updates))

    def check_chat(self, *, chat_ref: str | int, bot_id: int) -> ChatCheck:
        """getChat, then getChatMember on the bot itself: an administrator with the rights Teller needs?"""
        chat = self._run(self._bot.get_chat(chat_id=chat_ref))
        member = self._run(self._bot.get_chat_member(chat_id=chat.id, user_id=bot_id))
        is_admin = member.status in ("administrator", "creator")
        if member.status == "creator":
            missing: tuple[str, ...] = ()
        elif is_admin:
            missing = tuple(label for right, label in REQUIRED_RIGHTS.items() if not getattr(member, right))
        else:
            missing = ("administrator status", *REQUIRED_RIGHTS.values())
        return ChatCheck(
            chat_id=chat.id,
            title=chat.title or chat.username or str(chat.id),
            kind=chat.type,
            username=chat.username or "",
            is_admin=is_admin,
            missing=missing,
        )

    def create_invite_link(self, *, chat_id: int, name: str) -> str:
        link = self._run(
            self._bot.create_chat_invite_link(chat_id=chat_id, creates_join_request=True, name=name[:32])
        )
        return link.invite_link

    def approve_join_request(self, *, chat_id: int, user_id: int) -> None:
        self._run(self._bot.approve_chat_join_request(chat_id=chat_id, user_id=user_id))

    def decline_join_request(self, *, chat_id: int, user_id: int) -> None:
        self._run(self._bot.decline_chat_join_request(chat_id=chat_id, user_id=user_id))

    def send_message(self, *, chat_id: int, text: str) -> None:
        self._run(self._bot.send_message(chat_id=chat_id, text=text))

    def ban_chat_member(self, *, chat_id: int, user_id: int) -> None:
        self._run(self._bot.ban_chat_member(chat_id=chat_id, user_id=user_id, revoke_messages=False))

    def unban_chat_member(self, *, chat_id: int, user_id: int) -> None:
        self._run(self._bot.unban_chat_member(chat_id=chat_id, user_id=user_id, only_if_banned=True))

    def remove_member(self, *, chat_id: int, user_id: int) -> None:
        """Kick without a lasting ban. A member who is already gone counts as removed."""
        try:
            self.ban_chat_member(chat_id=chat_id, user_id=user_id)
        except TelegramError as error:
            if not error.already_gone:
                raise
            return
        self.unban_chat_member(chat_id=chat_id, user_id=user_id)
