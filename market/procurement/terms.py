"""The terms procurements are checked against, read from ``procurement.toml``.

Like the registries' vocabulary (:mod:`market.registry.vocabulary`) these are data, not
code: the minimum periods in working days, the value limits, the selection methods and
quote modes each kind allows, reference prefixes, credit bands and attachment types live in
``market/reference/procurement.toml`` (or the copy under MARKET_REFERENCE_DIR). The loader
refuses a method name the selection engine does not know, so a typo in the file stops the
start instead of a draw.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from market.errors import ConfigurationError
from market.procurement.after_selection_terms import (
    DEFAULT_AFTER_SELECTION,
    AfterSelectionTerms,
    parse_after_selection,
)
from market.reference_files import BUNDLED_REFERENCE_DIR
from market.reference_files import read_reference_file as _read
from market.settings import Settings
from market.supervision.screens import DEFAULT_THRESHOLDS, Thresholds
from selection.ceremony import is_form
from selection.combined import VARIANTS
from selection.engine import METHODS

FILE = "procurement.toml"
_PREFIX = re.compile(r"[A-Z]{2,8}")


class ProcurementKind(enum.StrEnum):
    INTERMEDIARY_SERVICE = "intermediary_service"
    SMALL_WORKS = "small_works"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS: Mapping[ProcurementKind, str] = {
    ProcurementKind.INTERMEDIARY_SERVICE: "中介超市",
    ProcurementKind.SMALL_WORKS: "小额工程",
}


class QuoteMode(enum.StrEnum):
    """How a bid quotes: the selection engine's ``quote_mode``."""

    AMOUNT = "amount"
    DISCOUNT_RATE = "discount_rate"  # 下浮率: percent off the ceiling

    @property
    def label(self) -> str:
        return _QUOTE_LABELS[self]


_QUOTE_LABELS: Mapping[QuoteMode, str] = {
    QuoteMode.AMOUNT: "报价金额（元）",
    QuoteMode.DISCOUNT_RATE: "下浮率（%）",
}


@dataclass(frozen=True, slots=True)
class MethodOption:
    """A selection method a kind allows: the engine's method and, for ``combined``, its
    variant; ``code`` is how drafts and pages name it (``combined/credit_weighted``)."""

    method: str
    variant: str | None
    name: str

    @property
    def code(self) -> str:
        return self.method if self.variant is None else f"{self.method}/{self.variant}"


@dataclass(frozen=True, slots=True)
class Rotation:
    """A kind's rotation rule (轮换) for pool draws: a firm that confirmed a works of the kind
    within ``recent_days`` before the freeze is left out; with ``max_wins``, so is one with
    that many confirmed within ``period_days``."""

    recent_days: int
    max_wins: int | None = None
    period_days: int | None = None


@dataclass(frozen=True, slots=True)
class KindTerms:
    kind: ProcurementKind
    name: str
    prefix: str
    registry: str  # market.models.Registry's value; kept as text so this module stays pure
    takes_bids: bool
    min_bid_working_days: int
    min_amended_working_days: int
    value_below: Decimal
    quote_modes: tuple[QuoteMode, ...]
    methods: tuple[MethodOption, ...]
    reveal_gap_minutes: int  # the draw's reveal window closes this long before the selection
    # kinds without bids (small works): the pool is fixed this long before the reveal deadline
    pool_freeze_minutes: int = 0
    offer_working_days: int = 1  # the drawn contractor's time to confirm or decline
    rotation: Rotation | None = None
    # after this many failed attempts (流标) in a row the owner may ask for direct selection;
    # None: the kind has no direct selection (it does not list the direct method)
    direct_after_failed_attempts: int | None = None

    def method(self, method: str, variant: str | None) -> MethodOption | None:
        return next((m for m in self.methods if m.method == method and m.variant == variant), None)


@dataclass(frozen=True, slots=True)
class BeaconSource:
    """A beacon a procurement may declare (docs/draw-spec.md §3.4): ``external`` (a public
    value a supervisor enters) or ``audit_head`` (the platform's chain head, weaker); the
    forms allowed, ``digits:N`` standing for any ``digits:1`` … ``digits:99``."""

    code: str
    name: str
    forms: tuple[str, ...]

    def allows(self, form: str) -> bool:
        if form.startswith("digits:") and "digits:N" in self.forms:
            return is_form(form)  # digits:1 … digits:99, no leading zero
        return form in self.forms


@dataclass(frozen=True, slots=True)
class CreditBand:
    band: str
    name: str
    min_score: Decimal
    weight: int


@dataclass(frozen=True, slots=True)
class AttachmentType:
    extension: str
    name: str
    media_type: str
    magic: bytes  # how the file's first bytes must begin


@dataclass(frozen=True, slots=True)
class AttachmentTerms:
    max_bytes: int
    max_files: int
    max_total_bytes: int
    types: tuple[AttachmentType, ...]

    def by_extension(self, extension: str) -> AttachmentType | None:
        wanted = extension.lower().lstrip(".")
        return next((t for t in self.types if t.extension == wanted), None)


@dataclass(frozen=True, slots=True)
class EvaluationScale:
    """How a scored draw weighing ``evaluation`` turns a firm's owners' service evaluations
    (ratings 1–5 in the registry) into a 0–100 score: the mean of the ratings' points,
    rounded half up to two places; ``without`` for a firm nobody has evaluated yet."""

    points: Mapping[int, Decimal]
    without: Decimal


DEFAULT_EVALUATION = EvaluationScale(
    points={1: Decimal(20), 2: Decimal(40), 3: Decimal(60), 4: Decimal(80), 5: Decimal(100)},
    without=Decimal(60),
)


@dataclass(frozen=True, slots=True)
class ProcurementTerms:
    kinds: Mapping[ProcurementKind, KindTerms]
    credit_bands: tuple[CreditBand, ...]  # highest min_score first
    attachments: AttachmentTerms
    beacon_sources: tuple[BeaconSource, ...] = ()
    evaluation: EvaluationScale = DEFAULT_EVALUATION
    screens: Thresholds = DEFAULT_THRESHOLDS  # collusion screens (issue 14)
    after: AfterSelectionTerms = DEFAULT_AFTER_SELECTION  # publicity, objections, award … (issue 13)

    def beacon_source(self, code: str) -> BeaconSource | None:
        return next((b for b in self.beacon_sources if b.code == code), None)

    def of(self, kind: ProcurementKind) -> KindTerms:
        return self.kinds[kind]

    def kind_of_prefix(self, prefix: str) -> ProcurementKind | None:
        return next((k.kind for k in self.kinds.values() if k.prefix == prefix), None)

    def band_of(self, credit_score: Decimal) -> CreditBand:
        """The credit band a score falls in: the first whose minimum it reaches."""
        for band in self.credit_bands:
            if credit_score >= band.min_score:
                return band
        return self.credit_bands[-1]

    @property
    def band_weights(self) -> dict[str, int]:
        """The default ``band_weights`` of a credit-weighted draw."""
        return {b.band: b.weight for b in self.credit_bands}


def procurement_terms_of(settings: Settings) -> ProcurementTerms:
    """The terms a deployment is configured with (MARKET_REFERENCE_DIR)."""
    return load_procurement_terms(settings.reference_dir or BUNDLED_REFERENCE_DIR)


def _money(value: Any) -> Decimal:
    amount = Decimal(str(value))
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"{value!r} is not a positive amount")
    return amount


def _method(raw: Mapping[str, Any]) -> MethodOption:
    method = str(raw["method"])
    variant = raw.get("variant")
    if method not in METHODS:
        raise ValueError(f"unknown selection method {method!r}; the engine has {sorted(METHODS)}")
    if (method == "combined") != (variant is not None):
        raise ValueError(f"{method!r}: a variant is given exactly for the combined method")
    if variant is not None and variant not in VARIANTS:
        raise ValueError(f"combined has no variant {variant!r}; it has {list(VARIANTS)}")
    return MethodOption(method, None if variant is None else str(variant), str(raw["name"]))


def _kind(kind: ProcurementKind, raw: Mapping[str, Any]) -> KindTerms:
    prefix = str(raw["prefix"])
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"prefix {prefix!r} is 2 to 8 capital letters")
    periods = int(raw["min_bid_working_days"]), int(raw["min_amended_working_days"])
    if min(periods) < 1:
        raise ValueError("minimum periods are at least 1 working day")
    takes_bids = bool(raw["takes_bids"])
    quote_modes = tuple(QuoteMode(m) for m in raw["quote_modes"])
    if takes_bids != bool(quote_modes):
        raise ValueError(f"{kind}: a kind that takes bids lists quote modes, one without bids none")
    methods = tuple(_method(m) for m in raw["method"])
    gap = int(raw["reveal_gap_minutes"])
    if gap < 1:
        raise ValueError(f"{kind}: reveal_gap_minutes is at least 1")
    if not methods:
        raise ValueError(f"{kind} allows no selection method")
    pool_freeze = int(raw.get("pool_freeze_minutes", 0))
    if not takes_bids and pool_freeze < 1:
        raise ValueError(f"{kind}: a kind without bids fixes its pool first (pool_freeze_minutes >= 1)")
    offer_days = int(raw.get("offer_working_days", 1))
    if offer_days < 1:
        raise ValueError(f"{kind}: offer_working_days is at least 1")
    direct_after = raw.get("direct_after_failed_attempts")
    has_direct = any(m.method == "direct" for m in methods)
    if has_direct != (direct_after is not None):
        raise ValueError(f"{kind}: direct_after_failed_attempts is given exactly when direct is a method")
    if direct_after is not None and (isinstance(direct_after, bool) or int(direct_after) < 1):
        raise ValueError(f"{kind}: direct_after_failed_attempts is at least 1")
    return KindTerms(
        kind=kind,
        name=str(raw["name"]),
        prefix=prefix,
        registry=str(raw["registry"]),
        takes_bids=takes_bids,
        min_bid_working_days=periods[0],
        min_amended_working_days=periods[1],
        value_below=_money(raw["value_below"]),
        quote_modes=quote_modes,
        methods=methods,
        reveal_gap_minutes=gap,
        pool_freeze_minutes=pool_freeze,
        offer_working_days=offer_days,
        rotation=_rotation(kind, raw),
        direct_after_failed_attempts=None if direct_after is None else int(direct_after),
    )


def _rotation(kind: ProcurementKind, raw: Mapping[str, Any]) -> Rotation | None:
    if "rotation_recent_days" not in raw:
        return None
    recent = int(raw["rotation_recent_days"])
    wins = None if raw.get("rotation_max_wins") is None else int(raw["rotation_max_wins"])
    period = None if raw.get("rotation_period_days") is None else int(raw["rotation_period_days"])
    if recent < 1 or (wins is None) != (period is None):
        raise ValueError(
            f"{kind}: rotation_recent_days >= 1; rotation_max_wins and rotation_period_days go together"
        )
    if wins is not None and period is not None and min(wins, period) < 1:
        raise ValueError(f"{kind}: rotation_max_wins and rotation_period_days are at least 1")
    return Rotation(recent, wins, period)


@cache
def load_procurement_terms(reference_dir: Path = BUNDLED_REFERENCE_DIR) -> ProcurementTerms:
    """Read ``procurement.toml`` from ``reference_dir`` (cached)."""
    data = _read(reference_dir / FILE)
    try:
        kinds = {kind: _kind(kind, data["kind"][kind.value]) for kind in ProcurementKind}
        bands = sorted(
            (
                CreditBand(str(b["band"]), str(b["name"]), Decimal(str(b["min_score"])), int(b["weight"]))
                for b in data["credit_band"]
            ),
            key=lambda b: b.min_score,
            reverse=True,
        )
        if not bands or bands[-1].min_score > 0 or any(b.weight < 0 for b in bands):
            raise ValueError("credit bands must reach down to a score of 0, with weights >= 0")
        files = data["attachments"]
        attachments = AttachmentTerms(
            max_bytes=int(files["max_bytes"]),
            max_files=int(files["max_files"]),
            max_total_bytes=int(files["max_total_bytes"]),
            types=tuple(
                AttachmentType(
                    extension=str(t["extension"]).lower(),
                    name=str(t["name"]),
                    media_type=str(t["media_type"]),
                    magic=str(t["magic"]).encode("latin-1"),
                )
                for t in files["type"]
            ),
        )
        beacons = tuple(
            BeaconSource(str(b["code"]), str(b["name"]), tuple(str(f) for f in b["forms"]))
            for b in data.get("beacon_source", ())
        )
        for beacon in beacons:
            if beacon.code not in ("external", "audit_head") or not beacon.forms:
                raise ValueError(f"beacon source {beacon.code!r}: external or audit_head, with forms")
            for form in beacon.forms:
                if form != "digits:N" and not is_form(form):
                    raise ValueError(f"beacon form {form!r}: digits:N, digits:<1-99>, hex64 or audit_head")
                if (form == "audit_head") != (beacon.code == "audit_head"):
                    raise ValueError("the audit_head form belongs to the audit_head source alone")
    except (KeyError, ValueError, TypeError, InvalidOperation) as exc:
        raise ConfigurationError(f"reference data in {reference_dir / FILE} is wrong: {exc!r}") from None
    try:
        evaluation = _evaluation(data.get("evaluation_score"))
        after = parse_after_selection(data.get("after_selection"))
        screens = Thresholds.from_mapping(data.get("collusion_screens", {}))
    except (KeyError, ValueError, TypeError, InvalidOperation) as exc:
        raise ConfigurationError(f"reference data in {reference_dir / FILE} is wrong: {exc!r}") from None
    prefixes = [k.prefix for k in kinds.values()]
    if len(set(prefixes)) != len(prefixes):
        raise ConfigurationError(f"two kinds of procurement share a reference prefix: {prefixes}")
    return ProcurementTerms(
        kinds=kinds,
        credit_bands=tuple(bands),
        attachments=attachments,
        beacon_sources=beacons,
        evaluation=evaluation,
        after=after,
        screens=screens,
    )


def _evaluation(raw: Mapping[str, Any] | None) -> EvaluationScale:
    if raw is None:
        return DEFAULT_EVALUATION
    points = {int(rating): Decimal(str(value)) for rating, value in raw["points"].items()}
    without = Decimal(str(raw["without"]))
    if set(points) != {1, 2, 3, 4, 5}:
        raise ValueError("evaluation_score.points gives the points of each rating 1 to 5")
    if any(not Decimal(0) <= p <= Decimal(100) for p in [*points.values(), without]):
        raise ValueError("evaluation scores are 0 to 100")
    return EvaluationScale(points, without)
