"""Freed heap pages go back to the system where the C library can (glibc), else nothing."""

from __future__ import annotations

import platform

from bot.arenas import release_freed_memory


def test_freed_pages_are_released_on_glibc_and_nothing_is_done_elsewhere() -> None:
    on_glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    transient = [bytearray(4096) for _ in range(2_000)]  # 8 MB freed just before
    del transient

    assert release_freed_memory() is on_glibc
