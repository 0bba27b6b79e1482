"""JSON log lines (``NTVT_LOG_FORMAT=json``) and the turn line's pseudonymous chat tag."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.keyboards import ButtonSigner
from bot.logs import JsonFormatter
from bot.turn_log import TURN_LOGGER, TurnLog


def record(message: str, *args: object, **extra: Any) -> logging.LogRecord:
    logger = logging.getLogger("bot.test")
    level, where = logging.WARNING, __file__
    return logger.makeRecord(logger.name, level, where, 1, message, args, None, extra=extra)


def test_a_record_is_one_json_line_with_utc_time_level_logger_message_and_extras() -> None:
    line = JsonFormatter().format(record("update %s set aside", 42, reason="KeyError in x"))

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "bot.test"
    assert entry["message"] == "update 42 set aside"
    assert entry["reason"] == "KeyError in x"
    assert entry["time"].endswith("Z")
    when = datetime.fromisoformat(entry["time"])
    assert when.tzinfo is not None and when.utcoffset() == UTC.utcoffset(None)
    assert set(entry) == {"time", "level", "logger", "message", "reason"}


def test_an_exception_goes_in_the_same_line_and_vietnamese_stays_readable() -> None:
    try:
        raise ValueError("không đọc được")
    except ValueError:
        failed = record("cơ sở dữ liệu")
        failed.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(failed))
    assert entry["message"] == "cơ sở dữ liệu"
    assert "ValueError: không đọc được" in entry["exception"]


def test_a_chats_tag_is_stable_per_key_and_tells_nothing_of_the_chat() -> None:
    signer = ButtonSigner.from_secret("123:token")
    tag = signer.pseudonym(7_314_159_265)

    assert tag == ButtonSigner.from_secret("123:token").pseudonym(7_314_159_265)
    assert len(tag) == 16 and int(tag, 16) >= 0
    assert "7314159265" not in tag
    assert tag != ButtonSigner.from_secret("456:other").pseudonym(7_314_159_265)
    assert tag != signer.pseudonym(7_314_159_266)


class Untouchable:
    """A unit of work that fails the test if the turn log reads from it."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the turn log read {name} while turn lines are off")


async def test_with_text_logs_no_turn_line_and_no_dialog_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=TURN_LOGGER)  # what text logs set
    turns = TurnLog()
    await turns.note(Untouchable(), 1, 7, "on_message")  # type: ignore[arg-type]
    turns.done(1, "tag", "telegram", "ok", 0.01)
    assert not [r for r in caplog.records if r.name == TURN_LOGGER]
