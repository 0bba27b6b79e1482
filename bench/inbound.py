"""The parse guard's cost per update: what reading every update safely adds.

    .venv/bin/python bench/inbound.py [--n 20000]

Three typical updates (a text message, a button press on a message with a keyboard, a photo
with a caption) are read the way each path reads them:

* webhook and start-up: ``core.inbound.shape_problem`` (depth and integer bounds) plus PTB's
  own parse inside a ``try`` (:func:`bot.failures.read_update`); PTB's parse was there before,
  so the added cost is the shape check;
* polling: :func:`bot.failures.screen_batch`, whose parse is the only one: PTB is handed the
  updates it read (:class:`bot.transport.PollingBot`), so the added cost is the shape check.

Each figure is the median of 5 runs of ``--n`` updates, in µs per update, next to the cost of
PTB's parse alone, for scale: a turn costs milliseconds (bench/updates.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import Update

from bot.failures import read_update, screen_batch
from core.inbound import shape_problem

USER = {"id": 100001, "is_bot": False, "first_name": "Nguyễn", "language_code": "vi"}
CHAT = {"id": 100001, "type": "private", "first_name": "Nguyễn"}
TEXT = {
    "update_id": 900001,
    "message": {
        "message_id": 7,
        "date": 1764547200,
        "chat": CHAT,
        "from": USER,
        "text": "Bà Trần Thị Hoa ở phường Hàng Bạc nhặt được ví và trả lại cho người đánh rơi.",
    },
}
BUTTON = {
    "update_id": 900002,
    "callback_query": {
        "id": "4382bfdwdsb323b2d9",
        "from": USER,
        "chat_instance": "-123456789",
        "data": "n:1:pick:individual:0a1b2c3d4e5f",
        "message": {
            "message_id": 8,
            "date": 1764547200,
            "chat": CHAT,
            "from": {"id": 42, "is_bot": True, "first_name": "ntvt"},
            "text": "Bước 1/10: người được đề cử là cá nhân hay tập thể?",
            "reply_markup": {
                "inline_keyboard": [
                    [{"text": "👤 Cá nhân", "callback_data": "n:1:pick:individual:0a1b2c3d4e5f"}],
                    [{"text": "👥 Tập thể", "callback_data": "n:1:pick:collective:0a1b2c3d4e5f"}],
                    [{"text": "✖️ Hủy", "callback_data": "n:1:cancel:0a1b2c3d4e5f"}],
                ]
            },
        },
    },
}
PHOTO = {
    "update_id": 900003,
    "message": {
        "message_id": 9,
        "date": 1764547200,
        "chat": CHAT,
        "from": USER,
        "caption": "Ảnh chụp tại chỗ",
        "photo": [
            {"file_id": f"AgAC{n}", "file_unique_id": f"u{n}", "width": w, "height": w}
            for n, w in enumerate((90, 320, 800, 1280))
        ],
    },
}
UPDATES = (TEXT, BUTTON, PHOTO)


def per_update(n: int, read: Callable[[dict[str, Any]], object]) -> float:
    """Return the median µs per update of ``read`` over 5 runs of ``n`` updates."""
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for i in range(n):
            read(UPDATES[i % 3])
        runs.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(runs)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    n = parser.parse_args().n
    ptb = per_update(n, lambda u: Update.de_json(u, None))
    shape = per_update(n, shape_problem)
    guarded = per_update(n, lambda u: read_update(u, None))
    screened = per_update(n, lambda u: screen_batch([u], None))
    print(f"updates read: {n} x 5 runs, median µs per update")
    print(f"  PTB's parse alone (Update.de_json)          {ptb:8.1f}")
    print(f"  shape check (core.inbound.shape_problem)    {shape:8.1f}  added: webhook, start")
    print(f"  guarded read (bot.failures.read_update)     {guarded:8.1f}  vs {ptb:.1f} unguarded")
    print(f"  polling screen (bot.failures.screen_batch)  {screened:8.1f}  added: polling")


if __name__ == "__main__":
    main()
