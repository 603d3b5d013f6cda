"""The errors of :mod:`selection` and :mod:`contracts`, said as :class:`MarketError`\\ s.

Both packages are pure and may not import ``market``, so they raise their own errors with
their own data (a snake_case code and details; a field path; a template line). Every market
module that calls them does so inside :func:`translated_errors`: what leaves ``market`` is
then always a :class:`MarketError` carrying the data a person needs, and ``web/errors.py``
stays the one place that turns a :class:`MarketError` into problem details, never learning
about either package.

Two errors are left as they are, on purpose:

* :class:`contracts.SealError`: the platform's seal cannot be loaded. The caller can do
  nothing about it; it is the operator's to fix, so it stays an internal error (500 with an
  incident id, logged with its traceback) rather than a 4xx blaming the request.
* Anything else (``ValueError`` from a bug, a broken worker pool): not a refusal of the
  input, so not ours to dress up as one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import contracts
from market.errors import Conflict, InvalidInput, MarketError
from selection.errors import InsufficientRespondents, SelectionError
from selection.record import SelectionRecord


class RefusedBySelection(InvalidInput):
    """The selection engine refused its inputs: nothing was drawn, no record exists.

    ``code`` is the engine's own code in kebab case (``count-exceeds-pool``) so a client can
    tell the refusals apart; ``field`` is the input the engine named, when it named one.
    """

    def __init__(self, message: str, *, code: str, field: str | None, **details: Any) -> None:
        super().__init__(message, field=field, **details)
        self.code = code


class SelectionFailed(Conflict):
    """Too few eligible respondents: the selection failed (流标).

    This is a legitimate outcome, not a bad request: the procurement lifecycle catches
    :class:`selection.errors.InsufficientRespondents` itself and publishes the failure record.
    Should it reach a caller anyway, it is a conflict with the procurement's state, and it
    still carries the verifiable ``record`` (its digest and failure go into the details)."""

    code = "insufficient-respondents"

    def __init__(self, message: str, *, record: SelectionRecord, **details: Any) -> None:
        super().__init__(
            message, failure=record.data.get("failure"), record_sha256=record.digest(), **details
        )
        self.record = record


def _kebab(code: str) -> str:
    return code.replace("_", "-")


def _within(parent: str | None, field: str) -> str:
    if parent is None:
        return field
    return f"{parent}{'' if field.startswith('[') else '.'}{field}"


def _of_selection(error: SelectionError, within: str | None) -> MarketError:
    if isinstance(error, InsufficientRespondents):
        return SelectionFailed(error.message, record=error.record, **error.details)
    details = dict(error.details)
    # the engine says "field" for per-firm data and "parameter" for its settings
    named = details.pop("field", None) or details.get("parameter")
    field = _within(within, str(named)) if named is not None else None
    return RefusedBySelection(error.message, code=_kebab(error.code), field=field, **details)


def market_error_of(
    error: SelectionError | contracts.InvalidDocumentData | contracts.TemplateRejected,
    *,
    within: str | None = None,
) -> MarketError:
    """The :class:`MarketError` that says ``error`` to a person.

    ``within`` is where the caller put the package's input in its own request (``"data"``
    for a document's fields): a field the package names is prefixed with it.
    """
    if isinstance(error, SelectionError):
        return _of_selection(error, within)
    if isinstance(error, contracts.InvalidDocumentData):
        field = _within(within, error.field)
        return InvalidInput(f"{field}: {error.reason}", field=field, reason=error.reason)
    where = f" (line {error.line})" if error.line else ""
    return InvalidInput(f"template refused{where}: {error.message}", field="source", line=error.line)


@contextlib.contextmanager
def translated_errors(*, within: str | None = None) -> Iterator[None]:
    """Run a call into :mod:`selection` or :mod:`contracts`; its refusals leave as
    :class:`MarketError` (see :func:`market_error_of`), everything else unchanged."""
    try:
        yield
    except (SelectionError, contracts.InvalidDocumentData, contracts.TemplateRejected) as error:
        raise market_error_of(error, within=within) from error
