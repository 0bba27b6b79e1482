"""The officers' search index, kept in memory and caught up from the database before use."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from core.ports import UnitOfWork
from core.search import NominationIndex, SearchPage, shown_page, tracking_codes_in

# Rows read per query while catching up; the first start reads everything in such batches.
BATCH = 1_000


class SearchService:
    """Wraps :class:`~core.search.NominationIndex` for a process that shares its database.

    Other processes add nominations too, so every search first reads the nominations newer
    than the last one indexed (one cheap query on the primary key). Searching runs in a worker
    thread under a lock: a broad query over 100,000 nominations must not stall every chat.

    The index keeps no codes and nothing to show: the database's unique index on the code
    tells which tracking codes typed exist, and a page's nominations are read back by id.
    """

    def __init__(self) -> None:
        self._index = NominationIndex()
        self._last_id = 0
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._index)

    async def catch_up(self, uow: UnitOfWork) -> int:
        """Index the nominations added since the last call; return how many."""
        added = 0
        async with self._lock:
            try:
                while True:
                    batch = await uow.nominations.search_entries(
                        after_id=self._last_id, limit=BATCH
                    )
                    for entry in batch:
                        self._index.add(entry)
                        self._last_id = entry.nomination_id
                    added += len(batch)
                    if len(batch) < BATCH:
                        return added
            finally:
                self._index.finish_loading()

    async def forget(self, nomination_ids: Iterable[int]) -> None:
        """Drop deleted nominations from the index (another process's drop out of pages)."""
        async with self._lock:
            for nomination_id in nomination_ids:
                self._index.remove(nomination_id)

    async def search(
        self,
        uow: UnitOfWork,
        query: str,
        *,
        unit_keys: frozenset[str] | None,
        limit: int,
        offset: int,
    ) -> SearchPage:
        """Return a page of the nominations in ``unit_keys`` (None: all) best matching ``query``."""
        await self.catch_up(uow)
        codes = tracking_codes_in(query)
        found = await uow.nominations.ids_by_code(codes) if codes else {}
        async with self._lock:
            ranked = await asyncio.to_thread(
                self._index.search,
                query,
                unit_keys=unit_keys,
                limit=limit,
                offset=offset,
                codes=found,
            )
        ids = [hit.nomination_id for hit in ranked.hits]
        entries = await uow.nominations.search_entries_by_ids(ids)
        return shown_page(ranked, entries, unit_keys=unit_keys)
