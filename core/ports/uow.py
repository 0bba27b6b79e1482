"""The unit of work: one transaction over every repository, rolled back unless committed."""

from __future__ import annotations

import abc
from datetime import datetime
from types import TracebackType
from typing import Self

from core.ports.access import AccessLogRepository
from core.ports.broadcasts import BroadcastRepository, SubscriptionRepository
from core.ports.channels import (
    ChannelIdentityRepository,
    ZaloEventRepository,
    ZaloTokenRepository,
)
from core.ports.deadlines import DeadlineRepository
from core.ports.deliveries import DeliveryRepository
from core.ports.desk import DeskRepository
from core.ports.dossiers import DossierRepository
from core.ports.erasure import ErasureRepository
from core.ports.inbound import DialogRepository, InboundUpdateRepository
from core.ports.inquiries import InquiryRepository
from core.ports.meetings import MeetingRepository
from core.ports.nominations import (
    AuditRepository,
    FailedLookupRepository,
    NominationRepository,
    SupporterRepository,
)
from core.ports.organisation import OrganisationRepository
from core.ports.outbox import LeaseRepository, OutboxRepository
from core.ports.people import (
    ConsentRepository,
    InvitationRepository,
    RoleRepository,
    UserRepository,
)
from core.ports.publicity import PublicityRepository
from core.ports.requests import DataRequestRepository
from core.ports.task_documents import TaskDocumentRepository


class UnitOfWork(abc.ABC):
    """One transaction over every repository; rolled back unless committed."""

    users: UserRepository
    consents: ConsentRepository
    nominations: NominationRepository
    dialogs: DialogRepository
    organisation: OrganisationRepository
    inbound: InboundUpdateRepository
    outbox: OutboxRepository
    roles: RoleRepository
    access_log: AccessLogRepository
    invitations: InvitationRepository
    audit: AuditRepository
    supporters: SupporterRepository
    deadlines: DeadlineRepository
    subscriptions: SubscriptionRepository
    broadcasts: BroadcastRepository
    leases: LeaseRepository
    failed_lookups: FailedLookupRepository
    inquiries: InquiryRepository
    erasure: ErasureRepository
    data_requests: DataRequestRepository
    identities: ChannelIdentityRepository
    zalo_tokens: ZaloTokenRepository
    zalo_events: ZaloEventRepository
    publicity: PublicityRepository
    meetings: MeetingRepository
    desk: DeskRepository
    dossiers: DossierRepository
    task_documents: TaskDocumentRepository
    deliveries: DeliveryRepository

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()

    async def lock_chat(self, chat_id: int) -> bool:
        """Hold the chat until this transaction ends, so its turns never overlap.

        Return whether other processes may serve the store too (then a turn also looks for
        the chat's earlier updates they stored). Stores one process serves (SQLite, memory)
        need do nothing: the process keeps each chat's order itself.
        """
        return False

    async def read_ahead(self, *, user_id: int, chat_id: int) -> None:
        """Read at once what a turn reads first: the user, their consent, the chat's dialog.

        A store where each read is a round trip answers the next read of each from what it
        read here; others need do nothing. The reads themselves are unchanged.
        """
        return None

    @abc.abstractmethod
    async def probe_write(self, at: datetime) -> None:
        """Write a row and roll the transaction back: raise if the store cannot take a write.

        Everything the transaction wrote before is dropped too. ``at`` dates the probe row.
        """

    @abc.abstractmethod
    async def commit(self) -> None:
        """Keep everything written since the transaction began."""

    @abc.abstractmethod
    async def rollback(self) -> None:
        """Drop everything not committed."""
