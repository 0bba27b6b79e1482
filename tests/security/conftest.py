"""The adversarial suite drives the real bot against the local Bot API, like tests/bot."""

from __future__ import annotations

from tests.bot.conftest import api, bot, bot_settings, clock, start_bot

__all__ = ["api", "bot", "bot_settings", "clock", "start_bot"]
