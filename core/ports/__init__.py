"""What the domain needs from storage: repositories and a unit of work.

``storage/`` implements these with SQLAlchemy; tests may implement them in memory. A unit of
work is one transaction: nothing it wrote is kept unless :meth:`UnitOfWork.commit` is called.
Each module here holds the repositories of one aggregate (:mod:`core.ports.nominations`...)
and :mod:`core.ports.uow` the unit of work over them all; everything is imported from here.
"""

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
from core.ports.uow import UnitOfWork

__all__ = [
    "AccessLogRepository",
    "AuditRepository",
    "BroadcastRepository",
    "ChannelIdentityRepository",
    "ConsentRepository",
    "DataRequestRepository",
    "DeadlineRepository",
    "DeliveryRepository",
    "DeskRepository",
    "DialogRepository",
    "DossierRepository",
    "ErasureRepository",
    "FailedLookupRepository",
    "InboundUpdateRepository",
    "InquiryRepository",
    "InvitationRepository",
    "LeaseRepository",
    "MeetingRepository",
    "NominationRepository",
    "OrganisationRepository",
    "OutboxRepository",
    "PublicityRepository",
    "RoleRepository",
    "SubscriptionRepository",
    "SupporterRepository",
    "TaskDocumentRepository",
    "UnitOfWork",
    "UserRepository",
    "ZaloEventRepository",
    "ZaloTokenRepository",
]
