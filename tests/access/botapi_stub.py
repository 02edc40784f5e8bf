"""A local stand-in of the Telegram Bot API: a threaded HTTP server that records calls and fails on demand.

with BotApiStub() as stub:
    settings.TELEGRAM_API_BASE = stub.url
    stub.fail("banChatMember", 400, "Bad Request: not enough rights to restrict/unrestrict chat member")
    ...
    assert stub.methods() == ["banChatMember", "unbanChatMember"]
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class BotApiStub:
    def __init__(self):
        self.calls: list[dict] = []
        self._failures: dict[str, list[tuple[int, str]]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail(self, method: str, status: int, description: str, *, times: int = 1000) -> None:
        """Answer the next `times` calls of `method` with an error (Bot API shape: ok=false + description)."""
        with self._lock:
            self._failures[method] = [(status, description)] * times

    def heal(self) -> None:
        with self._lock:
            self._failures.clear()

    def methods(self) -> list[str]:
        return [call["method"] for call in self.calls]

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
        return 200, {"ok": True, "result": True}

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                # Path: /bot<token>/<method>
                _, bot_token, method = self.path.split("/", 2)
                length = int(self.headers.get("Content-Length") or 0)
                params = json.loads(self.rfile.read(length) or b"{}")
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
