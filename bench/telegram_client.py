"""What python-telegram-bot costs per Bot API call, against the local stand-in (tests/access/botapi_stub.py):

    .venv/bin/python bench/telegram_client.py [--calls 300]

Prints ms per banChatMember for one TelegramClient reused (as a removal's ban + unban, or a batch of invites),
a new TelegramClient per call (as a task does), and plain httpx posting the same JSON, for comparison.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402

from access.telegram import TelegramClient  # noqa: E402
from tests.access.botapi_stub import BotApiStub  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    calls = parser.parse_args().calls
    with BotApiStub() as stub:
        settings.TELEGRAM_API_BASE = stub.url
        start = time.perf_counter()
        with TelegramClient("1:token") as client:
            for i in range(calls):
                client.ban_chat_member(chat_id=-1, user_id=i)
        shared = (time.perf_counter() - start) / calls * 1000
        start = time.perf_counter()
        for i in range(calls):
            with TelegramClient("1:token") as client:
                client.ban_chat_member(chat_id=-1, user_id=i)
        fresh = (time.perf_counter() - start) / calls * 1000
        start = time.perf_counter()
        with httpx.Client() as http:
            for i in range(calls):
                http.post(f"{stub.url}/bot1:token/banChatMember", json={"chat_id": -1, "user_id": i}).json()
        raw = (time.perf_counter() - start) / calls * 1000
    print(f"python-telegram-bot, one client: {shared:.2f} ms/call")
    print(f"python-telegram-bot, a client per call: {fresh:.2f} ms/call")
    print(f"plain httpx: {raw:.2f} ms/call")


if __name__ == "__main__":
    main()
