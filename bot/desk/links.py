"""Sign-in links: a one-time secret from core, signed for its officer as buttons are."""

from __future__ import annotations

from collections.abc import Callable

from bot.keyboards import SIGNATURE_CHARS, ButtonSigner

SIGNIN_PATH = "/desk/signin/"


def link_token(buttons: ButtonSigner, user_id: int, secret: str) -> str:
    """Return what a link carries: the secret with its signature for the officer's chat.

    The key is the inline buttons' (every process of the bot signs alike); a link made up
    or altered is refused before it is used up.
    """
    return buttons.sign(user_id, secret)


def signin_url(base: str, token: str) -> str:
    """Return the address of the sign-in page on the desk served at ``base``."""
    return f"{base}{SIGNIN_PATH}{token}"


def secret_in(token: str) -> str:
    """Return the secret part of a link's token (whether it was signed is checked apart)."""
    return token[:-SIGNATURE_CHARS] if len(token) > SIGNATURE_CHARS else ""


def signed_by(buttons: ButtonSigner, token: str) -> Callable[[int], bool]:
    """Return a check that ``token`` was signed for a given officer (for core's use)."""
    secret = secret_in(token)

    def signed_for(user_id: int) -> bool:
        return bool(secret) and buttons.verify(user_id, token) == secret

    return signed_for
