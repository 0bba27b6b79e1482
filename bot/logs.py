"""Where log records go, and in which form: text lines (the default) or JSON lines.

``NTVT_LOG_FORMAT=json`` makes every record one JSON object on one line of standard error:
``time`` (ISO 8601, UTC), ``level``, ``logger``, ``message``, the record's extra fields
(those given with ``extra=``), and ``exception`` when one is logged. It also turns on the
line per processed turn (:mod:`bot.turn_log`), which text logs leave out as they always did.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NOISY = ("httpx", "httpcore", "aiohttp.access")
# What every record has; anything else on it came with ``extra=`` and is written out.
_STANDARD = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName", "color_message"}  # uvicorn's, with ANSI colours
)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object on one line (non-ASCII kept as it is)."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON line."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(log_format: LogFormat = "text", *, level: int = logging.INFO) -> None:
    """Send the records of ``level`` and above to standard error in ``log_format``."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from bot.turn_log import TURN_LOGGER

    turns = logging.getLogger(TURN_LOGGER)
    turns.setLevel(logging.INFO if log_format == "json" else logging.WARNING)
