"""Document kinds and statuses are said in Chinese by their enums, once: the verification
page, the API's ``kind_label`` and the check of a copy all read them there."""

from __future__ import annotations

import pytest

from contracts import DocumentKind
from market.document_check import CopyVerdict
from market.models import DocumentStatus, IssuedDocument


def test_every_document_status_has_its_label() -> None:
    assert {status: status.label for status in DocumentStatus} == {
        DocumentStatus.VALID: "有效",
        DocumentStatus.SUPERSEDED: "已被新版本替代",
        DocumentStatus.REVOKED: "已撤销",
    }


@pytest.mark.parametrize("kind", list(DocumentKind), ids=str)
def test_an_issued_document_is_titled_by_its_kinds_label(kind: DocumentKind) -> None:
    assert IssuedDocument(kind=kind.value).kind_label == kind.label


def test_a_kind_no_longer_issued_shows_as_stored() -> None:
    assert IssuedDocument(kind="tender_notice").kind_label == "tender_notice"


def test_the_check_of_a_copy_says_the_documents_status_by_its_label() -> None:
    assert CopyVerdict.SAME_DOCUMENT.says(status=DocumentStatus.REVOKED) == "与本平台签发的原件一致，文件状态：已撤销。"
    assert CopyVerdict.NOT_ISSUED.says(reason="文件不含电子签章。").endswith("：文件不含电子签章。")
    assert "不是此编号对应的文件" in CopyVerdict.OTHER_DOCUMENT.says()
