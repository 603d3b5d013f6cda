"""The access rules of market.policy, decided from plain data (no database)."""

from __future__ import annotations

from market.policy import (
    Audience,
    DocumentFacts,
    audience_of,
    may_act_on_procurement_documents,
    may_ask_eligibility,
    may_edit_firm,
    may_edit_procurement,
    may_issue_for,
    may_issue_free_form,
    may_list_organisations,
    may_read_document,
    may_read_organisation,
    may_revoke_document,
    may_see_firm_contacts,
    may_see_firm_internals,
    may_see_procurement,
    overrides_issuer,
    sees_contacts,
    sees_unpublished,
)
from market.principal import Principal, Role
from market.registry.admission_rules import FirmStatus

BUREAU, OTHER = 10, 11
EMPLOYER_USCC, CONTRACTOR_USCC = "11440200MB2C12340D", "91440203MA55K9870C"
CONTRACT = DocumentFacts("works_contract", BUREAU, 1, (EMPLOYER_USCC, CONTRACTOR_USCC))
NOTICE = DocumentFacts("result_notice", BUREAU, 1, (EMPLOYER_USCC, CONTRACTOR_USCC))


def person(role: Role, org: int | None = None, uscc: str | None = None,
           status: FirmStatus | None = None, user_id: int = 99) -> Principal:
    return Principal(user_id, f"u{user_id}", "someone", frozenset({role}), org, uscc, status)


BUREAU_OWNER = person(Role.OWNER, BUREAU, EMPLOYER_USCC)
OTHER_OWNER = person(Role.OWNER, OTHER)
WINNER = person(Role.CONTRACTOR, 20, CONTRACTOR_USCC, FirmStatus.ADMITTED)
APPLICANT_WITH_WINNERS_CODE = person(Role.CONTRACTOR, 21, CONTRACTOR_USCC, FirmStatus.APPLIED)
UNRELATED_FIRM = person(Role.INTERMEDIARY, 22, "91440204000000022X", FirmStatus.ADMITTED)
SUPERVISOR, ADMIN = person(Role.SUPERVISOR), person(Role.ADMIN)


def test_a_private_document_is_read_by_its_parties_issuer_and_officials_only() -> None:
    allowed = [BUREAU_OWNER, WINNER, SUPERVISOR, ADMIN]
    refused = [None, OTHER_OWNER, UNRELATED_FIRM, APPLICANT_WITH_WINNERS_CODE]
    assert all(may_read_document(p, CONTRACT) for p in allowed)
    assert not any(may_read_document(p, CONTRACT) for p in refused)
    assert all(may_read_document(p, NOTICE) for p in refused)  # 公示 is public


def test_a_removed_firm_stays_a_party_to_what_it_signed() -> None:
    removed = person(Role.CONTRACTOR, 20, CONTRACTOR_USCC, FirmStatus.REMOVED)
    assert may_read_document(removed, CONTRACT)
    assert not may_list_organisations(removed)


def test_a_reference_belongs_to_its_issuer_and_an_admin_overrides_it_visibly() -> None:
    assert may_issue_for(BUREAU_OWNER, [CONTRACT]) and not overrides_issuer(BUREAU_OWNER, [CONTRACT])
    assert not may_issue_for(OTHER_OWNER, [CONTRACT])
    assert may_issue_for(OTHER_OWNER, [])  # a fresh reference
    assert may_issue_for(ADMIN, [CONTRACT]) and overrides_issuer(ADMIN, [CONTRACT])
    # a document issued by an account of no organisation belongs to that account
    own = DocumentFacts("works_contract", None, 5, ())
    assert may_issue_for(person(Role.OWNER, user_id=5), [own])
    assert not may_issue_for(person(Role.OWNER, user_id=6), [own])


def test_revoking_is_for_the_issuer_and_officials() -> None:
    assert may_revoke_document(BUREAU_OWNER, CONTRACT)
    assert may_revoke_document(SUPERVISOR, CONTRACT) and may_revoke_document(ADMIN, CONTRACT)
    assert not may_revoke_document(OTHER_OWNER, CONTRACT) and not may_revoke_document(WINNER, CONTRACT)


def test_an_applicant_sees_only_its_own_organisation_and_no_contacts_of_others() -> None:
    applicant = APPLICANT_WITH_WINNERS_CODE
    assert not may_list_organisations(applicant) and may_list_organisations(OTHER_OWNER)
    assert may_read_organisation(applicant, 21) and not may_read_organisation(applicant, 20)
    assert may_see_firm_contacts(applicant, 21) and not may_see_firm_contacts(applicant, 20)
    assert may_see_firm_contacts(WINNER, 22) and not may_see_firm_contacts(None, 22)
    returned = person(Role.INTERMEDIARY, 23, None, FirmStatus.RETURNED)
    assert not may_see_firm_contacts(returned, 20)


def test_a_firms_record_is_changed_by_its_own_firm_users_and_administrators() -> None:
    colleague_as_owner = person(Role.OWNER, 20, CONTRACTOR_USCC, FirmStatus.ADMITTED)
    assert may_edit_firm(WINNER, 20) and may_edit_firm(ADMIN, 20)
    assert may_edit_firm(APPLICANT_WITH_WINNERS_CODE, 21)  # an applicant resubmits its own application
    assert not may_edit_firm(WINNER, 22) and not may_edit_firm(SUPERVISOR, 20)
    assert not may_edit_firm(colleague_as_owner, 20)  # an owner account is not a firm user


def test_what_a_firm_does_not_publish_is_for_itself_and_the_officials() -> None:
    assert may_see_firm_internals(WINNER, 20) and may_see_firm_internals(APPLICANT_WITH_WINNERS_CODE, 21)
    assert may_see_firm_internals(SUPERVISOR, 20) and may_see_firm_internals(ADMIN, 20)
    assert not any(may_see_firm_internals(p, 20) for p in (None, BUREAU_OWNER, UNRELATED_FIRM))


def test_owners_firms_and_officials_ask_why_a_firm_is_eligible() -> None:
    assert may_ask_eligibility(BUREAU_OWNER, 20) and may_ask_eligibility(WINNER, 20)
    assert may_ask_eligibility(SUPERVISOR, 20)
    assert not may_ask_eligibility(UNRELATED_FIRM, 20)


def test_each_reader_gets_the_view_of_the_registries_that_is_theirs() -> None:
    assert audience_of(None, 20) is Audience.PUBLIC and audience_of(WINNER) is Audience.PUBLIC
    assert audience_of(SUPERVISOR) is Audience.OFFICIAL and audience_of(ADMIN, 20) is Audience.OFFICIAL
    assert audience_of(WINNER, 20) is Audience.FIRM
    assert audience_of(BUREAU_OWNER, 20) is Audience.MEMBER and audience_of(WINNER, 22) is Audience.MEMBER
    assert audience_of(APPLICANT_WITH_WINNERS_CODE, 20) is Audience.PUBLIC
    assert audience_of(APPLICANT_WITH_WINNERS_CODE, 21) is Audience.FIRM
    assert [sees_unpublished(a) for a in Audience] == [False, False, True, True]
    assert [sees_contacts(a) for a in Audience] == [False, True, True, True]


# -- procurements ------------------------------------------------------------------------------
BUREAU_CLERK = person(Role.SUPERVISOR, BUREAU)  # an account of the owner's organisation, no owner role
OFFICIALS = [person(Role.ADMIN), person(Role.SUPERVISOR)]


def test_a_draft_is_seen_only_by_its_organisation() -> None:
    assert may_see_procurement(BUREAU_OWNER, BUREAU, public=False)
    assert may_see_procurement(BUREAU_CLERK, BUREAU, public=False)
    for reader in [None, OTHER_OWNER, WINNER, UNRELATED_FIRM, *OFFICIALS]:
        assert not may_see_procurement(reader, BUREAU, public=False), reader


def test_a_published_procurement_is_seen_by_everyone() -> None:
    for reader in [None, BUREAU_OWNER, OTHER_OWNER, WINNER, APPLICANT_WITH_WINNERS_CODE, *OFFICIALS]:
        assert may_see_procurement(reader, BUREAU, public=True), reader


def test_only_the_owner_organisations_owner_accounts_edit_publish_amend_or_cancel() -> None:
    assert may_edit_procurement(BUREAU_OWNER, BUREAU)
    for someone in [None, OTHER_OWNER, BUREAU_CLERK, WINNER, person(Role.INTERMEDIARY, BUREAU), *OFFICIALS]:
        assert not may_edit_procurement(someone, BUREAU), someone


def test_a_platform_procurements_documents_are_its_owner_organisations_or_an_administrators() -> None:
    assert may_act_on_procurement_documents(person(Role.OWNER, org=7), 7)
    assert may_act_on_procurement_documents(person(Role.ADMIN), 7)
    assert not may_act_on_procurement_documents(person(Role.OWNER, org=8), 7)  # another owner
    assert not may_act_on_procurement_documents(person(Role.SUPERVISOR), 7)
    assert not may_act_on_procurement_documents(person(Role.INTERMEDIARY, org=7), 7)  # not an owner account
    assert may_issue_free_form(person(Role.ADMIN))
    assert not any(may_issue_free_form(person(r, org=7)) for r in Role if r is not Role.ADMIN)
