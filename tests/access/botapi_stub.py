"""A local stand-in of the Telegram Bot API: a threaded HTTP server that answers like Telegram, records calls
and fails on demand. It also builds the updates Telegram would POST to Teller's webhook.

with BotApiStub() as stub:
    settings.TELEGRAM_API_BASE = stub.url
    stub.add_chat(-1001, "Paid channel", username="paidchan")
    stub.fail("banChatMember", 400, "Bad Request: not enough rights to restrict/unrestrict chat member")
    ...
    assert stub.methods() == ["banChatMember", "unbanChatMember"]

Shapes follow the Bot API (core.telegram.org/bots/api): bodies may be JSON or form-encoded
(python-telegram-bot posts forms whose non-string values are JSON-encoded), answers are
{"ok": true, "result": ...} or {"ok": false, "error_code": ..., "description": ...}.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

BOT_ID = 7000000001
BOT_USERNAME = "teller_test_bot"
FULL_RIGHTS = {
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
}


def user(user_id: int, *, username: str = "", first_name: str = "Member", is_bot: bool = False) -> dict:
    body = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
    if username:
        body["username"] = username
    return body


class BotApiStub:
    def __init__(self, *, token: str | None = None):
        self.calls: list[dict] = []
        self.token = token  # None: any token is accepted
        self.chats: dict[int, dict] = {}
        self.bot_rights: dict[int, dict | None] = {}  # chat id -> admin rights of the bot (None: not admin)
        self.invite_links: dict[str, dict] = {}
        self.unreachable_users: set[int] = set()  # never started the bot: sendMessage is refused
        self.webhook: dict = {}
        self._update_ids = itertools.count(100000)
        self._failures: dict[str, list[tuple[int, str]]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- arranging ---------------------------------------------------------------------------------------

    def add_chat(self, chat_id: int, title: str, *, username: str = "", kind: str = "channel", rights=None):
        """A chat the bot is in; `rights` overrides the bot's administrator rights (False: plain member)."""
        self.chats[chat_id] = {"id": chat_id, "type": kind, "title": title}
        if username:
            self.chats[chat_id]["username"] = username
        self.bot_rights[chat_id] = None if rights is False else {**FULL_RIGHTS, **(rights or {})}
        return self.chats[chat_id]

    def fail(self, method: str, status: int, description: str, *, times: int = 1000) -> None:
        """Answer the next `times` calls of `method` with an error (Bot API shape: ok=false + description)."""
        with self._lock:
            self._failures[method] = [(status, description)] * times

    def heal(self) -> None:
        with self._lock:
            self._failures.clear()

    def methods(self) -> list[str]:
        return [call["method"] for call in self.calls]

    def calls_of(self, method: str) -> list[dict]:
        return [call["params"] for call in self.calls if call["method"] == method]

    # -- updates Telegram would send ---------------------------------------------------------------------

    def _update(self, **body) -> dict:
        return {"update_id": next(self._update_ids), **body}

    def start_update(self, sender: dict, payload: str) -> dict:
        """The buyer opened t.me/<bot>?start=<payload> and pressed Start."""
        return self._update(
            message={
                "message_id": next(self._update_ids),
                "from": sender,
                "chat": {"id": sender["id"], "type": "private", "first_name": sender["first_name"]},
                "date": int(time.time()),
                "text": f"/start {payload}",
                "entities": [{"offset": 0, "length": 6, "type": "bot_command"}],
            }
        )

    def join_request_update(self, chat_id: int, requester: dict, invite_link: str | None) -> dict:
        body = {
            "chat": self.chats[chat_id],
            "from": requester,
            "user_chat_id": requester["id"],
            "date": int(time.time()),
        }
        if invite_link:
            body["invite_link"] = self.invite_links[invite_link]
        return self._update(chat_join_request=body)

    def chat_member_update(self, chat_id: int, member: dict, old: str, new: str, *, at: int | None = None):
        """A member's status changed (member, left, kicked, administrator, ...)."""
        return self._update(
            chat_member={
                "chat": self.chats[chat_id],
                "from": member,
                "date": at or int(time.time()),
                "old_chat_member": _member_shape(old, member),
                "new_chat_member": _member_shape(new, member),
            }
        )

    # -- server ------------------------------------------------------------------------------------------

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, method: str, token: str, params: dict) -> tuple[int, dict]:
        with self._lock:
            self.calls.append({"method": method, "token": token, "params": params})
            queue = self._failures.get(method)
            if queue:
                status, description = queue.pop(0)
                return status, {"ok": False, "error_code": status, "description": description}
        if self.token is not None and token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        handler = getattr(self, f"_do_{method}", None)
        result = handler(params) if handler else True
        if isinstance(result, tuple):
            status, description = result
            return status, {"ok": False, "error_code": status, "description": description}
        return 200, {"ok": True, "result": result}

    def _chat(self, ref) -> dict | None:
        if isinstance(ref, str) and ref.startswith("@"):
            return next((c for c in self.chats.values() if c.get("username") == ref[1:]), None)
        try:
            return self.chats.get(int(ref))
        except (TypeError, ValueError):
            return None

    def _do_getMe(self, params):
        return {
            **user(BOT_ID, username=BOT_USERNAME, first_name="Teller", is_bot=True),
            "can_join_groups": True,
        }

    def _do_setWebhook(self, params):
        self.webhook = params
        return True

    def _do_getChat(self, params):
        chat = self._chat(params.get("chat_id"))
        if chat is None:
            return 400, "Bad Request: chat not found"
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _do_getChatMember(self, params):
        chat = self._chat(params.get("chat_id"))
        if chat is None:
            return 400, "Bad Request: chat not found"
        member = user(int(params["user_id"]))
        if int(params["user_id"]) == BOT_ID:
            member = user(BOT_ID, username=BOT_USERNAME, first_name="Teller", is_bot=True)
            rights = self.bot_rights.get(chat["id"])
            if rights is not None:
                return {
                    "status": "administrator",
                    "user": member,
                    "can_be_edited": False,
                    "is_anonymous": False,
                    **rights,
                }
        return {"status": "member", "user": member}

    def _do_createChatInviteLink(self, params):
        chat = self._chat(params.get("chat_id"))
        if chat is None:
            return 400, "Bad Request: chat not found"
        if not (self.bot_rights.get(chat["id"]) or {}).get("can_invite_users"):
            return 400, "Bad Request: not enough rights to manage chat invite link"
        link = {
            "invite_link": f"https://t.me/+{secrets.token_urlsafe(12)}",
            "creator": user(BOT_ID, username=BOT_USERNAME, first_name="Teller", is_bot=True),
            "creates_join_request": bool(params.get("creates_join_request")),
            "is_primary": False,
            "is_revoked": False,
        }
        if params.get("name"):
            link["name"] = params["name"]
        self.invite_links[link["invite_link"]] = {**link, "chat_id": chat["id"]}
        return link

    def _do_sendMessage(self, params):
        chat_id = int(params["chat_id"])
        if chat_id in self.unreachable_users:
            return 403, "Forbidden: bot can't initiate conversation with a user"
        return {
            "message_id": next(self._update_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Member"},
            "text": params.get("text", ""),
        }

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                # Path: /bot<token>/<method>
                _, bot_token, method = self.path.split("/", 2)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if "json" in (self.headers.get("Content-Type") or "") or raw[:1] == b"{":
                    params = json.loads(raw or b"{}")
                else:
                    params = {key: _json_or_text(value) for key, value in parse_qsl(raw.decode())}
                status, body = stub._answer(method, bot_token.removeprefix("bot"), params)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        return Handler


def _member_shape(status: str, member: dict) -> dict:
    """A ChatMember as Telegram sends it: administrators carry every right, kicked members an until_date."""
    body = {"status": status, "user": member}
    if status == "administrator":
        body.update(can_be_edited=False, is_anonymous=False, **FULL_RIGHTS)
    if status == "kicked":
        body["until_date"] = 0
    return body


def _json_or_text(value: str):
    """python-telegram-bot JSON-encodes every non-string parameter of a form ("-1001", "true", "[...]")."""
    try:
        return json.loads(value)
    except ValueError:
        return value
