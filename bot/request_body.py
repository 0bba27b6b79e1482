"""Reading a webhook's body without ever holding more of it than a limit."""

from __future__ import annotations

from fastapi import Request


async def body_at_most(request: Request, limit: int) -> bytes | None:
    """Return the request's body, or None as soon as it is known to exceed ``limit`` bytes.

    A declared Content-Length is checked before anything is read; a chunked body is counted
    as it streams, so neither is ever held whole when too large.
    """
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
