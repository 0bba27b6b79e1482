"""The error answer of a Bot API call."""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "bad_request", "not_found"]


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional ``retry_after``."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """Return the JSON body Telegram answers with."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    """Build a 400 answer ``Bad Request: <reason>``."""
    return ApiError(400, f"Bad Request: {reason}")


def not_found() -> ApiError:
    """Build the 404 answer Telegram gives to an unknown method."""
    return ApiError(404, "Not Found")
