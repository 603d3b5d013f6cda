"""Typed errors raised by the selection engine.

Every error carries a stable machine-readable ``code`` and a ``details`` mapping so that
the platform can say it to a person in one place (``market/outside_errors.py``, which keeps
the code, in kebab case, and the details). Errors derived
from :class:`InvalidInput` mean "the inputs are wrong, no record was produced".
:class:`InsufficientRespondents` is different: it is a legitimate outcome (流标) and it
carries a verifiable failure record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from selection.record import SelectionRecord


class SelectionError(Exception):
    """Base class of every error raised by ``selection``."""

    code: ClassVar[str] = "selection_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"code", "message", "details"}`` for logs and API error bodies."""
        return {"code": self.code, "message": self.message, "details": dict(self.details)}


class InvalidInput(SelectionError):
    """The inputs cannot be selected from; nothing was drawn and no record exists."""

    code = "invalid_input"


class DuplicateCandidate(InvalidInput):
    """The same firm id appears twice in the candidate list."""

    code = "duplicate_candidate"


class UnknownCandidate(InvalidInput):
    """Per-firm data (a quote, a score, ...) names a firm that is not a candidate."""

    code = "unknown_candidate"


class MissingFirmData(InvalidInput):
    """A candidate lacks a value the method needs (a quote, a credit band, ...)."""

    code = "missing_firm_data"


class CountExceedsPool(InvalidInput):
    """More winners plus alternates were requested than there are candidates."""

    code = "count_exceeds_pool"


class InvalidWeight(InvalidInput):
    """A weight is negative, not an integer where one is required, or weights sum to 0."""

    code = "invalid_weight"


class FloorAboveCeiling(InvalidInput):
    """The price floor is above the price ceiling."""

    code = "floor_above_ceiling"


class QuoteOutOfBounds(InvalidInput):
    """A quote lies outside ``[floor, ceiling]``."""

    code = "quote_out_of_bounds"


class InvalidAmount(InvalidInput):
    """A money amount, rate or score is malformed (float, too many decimals, negative)."""

    code = "invalid_amount"


class UnknownMethod(InvalidInput):
    """The method name (or combined variant) is not one this engine implements."""

    code = "unknown_method"


class UnknownParameter(InvalidInput):
    """An input key is not recognised; unknown keys are refused rather than ignored."""

    code = "unknown_parameter"


class MissingParameter(InvalidInput):
    """A required input key is absent."""

    code = "missing_parameter"


class InvalidParameter(InvalidInput):
    """A parameter has the wrong type or an out-of-range value."""

    code = "invalid_parameter"


class MissingCommitment(InvalidInput):
    """A method that draws was called without the platform's seed commitment."""

    code = "missing_commitment"


class RevealMismatch(InvalidInput):
    """A revealed secret does not hash to the commitment published for that party."""

    code = "reveal_mismatch"


class DuplicateCommitment(InvalidInput):
    """Two parties published the same commitment or revealed the same secret (market-draw/2)."""

    code = "duplicate_commitment"


class FrozenInputsChanged(InvalidInput):
    """The inputs differ from the digests frozen at the deadline (market-draw/2).

    ``details["part"]`` names the frozen part: ``configuration``, ``candidates`` or ``bids``.
    """

    code = "frozen_inputs_changed"


class CeremonyOrderViolation(InvalidInput):
    """A ceremony step is out of order: a reveal before the freeze, a reveal deadline not after
    the freeze, or a beacon not after the reveal deadline (market-draw/2)."""

    code = "ceremony_order_violation"


class BeaconFormMismatch(InvalidInput):
    """A beacon value is not written exactly in the form declared at publication."""

    code = "beacon_form_mismatch"


class InsufficientContributions(InvalidInput):
    """Fewer than two independent contributions to the seed, or none from outside the platform."""

    code = "insufficient_contributions"


class DirectSelectionNotAllowed(InvalidInput):
    """Direct selection was requested but the procurement's rules do not allow it."""

    code = "direct_selection_not_allowed"


class FirmNotEligible(InvalidInput):
    """The firm named for direct selection is not an eligible candidate."""

    code = "firm_not_eligible"


class InsufficientRespondents(SelectionError):
    """Fewer eligible respondents than the method's minimum: the selection fails (流标).

    ``record`` is a complete, verifiable :class:`~selection.record.SelectionRecord` whose
    ``outcome`` is ``"failed"`` and whose ``failure`` names the reason, so the lifecycle can
    publish why the procurement failed.
    """

    code = "insufficient_respondents"

    def __init__(self, message: str, record: SelectionRecord, **details: Any) -> None:
        super().__init__(message, **details)
        self.record = record
