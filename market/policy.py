"""Who may do what: the platform's access rules as pure functions.

Each ``may_*`` function takes the signed-in :class:`~market.accounts.Principal` (or None
for an anonymous visitor) and plain data about the thing asked for, and answers yes or no.
None of them opens a session or reads the clock (an import-linter contract keeps SQLAlchemy
out), so each rule can be read, tested and changed in one place. Controllers keep only the
coarse role guards; services call these and turn a "no" into
:class:`~market.errors.PermissionDenied`, or into :class:`~market.errors.NotFound` where
even a thing's existence is not the reader's to know (an applicant, to an owner).

Standing, in short:

* **officials** — supervisors (监督) and administrators — see everything;
* **members** — owners and the users of admitted (or suspended) firms — see what a
  signed-in user of the platform sees: other firms' contacts, the organisation list;
* **applicants** — users of a firm whose application is not (yet) admitted: applied,
  returned (退回补正) or rejected — see their own application and otherwise only what
  the public sees. A removed firm (清出) is no longer a member either, but stays a party
  to the documents it signed.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from market.principal import Principal, Role
from market.registry.admission_rules import FirmStatus

APPLICANT_STATUSES = frozenset({FirmStatus.APPLIED, FirmStatus.RETURNED, FirmStatus.REJECTED})
OUTSIDE_STATUSES = APPLICANT_STATUSES | {FirmStatus.REMOVED}

#: Published anyway (成交结果公示); every other kind is private to its parties.
PUBLIC_DOCUMENT_KINDS = frozenset({"result_notice"})


# -- standing ------------------------------------------------------------------------------
def is_official(principal: Principal | None) -> bool:
    return principal is not None and principal.has_any((Role.ADMIN, Role.SUPERVISOR))


def is_applicant(principal: Principal | None) -> bool:
    """A user whose firm has applied to a registry and is not admitted."""
    return principal is not None and principal.firm_status in APPLICANT_STATUSES


def is_member(principal: Principal | None) -> bool:
    """Signed in and part of the platform's trading community (not an applicant, not removed)."""
    return principal is not None and principal.firm_status not in OUTSIDE_STATUSES


# -- organisations and firms -----------------------------------------------------------------
def may_list_organisations(principal: Principal | None) -> bool:
    """The organisation list names every body and firm with its address and phone."""
    return is_member(principal)


def may_read_organisation(principal: Principal | None, organisation_id: int) -> bool:
    """Members read any organisation; anyone signed in reads their own."""
    return is_member(principal) or (principal is not None and principal.organisation_id == organisation_id)


def may_see_firm_contacts(principal: Principal | None, firm_id: int) -> bool:
    """Contact details of a firm are for signed-in members, the firm itself and officials."""
    if principal is None:
        return False
    return is_member(principal) or principal.organisation_id == firm_id


def may_edit_firm(principal: Principal, firm_id: int) -> bool:
    """A firm's record (profile, licences, track records, resubmitting its application) is
    changed by the firm's own users and by administrators; nobody else."""
    if Role.ADMIN in principal.roles:
        return True
    return principal.organisation_id == firm_id and principal.has_any((Role.CONTRACTOR, Role.INTERMEDIARY))


def may_see_firm_internals(principal: Principal | None, firm_id: int) -> bool:
    """What a registry does not publish about a firm — the credit events behind its score,
    its licences under review, an application not yet admitted — is for the firm's own
    accounts and the officials."""
    if principal is None:
        return False
    return is_official(principal) or principal.organisation_id == firm_id


def may_ask_eligibility(principal: Principal, firm_id: int) -> bool:
    """Why a firm is or is not eligible: owners ask about any published firm (they choose
    whom to invite), a firm about itself, officials about anyone."""
    return may_see_firm_internals(principal, firm_id) or Role.OWNER in principal.roles


# -- the registries as a reader sees them ------------------------------------------------------
class Audience(enum.Enum):
    """Which view of the registries a reader gets."""

    PUBLIC = "public"  # not signed in, and applicants looking at other firms
    MEMBER = "member"  # signed-in members (owners look for contacts); not applicants
    FIRM = "firm"  # the firm's own users
    OFFICIAL = "official"  # supervisors and administrators


def audience_of(principal: Principal | None, firm_id: int | None = None) -> Audience:
    """Which view a reader gets: of the registries (no ``firm_id``) or of one firm."""
    if principal is None:
        return Audience.PUBLIC
    if is_official(principal):
        return Audience.OFFICIAL
    if firm_id is None:
        return Audience.PUBLIC  # lists show published firms to everyone else
    if principal.organisation_id == firm_id and principal.has_any((Role.CONTRACTOR, Role.INTERMEDIARY)):
        return Audience.FIRM
    if not may_see_firm_contacts(principal, firm_id):
        return Audience.PUBLIC  # an applicant sees other firms as the public does
    return Audience.MEMBER


def sees_unpublished(audience: Audience) -> bool:
    """Firms not (or no longer) admitted, licences under review, the status history and its
    reasons: for the firm itself and the officials. To anyone else such a firm does not
    exist (404, not 403: not even its existence is published)."""
    return audience in (Audience.FIRM, Audience.OFFICIAL)


def sees_contacts(audience: Audience) -> bool:
    return audience is not Audience.PUBLIC


# -- documents ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DocumentFacts:
    """What the rules need to know of an issued document (the service reads them from its
    row: :func:`market.document_access.facts_of`)."""

    kind: str
    issuer_organisation_id: int | None
    issued_by: int | None
    party_usccs: tuple[str, ...]


def acts_for_issuer(principal: Principal, document: DocumentFacts) -> bool:
    """True for the issuing organisation's owner accounts. A document issued by an account
    of no organisation belongs to that account alone."""
    if document.issuer_organisation_id is not None:
        return principal.organisation_id == document.issuer_organisation_id and Role.OWNER in principal.roles
    return document.issued_by is not None and principal.user_id == document.issued_by


def is_party(principal: Principal, document: DocumentFacts) -> bool:
    """The principal's organisation is one of the legal persons the document names."""
    return principal.organisation_uscc is not None and principal.organisation_uscc in document.party_usccs


def may_read_document(principal: Principal | None, document: DocumentFacts) -> bool:
    """Result notices are public. A contract or a selection notice goes to the parties it
    names, the issuing organisation, supervisors and administrators; an applicant is never
    a party (no firm is named in a document before it is admitted)."""
    if document.kind in PUBLIC_DOCUMENT_KINDS:
        return True
    if principal is None:
        return False
    if is_official(principal) or acts_for_issuer(principal, document):
        return True
    return not is_applicant(principal) and is_party(principal, document)


def may_issue_for(principal: Principal, documents_of_reference: Sequence[DocumentFacts]) -> bool:
    """A procurement reference belongs to whoever issued its documents: a new document
    for it (which may supersede one of them) comes from the same issuer, or from an
    administrator acting for it (see :func:`overrides_issuer`)."""
    if Role.ADMIN in principal.roles:
        return True
    return all(acts_for_issuer(principal, d) for d in documents_of_reference)


def overrides_issuer(principal: Principal, documents_of_reference: Sequence[DocumentFacts]) -> bool:
    """True when an administrator issues for a reference another issuer owns: allowed, but
    only with a reason, which goes into the audit log."""
    return Role.ADMIN in principal.roles and not all(
        acts_for_issuer(principal, d) for d in documents_of_reference
    )


def may_revoke_document(principal: Principal, document: DocumentFacts) -> bool:
    """The issuing organisation withdraws its own document; administrators act on the
    centre's behalf; supervisors (监督) may too, because voiding a notice or contract after
    a complaint (投诉处理, 中选无效) is the supervisory body's power. Everyone says why."""
    return is_official(principal) or acts_for_issuer(principal, document)


def may_act_on_procurement_documents(principal: Principal, owner_organisation_id: int) -> bool:
    """A platform procurement's documents (its notices, its contract) are its owner
    organisation's: only that organisation's owner accounts, or an administrator acting for
    it, cause one to be issued, superseded or revoked. The platform issues them itself for
    the owner (:func:`market.documents.issue_for_procurement`)."""
    return Role.ADMIN in principal.roles or acts_for_owner(principal, owner_organisation_id)


def may_issue_free_form(principal: Principal) -> bool:
    """Issuing a document from arbitrary data (not built from a procurement's stored data)
    is an administrator's act: a correction or a document of no platform procurement."""
    return Role.ADMIN in principal.roles


# -- procurements ------------------------------------------------------------------------------
def acts_for_owner(principal: Principal | None, owner_organisation_id: int) -> bool:
    """An owner (业主) account of the procurement's organisation."""
    return (
        principal is not None
        and principal.organisation_id == owner_organisation_id
        and Role.OWNER in principal.roles
    )


def may_see_procurement(principal: Principal | None, owner_organisation_id: int, public: bool) -> bool:
    """A published procurement (and every later state) is public; a draft is seen only by
    its organisation's accounts — not even officials, for whom a draft is not yet an act of
    the owner. ``public`` is :attr:`ProcurementStatus.public`."""
    if public:
        return True
    return principal is not None and principal.organisation_id == owner_organisation_id


def may_edit_procurement(principal: Principal | None, owner_organisation_id: int) -> bool:
    """Editing a draft, publishing, amending and cancelling are the owner organisation's
    acts, done by its owner accounts; nobody acts for it."""
    return acts_for_owner(principal, owner_organisation_id)


# -- bids --------------------------------------------------------------------------------------
def may_read_opening(principal: Principal | None, owner_organisation_id: int, *, bid_on_it: bool) -> bool:
    """The opening list (开标记录), once the bids are opened: the owner's organisation, the
    officials, and the firms that bid on the procurement. Before the opening nobody reads
    it (the bid service refuses and audits the attempt)."""
    if principal is None:
        return False
    return is_official(principal) or acts_for_owner(principal, owner_organisation_id) or bid_on_it


# -- after the award: delivery, acceptance, evaluation (issue 13) -----------------------------
def acts_for_firm(principal: Principal | None, firm_id: int) -> bool:
    """A user of the awarded firm (中介机构 or 施工企业 account of that organisation)."""
    return (
        principal is not None
        and principal.organisation_id == firm_id
        and principal.has_any((Role.INTERMEDIARY, Role.CONTRACTOR))
    )


def may_read_delivery(principal: Principal | None, owner_organisation_id: int, firm_id: int) -> bool:
    """A delivery and its files (成果文件) are the two parties' and the officials'."""
    return (
        is_official(principal)
        or acts_for_owner(principal, owner_organisation_id)
        or acts_for_firm(principal, firm_id)
    )


def may_decide_for(principal: Principal | None, owner_organisation_id: int) -> bool:
    """A supervisor decides objections to an owner's acts, never one of that owner's own
    organisation (it would judge its own case)."""
    return (
        principal is not None
        and Role.SUPERVISOR in principal.roles
        and principal.organisation_id != owner_organisation_id
    )
