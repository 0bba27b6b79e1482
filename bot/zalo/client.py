"""A small async client of the Zalo OA API: the calls the bot needs, with typed errors.

Zalo has no maintained official Python SDK; the calls and their shapes are as
:mod:`bot.zalo` cites them. Zalo answers HTTP 200 with ``{"error": <code>, "message": …}``;
each code the future sender must treat differently becomes its own exception:

* :class:`ZaloRateLimited` (-32): slow down and try again later;
* :class:`ZaloTokenRejected` (-216): raised only after the token was refreshed once and the
  call tried again with the new one (:class:`ZaloClient` does that itself);
* :class:`ZaloNightBan` (-234): hold the message until the quiet hours end
  (:func:`core.channels.earliest_send` says when);
* :class:`ZaloOutsideWindow` (-230): the person has been silent too long; keep it until they
  write, or send the ZNS template;
* :class:`ZaloNotFollowing` (-213, assumed): the person unfollowed or blocked the OA;
* :class:`ZaloRequestRefused`: any other code (the message itself is wrong: do not retry);
* :class:`ZaloUnavailable`: no answer, a 5xx, or not JSON (try again later).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.zalo.media import MediaStore, StoredMedia
from bot.zalo.tokens import OaTokens
from core.channels import (
    ZALO_MAX_BUTTON_LABEL,
    ZALO_MAX_BUTTON_PAYLOAD,
    ZALO_MAX_BUTTONS,
    ZALO_MAX_LIST_ELEMENTS,
    ZALO_MAX_TEXT,
)

MESSAGE_PATH = "/v3.0/oa/message/cs"
UPLOAD_IMAGE_PATH = "/v2.0/oa/upload/image"
UPLOAD_FILE_PATH = "/v2.0/oa/upload/file"


class ZaloError(Exception):
    """Zalo refused a call; ``code`` is Zalo's error code (0 when it gave none)."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"Zalo error {code}: {description}")
        self.code = code
        self.description = description


class ZaloRateLimited(ZaloError):
    """Too many calls: try again later (-32)."""


class ZaloTokenRejected(ZaloError):
    """The access token was refused even after a refresh (-216)."""


class ZaloNightBan(ZaloError):
    """No message may be sent at this hour (-234): hold it until the quiet hours end."""


class ZaloOutsideWindow(ZaloError):
    """The person has not written for too long (-230): wait for them, or use ZNS."""


class ZaloNotFollowing(ZaloError):
    """The person does not follow the OA, or blocked it (-213, an assumed code)."""


class ZaloRequestRefused(ZaloError):
    """Zalo refused the request itself (a malformed message, a permission): do not retry."""


class ZaloUnavailable(ZaloError):
    """Zalo could not be reached, failed (5xx) or answered something unreadable."""


class ZaloMediaGone(ZaloError):
    """A media URL no longer serves the file (it expired) or the file is too large."""


_ERRORS: dict[int, type[ZaloError]] = {
    -32: ZaloRateLimited,
    -216: ZaloTokenRejected,
    -234: ZaloNightBan,
    -230: ZaloOutsideWindow,
    -213: ZaloNotFollowing,
}


@dataclass(frozen=True, slots=True)
class Button:
    """An ``oa.query.hide`` button: tapping it sends ``payload`` as the person's text."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class ListElement:
    """One element of a list message; tapping it sends ``payload`` (oa.query.hide)."""

    title: str
    payload: str
    subtitle: str = ""
    image_url: str | None = None


class ZaloClient:
    """The OA API calls, each with the OA's current access token (refreshed once if refused)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        tokens: OaTokens,
        *,
        api_url: str,
        timeout: float = 15.0,
    ) -> None:
        self._session = session
        self._tokens = tokens
        self._api_url = api_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def send_text(self, user_id: str, text: str) -> str:
        """Send a plain text; return Zalo's message id."""
        return await self._send(user_id, {"text": _text(text)})

    async def send_buttons(self, user_id: str, text: str, buttons: Sequence[Button]) -> str:
        """Send a text with up to 5 buttons whose payloads come back as the person's text."""
        if not 1 <= len(buttons) <= ZALO_MAX_BUTTONS:
            raise ValueError(f"1 to {ZALO_MAX_BUTTONS} buttons (more: a numbered list)")
        return await self._send(
            user_id,
            {
                "text": _text(text),
                "attachment": {
                    "type": "template",
                    "payload": {"buttons": [_button(button) for button in buttons]},
                },
            },
        )

    async def send_list(self, user_id: str, elements: Sequence[ListElement]) -> str:
        """Send a list of up to 5 elements, each tappable."""
        if not 1 <= len(elements) <= ZALO_MAX_LIST_ELEMENTS:
            raise ValueError(f"a list has 1 to {ZALO_MAX_LIST_ELEMENTS} elements")
        return await self._send(
            user_id,
            {
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": "list",
                        "elements": [_element(element) for element in elements],
                    },
                }
            },
        )

    async def request_user_info(
        self, user_id: str, *, title: str, subtitle: str, image_url: str = ""
    ) -> str:
        """Ask the person to share their name and phone; their answer is user_submit_info."""
        element = {"title": _label(title), "subtitle": subtitle, "image_url": image_url}
        return await self._send(
            user_id,
            {
                "attachment": {
                    "type": "template",
                    "payload": {"template_type": "request_user_info", "elements": [element]},
                }
            },
        )

    async def upload_image(self, data: bytes, *, filename: str, content_type: str) -> str:
        """Upload a photo; return its ``attachment_id`` for :meth:`send_image`."""
        answer = await self._upload(UPLOAD_IMAGE_PATH, data, filename, content_type)
        return _field(answer, "attachment_id")

    async def upload_file(self, data: bytes, *, filename: str, content_type: str) -> str:
        """Upload a file (PDF, DOC, DOCX); return its ``token`` for :meth:`send_file`."""
        answer = await self._upload(UPLOAD_FILE_PATH, data, filename, content_type)
        return _field(answer, "token")

    async def send_image(self, user_id: str, attachment_id: str, *, text: str = "") -> str:
        """Send an uploaded photo, with a caption when ``text`` is given."""
        message: dict[str, Any] = {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "media",
                    "elements": [{"media_type": "image", "attachment_id": attachment_id}],
                },
            }
        }
        if text:
            message["text"] = _text(text)
        return await self._send(user_id, message)

    async def send_file(self, user_id: str, token: str) -> str:
        """Send an uploaded file."""
        return await self._send(
            user_id, {"attachment": {"type": "file", "payload": {"token": token}}}
        )

    async def download(
        self, url: str, store: MediaStore, *, name: str, max_bytes: int
    ) -> StoredMedia:
        """Copy a photo or file a person sent into ``store`` before its URL expires.

        Streamed, and stopped as soon as it exceeds ``max_bytes``: nothing that large is kept.
        """
        chunks: list[bytes] = []
        size = 0
        try:
            async with self._session.get(url, timeout=self._timeout) as response:
                if response.status in (403, 404, 410):
                    raise ZaloMediaGone(response.status, "the media URL has expired")
                if response.status != 200:
                    raise ZaloUnavailable(response.status, "the media could not be fetched")
                content_type = response.content_type
                async for chunk in response.content.iter_chunked(65536):
                    size += len(chunk)
                    if size > max_bytes:
                        raise ZaloMediaGone(0, f"the file is over {max_bytes} bytes")
                    chunks.append(chunk)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ZaloUnavailable(0, type(error).__name__) from None
        return await store.save(b"".join(chunks), name=name, content_type=content_type)

    async def _send(self, user_id: str, message: dict[str, Any]) -> str:
        body = {"recipient": {"user_id": user_id}, "message": message}
        answer = await self._authorised(
            lambda token: self._post(MESSAGE_PATH, token, json_body=body)
        )
        return _field(answer, "message_id")

    async def _upload(
        self, path: str, data: bytes, filename: str, content_type: str
    ) -> dict[str, Any]:
        def form() -> aiohttp.FormData:
            built = aiohttp.FormData()
            built.add_field("file", data, filename=filename, content_type=content_type)
            return built

        return await self._authorised(lambda token: self._post(path, token, form=form()))

    async def _authorised(self, call: Callable[[str], Awaitable[Any]]) -> dict[str, Any]:
        """Make ``call`` with the current token; on -216 refresh once and make it again."""
        token = await self._tokens.access_token()
        try:
            return _checked(await call(token))
        except ZaloTokenRejected:
            token = await self._tokens.refresh(stale=token)
            return _checked(await call(token))

    async def _post(
        self,
        path: str,
        token: str,
        *,
        json_body: dict[str, Any] | None = None,
        form: aiohttp.FormData | None = None,
    ) -> Any:
        try:
            async with self._session.post(
                self._api_url + path,
                json=json_body,
                data=form,
                headers={"access_token": token},
                timeout=self._timeout,
            ) as response:
                if response.status >= 500:
                    raise ZaloUnavailable(response.status, "Zalo failed")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ZaloUnavailable(0, type(error).__name__) from None
        except ValueError:
            raise ZaloUnavailable(0, "not JSON") from None


def _checked(answer: Any) -> dict[str, Any]:
    """Return the answer's ``data``, or raise the exception its error code names."""
    if not isinstance(answer, dict):
        raise ZaloUnavailable(0, "the answer is not an object")
    code = answer.get("error", 0)
    if not isinstance(code, int) or isinstance(code, bool):
        raise ZaloUnavailable(0, "the answer has no error code")
    if code != 0:
        description = str(answer.get("message") or "refused")[:200]
        raise _ERRORS.get(code, ZaloRequestRefused)(code, description)
    data = answer.get("data")
    return data if isinstance(data, dict) else {}


def _field(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
        raise ZaloUnavailable(0, f"the answer has no {name}")
    return str(value)


def _text(text: str) -> str:
    if not text or len(text) > ZALO_MAX_TEXT:
        raise ValueError(f"a Zalo text has 1 to {ZALO_MAX_TEXT} characters")
    return text


def _label(label: str) -> str:
    if not label or len(label) > ZALO_MAX_BUTTON_LABEL:
        raise ValueError(f"a label has 1 to {ZALO_MAX_BUTTON_LABEL} characters")
    return label


def _payload(payload: str) -> str:
    if not payload or len(payload.encode()) > ZALO_MAX_BUTTON_PAYLOAD:
        raise ValueError(f"a payload has 1 to {ZALO_MAX_BUTTON_PAYLOAD} bytes")
    return payload


def _button(button: Button) -> dict[str, str]:
    return {
        "type": "oa.query.hide",
        "title": _label(button.label),
        "payload": _payload(button.payload),
    }


def _element(element: ListElement) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "title": _label(element.title),
        "default_action": {"type": "oa.query.hide", "payload": _payload(element.payload)},
    }
    if element.subtitle:
        shaped["subtitle"] = element.subtitle
    if element.image_url:
        shaped["image_url"] = element.image_url
    return shaped
