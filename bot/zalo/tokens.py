"""The OA's access token, refreshed with its single-use refresh token, shared by every process.

Zalo's refresh token works once: a refresh answers a new access token **and** a new refresh
token, and the old refresh token is void. Two processes that both see the access token
expire and both refresh would burn the same refresh token; the second would be refused, and
if the first's answer were lost the OA would have to be authorised again by hand. So the
pair lives in the database (``zalo_tokens``) and is rotated in one transaction that holds the
row's lock across the call to Zalo: on PostgreSQL ``SELECT … FOR UPDATE``; on SQLite the
database's write lock, which every transaction takes as it begins (``BEGIN IMMEDIATE``). A
second process asking meanwhile waits for the lock, then finds a fresh token and uses it
without calling Zalo. The call to Zalo is short and happens about once a day; holding a
lock across it is the price of never spending the refresh token twice.

What cannot be helped: if Zalo rotated the pair but its answer never arrived (the network
broke mid-call), the transaction rolls back, the stored refresh token is already void, and
the next refresh is refused: :class:`AuthorisationLost` then says an OA admin must authorise
the app again (README, "Zalo").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import aiohttp

from core.ports import UnitOfWork
from core.zalo import ZaloTokens

log = logging.getLogger(__name__)

# The token endpoint's path under the OAuth URL (NTVT_ZALO_OAUTH_URL).
TOKEN_PATH = "/v4/oa/access_token"


class TokensMissing(Exception):
    """No tokens are stored for the OA: authorise the app for it first (README, "Zalo")."""


class AuthorisationLost(Exception):
    """Zalo refused the stored refresh token: an OA admin must authorise the app again."""


class TokenEndpointUnavailable(Exception):
    """Zalo's token endpoint could not be reached or answered nonsense; try again later."""


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What the token endpoint answers: a new pair and the access token's lifetime."""

    access_token: str
    refresh_token: str
    expires_in: timedelta
    refresh_expires_in: timedelta | None = None


class TokenEndpoint:
    """``POST {oauth}/v4/oa/access_token`` with the app's id and secret key."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        oauth_url: str,
        app_id: str,
        app_secret: str,
        timeout: float = 10.0,
    ) -> None:
        self._session = session
        self._url = oauth_url.rstrip("/") + TOKEN_PATH
        self._app_id = app_id
        self._app_secret = app_secret
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def refresh(self, refresh_token: str) -> TokenGrant:
        """Spend ``refresh_token`` for a new pair; raise :class:`AuthorisationLost` if refused."""
        form = {
            "app_id": self._app_id,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        try:
            async with self._session.post(
                self._url,
                data=form,
                headers={"secret_key": self._app_secret},
                timeout=self._timeout,
            ) as response:
                if response.status >= 500:
                    raise TokenEndpointUnavailable(f"the token endpoint answered {response.status}")
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise TokenEndpointUnavailable(type(error).__name__) from None
        if not isinstance(answer, dict):
            raise TokenEndpointUnavailable("the token endpoint answered no object")
        access = answer.get("access_token")
        refresh = answer.get("refresh_token")
        if not isinstance(access, str) or not access or not isinstance(refresh, str) or not refresh:
            code = answer.get("error")
            name = answer.get("error_name") or answer.get("error_description") or "refused"
            raise AuthorisationLost(f"Zalo refused the refresh token ({code}: {name})")
        return TokenGrant(
            access_token=access,
            refresh_token=refresh,
            expires_in=timedelta(seconds=_seconds(answer.get("expires_in"), default=90000)),
            refresh_expires_in=(
                timedelta(seconds=_seconds(answer["refresh_token_expires_in"], default=0))
                if "refresh_token_expires_in" in answer
                else None
            ),
        )


def _seconds(value: object, *, default: int) -> int:
    """Read a number of seconds Zalo may give as a number or a string ("90000")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return default


class Refresher(Protocol):
    """What :class:`OaTokens` needs of the token endpoint (:class:`TokenEndpoint`)."""

    async def refresh(self, refresh_token: str) -> TokenGrant:
        """Spend ``refresh_token`` for a new pair."""
        ...


class OaTokens:
    """The OA's current access token, refreshed once across processes when it runs out."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        endpoint: Refresher,
        *,
        oa_id: str,
        clock: Callable[[], datetime],
        margin: timedelta = timedelta(minutes=10),
    ) -> None:
        self._uow = uow
        self._endpoint = endpoint
        self._oa_id = oa_id
        self._clock = clock
        self._margin = margin
        self._known: ZaloTokens | None = None
        # One refresh at a time in this process; across processes the row lock decides.
        self._refreshing = asyncio.Lock()

    async def install(self, grant: TokenGrant) -> None:
        """Store the pair an OA admin's authorisation gave (replaces what was stored)."""
        now = self._clock()
        tokens = _tokens(self._oa_id, grant, now)
        async with self._uow() as uow:
            await uow.zalo_tokens.save(tokens)
            await uow.commit()
        self._known = tokens

    async def access_token(self) -> str:
        """Return an access token good for at least the margin, refreshing it if needed."""
        now = self._clock()
        if self._known is not None and self._known.fresh(now, margin=self._margin):
            return self._known.access_token
        async with self._uow() as uow:
            stored = await uow.zalo_tokens.get(self._oa_id)
        if stored is None:
            raise TokensMissing(f"no Zalo tokens stored for OA {self._oa_id}")
        self._known = stored
        if stored.fresh(now, margin=self._margin):
            return stored.access_token
        return await self.refresh(stale=stored.access_token)

    async def refresh(self, *, stale: str) -> str:
        """Replace the access token ``stale`` (expired, or refused by Zalo); return the new one.

        If another process (or task) replaced it meanwhile, its token is returned and Zalo is
        not called: the refresh token is spent once.
        """
        async with self._refreshing, self._uow() as uow:
            stored = await uow.zalo_tokens.lock(self._oa_id)
            if stored is None:
                raise TokensMissing(f"no Zalo tokens stored for OA {self._oa_id}")
            now = self._clock()
            if stored.access_token != stale and stored.fresh(now, margin=self._margin):
                self._known = stored
                return stored.access_token
            grant = await self._endpoint.refresh(stored.refresh_token)
            rotated = _tokens(self._oa_id, grant, now)
            await uow.zalo_tokens.save(rotated)
            await uow.commit()
        log.info(
            "Zalo OA %s: access token refreshed, valid until %s",
            self._oa_id,
            rotated.access_expires_at,
        )
        self._known = rotated
        return rotated.access_token


def _tokens(oa_id: str, grant: TokenGrant, now: datetime) -> ZaloTokens:
    return ZaloTokens(
        oa_id=oa_id,
        access_token=grant.access_token,
        refresh_token=grant.refresh_token,
        access_expires_at=now + grant.expires_in,
        refreshed_at=now,
        refresh_expires_at=now + grant.refresh_expires_in if grant.refresh_expires_in else None,
    )
