"""The refusals of selection and contracts leave market as MarketErrors carrying their data,
and so reach a client as 4xx problem details through web/errors.py, which knows neither
package. Without the translation the same errors were 500s ("something went wrong on our
side"). No database: a small app with the real exception handlers stands in for the service."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.params import FromPath
from litestar.testing import TestClient

import selection
from contracts import errors as contract_errors
from market import errors as market_errors
from market.outside_errors import (
    RefusedBySelection,
    SelectionFailed,
    market_error_of,
    translated_errors,
)
from selection import errors as selection_errors
from web.errors import EXCEPTION_HANDLERS

SECRET = hashlib.sha256(b"outside errors").hexdigest()


def _too_few_respondents() -> selection_errors.InsufficientRespondents:
    inputs = {
        "procurement_ref": "SG-2026-017",
        "candidates": ["F001", "F002"],
        "commitments": {"platform": hashlib.sha256(bytes.fromhex(SECRET)).hexdigest()},
        "reveals": {"platform": SECRET},
        "rules": {"min_respondents": 3},
    }
    with pytest.raises(selection_errors.InsufficientRespondents) as caught:
        selection.run("random", inputs)
    return caught.value


def _refusals() -> Iterator[type[selection_errors.InvalidInput]]:
    yield selection_errors.InvalidInput
    pending = list(selection_errors.InvalidInput.__subclasses__())
    while pending:
        cls = pending.pop()
        yield cls
        pending.extend(cls.__subclasses__())


REFUSALS = sorted(_refusals(), key=lambda cls: cls.__name__)

RAISERS: dict[str, Callable[[], Exception]] = {
    **{cls.__name__: (lambda cls=cls: cls(f"{cls.code} here", parameter="count", limit=3)) for cls in REFUSALS},
    "InsufficientRespondents": _too_few_respondents,
    "InvalidDocumentData": lambda: contract_errors.InvalidDocumentData("winner.uscc", "not a valid USCC"),
    "TemplateSyntaxError": lambda: contract_errors.TemplateSyntaxError("unexpected end of template", 2),
    "UnsafeTemplateError": lambda: contract_errors.UnsafeTemplateError("secret_key is not a variable", 1),
    "TemplateRenderError": lambda: contract_errors.TemplateRenderError("winner has no attribute x"),
    "TemplateTooLarge": lambda: contract_errors.TemplateTooLarge("more than 2000000 characters", 4),
    "SealError": lambda: contract_errors.SealError("cannot load seal from /etc/market/seal.p12"),
}


@get("/api/outside/{name:str}", sync_to_thread=False)
def _raise(name: FromPath[str]) -> None:
    with translated_errors(within="data"):
        raise RAISERS[name]()


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient[Litestar]]:
    with TestClient(Litestar([_raise], exception_handlers=EXCEPTION_HANDLERS)) as client:
        yield client


def _problem(client: TestClient[Litestar], name: str) -> tuple[int, dict[str, Any]]:
    response = client.get(f"/api/outside/{name}")
    return response.status_code, response.json()


@pytest.mark.parametrize("cls", REFUSALS, ids=lambda cls: cls.__name__)
def test_every_selection_refusal_is_a_422_with_its_code_in_kebab_case(
    client: TestClient[Litestar], cls: type[selection_errors.InvalidInput]
) -> None:
    error = market_error_of(cls("refused", parameter="count", limit=3), within="inputs")
    assert isinstance(error, RefusedBySelection) and isinstance(error, market_errors.InvalidInput)
    assert error.code == cls.code.replace("_", "-") and "_" not in error.code
    assert error.field == "inputs.count" and error.details["limit"] == 3

    status, body = _problem(client, cls.__name__)
    assert status == 422
    assert body["type"] == f"/problems/{error.code}"
    assert body["detail"] == f"{cls.code} here"
    assert body["field"] == "data.count" and body["parameter"] == "count" and body["limit"] == 3


def test_a_selection_refusal_naming_per_firm_data_names_that_field() -> None:
    error = market_error_of(selection_errors.MissingFirmData("quotes has no entry for F002",
                                                             field="quotes", firm_id="F002"))
    assert isinstance(error, market_errors.InvalidInput)
    assert error.field == "quotes" and error.details == {"field": "quotes", "firm_id": "F002"}


def test_too_few_respondents_is_a_conflict_that_still_carries_the_failure_record(
    client: TestClient[Litestar],
) -> None:
    outcome = _too_few_respondents()
    error = market_error_of(outcome)
    assert isinstance(error, SelectionFailed) and isinstance(error, market_errors.Conflict)
    assert error.record is outcome.record and error.record.outcome == "failed"
    assert error.details["record_sha256"] == outcome.record.digest()

    status, body = _problem(client, "InsufficientRespondents")
    assert status == 409 and body["type"] == "/problems/insufficient-respondents"
    assert body["eligible"] == 2 and body["minimum"] == 3
    assert body["failure"] == {"code": "insufficient_respondents", "reason": "insufficient respondents",
                               "eligible": 2, "minimum": 3}
    assert body["record_sha256"] == outcome.record.digest()


def test_bad_document_data_is_a_422_naming_the_field_within_the_request(client: TestClient[Litestar]) -> None:
    error = market_error_of(contract_errors.InvalidDocumentData("payments[1].percent", "must be 1-100"),
                            within="data")
    assert type(error) is market_errors.InvalidInput
    assert error.field == "data.payments[1].percent"
    assert error.message == "data.payments[1].percent: must be 1-100"

    status, body = _problem(client, "InvalidDocumentData")
    assert status == 422 and body["type"] == "/problems/invalid-input"
    assert body["field"] == "data.winner.uscc" and body["reason"] == "not a valid USCC"
    assert body["detail"] == "data.winner.uscc: not a valid USCC"


@pytest.mark.parametrize(("name", "line"), [
    ("TemplateSyntaxError", 2), ("UnsafeTemplateError", 1), ("TemplateRenderError", None),
    ("TemplateTooLarge", 4),
])
def test_every_refused_template_is_a_422_naming_the_source_and_its_line(
    client: TestClient[Litestar], name: str, line: int | None
) -> None:
    error = market_error_of(RAISERS[name]())  # type: ignore[arg-type]
    assert type(error) is market_errors.InvalidInput and error.field == "source"

    status, body = _problem(client, name)
    assert status == 422 and body["field"] == "source"
    assert body.get("line") == line
    assert body["detail"].startswith(f"template refused (line {line}): " if line else "template refused: ")


def test_a_seal_that_cannot_load_stays_the_operators_problem(client: TestClient[Litestar]) -> None:
    with pytest.raises(contract_errors.SealError), translated_errors():
        raise RAISERS["SealError"]()
    status, body = _problem(client, "SealError")
    assert status == 500 and "incident" in body
    assert "/etc/market" not in body["detail"]  # the operator's path is for the log, not the caller


def test_errors_that_are_not_refusals_pass_through_unchanged() -> None:
    with pytest.raises(ValueError, match="count exceeds population"), translated_errors():
        raise ValueError("count exceeds population")
