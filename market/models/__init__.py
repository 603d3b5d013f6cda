"""ORM tables. Importing this package registers every table on :data:`Base.metadata`
(Alembic's autogenerate and ``alembic check`` read it)."""

from market.models.accounts import (
    LoginAttempt,
    Organisation,
    OrganisationKind,
    User,
    UserRole,
    UserSession,
)
from market.models.audit import AuditCheckpoint, AuditEntry, AuditSeal, AuditUnsealed
from market.models.award import (
    Award,
    CaseFile,
    ContractSigning,
    Delivery,
    Objection,
    ProcurementEvaluation,
    TimeLimit,
)
from market.models.base import Base
from market.models.bids import Bid, BidOpening, BidVersion, ProcurementKey
from market.models.calendar import ImportedCalendarYear
from market.models.direct import DirectRequest
from market.models.documents import DocumentStatus, DocumentTemplate, IssuedDocument
from market.models.draw import DrawCommitment, DrawReveal, DrawRound, SelectionRecordRow
from market.models.offers import ContractorOffer
from market.models.procurement import Procurement, ProcurementSequence, ProcurementVersion
from market.models.procurement_extras import IdempotencyRecord, ProcurementAttachment
from market.models.registry import (
    ORGANISATION_KIND,
    CreditCause,
    CreditEvent,
    Firm,
    FirmStatus,
    FirmStatusChange,
    Licence,
    LicenceStatus,
    Misconduct,
    MisconductSeverity,
    Registry,
    ServiceEvaluation,
    TrackRecord,
)
from market.models.review import ProcurementReviewer, ReviewScore
from market.models.supervision import ScreenReview
from market.principal import Role  # pure, so that the access rules need no ORM

__all__ = [
    "ORGANISATION_KIND",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditSeal",
    "AuditUnsealed",
    "Award",
    "Base",
    "Bid",
    "BidOpening",
    "BidVersion",
    "CaseFile",
    "ContractSigning",
    "ContractorOffer",
    "CreditCause",
    "CreditEvent",
    "Delivery",
    "DirectRequest",
    "DocumentStatus",
    "DocumentTemplate",
    "DrawCommitment",
    "DrawReveal",
    "DrawRound",
    "Firm",
    "FirmStatus",
    "FirmStatusChange",
    "IdempotencyRecord",
    "ImportedCalendarYear",
    "IssuedDocument",
    "Licence",
    "LicenceStatus",
    "LoginAttempt",
    "Misconduct",
    "MisconductSeverity",
    "Objection",
    "Organisation",
    "OrganisationKind",
    "Procurement",
    "ProcurementAttachment",
    "ProcurementEvaluation",
    "ProcurementKey",
    "ProcurementReviewer",
    "ProcurementSequence",
    "ProcurementVersion",
    "Registry",
    "ReviewScore",
    "Role",
    "ScreenReview",
    "SelectionRecordRow",
    "ServiceEvaluation",
    "TimeLimit",
    "TrackRecord",
    "User",
    "UserRole",
    "UserSession",
]
