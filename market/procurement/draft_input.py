"""From a request's (or a stored row's) plain JSON to :class:`DraftTerms`, and back.

:func:`draft_from_input` checks the *shape* of every field — types, enums, amounts that
fit the table's NUMERIC(14, 2), times with a zone, texts within the columns — and lists
every problem with its field at once (:class:`ProcurementRefused`). What the values must
satisfy to be published (periods, ordering of amounts, the method for the kind) is
:mod:`.publication`'s job; a draft may be incomplete in *those* ways, never in its shape,
so that the stored row always reads back into terms.

:func:`terms_json` writes the terms as JSON that :func:`draft_from_input` reads back into
equal terms: the stored JSONB and the versions' diffs use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from market.clock import user_time
from market.errors import InvalidInput
from market.procurement import limits
from market.procurement.draft import Avoidance, DraftTerms, ReviewCriterion
from market.procurement.problems import Problem, ProcurementRefused
from market.procurement.publication import money_problem
from market.procurement.terms import ProcurementKind, QuoteMode

#: Most characters of a vocabulary code or name (division, service type, field of work,
#: method, variant): the columns are this wide.
CODE = 40
#: Most characters of a USCC as typed (normalised when published).
FIRM = 40
#: Most keys in the method's parameters and the requirements (each is checked later).
MAPPING_KEYS = 32

FIELDS = frozenset(f.name for f in fields(DraftTerms))
REQUIRED = frozenset(
    {"kind", "title", "description", "division", "budget", "ceiling", "method", "selection_time"}
)

E = TypeVar("E", ProcurementKind, QuoteMode)


class _Reader:
    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.problems: list[Problem] = []

    def fail(self, name: str, message: str) -> None:
        self.problems.append(Problem(name, message))

    def text(self, name: str, most: int, default: str = "") -> str:
        value = self.raw.get(name, default)
        if value is None:
            value = default
        if not isinstance(value, str):
            self.fail(name, "text")
            return default
        if len(value) > most:
            self.fail(name, f"at most {most} characters ({len(value)} given)")
        return value.strip()

    def optional_text(self, name: str, most: int) -> str | None:
        if self.raw.get(name) is None:
            return None
        value = self.text(name, most)
        return value or None

    def enum(self, name: str, cls: type[E]) -> E | None:
        value = self.raw.get(name)
        if value is None:
            return None
        try:
            return cls(value) if isinstance(value, str) else cls("\0")
        except ValueError:
            allowed = ", ".join(f"{m.value} ({m.label})" for m in cls)
            self.fail(name, f"one of: {allowed}")
            return None

    def money(self, name: str) -> Decimal | None:
        value = self.raw.get(name)
        if value is None:
            return None
        amount: object = None
        if isinstance(value, str | int) and not isinstance(value, bool):
            try:
                amount = Decimal(value.strip() if isinstance(value, str) else value)
            except InvalidOperation:
                amount = None
        # floats are refused: 0.1 yuan is not exactly what a float holds
        problem = money_problem(name, amount)
        if problem is not None:
            self.fail(name, problem.message)
            return None
        return amount if isinstance(amount, Decimal) else None

    def time(self, name: str) -> datetime | None:
        value = self.raw.get(name)
        if value is None:
            return None
        if not isinstance(value, str | datetime):
            self.fail(name, "a time like 2026-03-02T09:30 (China time) or with a zone")
            return None
        try:
            parsed = user_time(value, name)
        except InvalidInput as exc:
            self.fail(name, exc.message)
            return None
        return None if parsed is None else parsed.astimezone(UTC)

    def count(self, name: str, default: int) -> int:
        value = self.raw.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limits.PICKS:
            self.fail(name, f"a whole number from 0 to {limits.PICKS}")
            return default
        return value

    def mapping(self, name: str) -> dict[str, Any]:
        value = self.raw.get(name)
        if value is None:
            return {}
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            self.fail(name, "an object of named values")
            return {}
        if len(value) > MAPPING_KEYS:
            self.fail(name, f"at most {MAPPING_KEYS} entries")
            return {}
        if not _plain_json(value):
            # PostgreSQL's JSONB has no NaN or Infinity, nor keys that are not text
            self.fail(name, "plain JSON values: text, whole or finite numbers, lists, objects")
            return {}
        return dict(value)

    def avoidance(self) -> tuple[Avoidance, ...]:
        value = self.raw.get("avoidance")
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail("avoidance", "a list of {firm: USCC, reason: why}")
            return ()
        if len(value) > limits.AVOIDANCE:
            self.fail("avoidance", f"at most {limits.AVOIDANCE} firms on the avoidance list")
            return ()
        entries = []
        for index, entry in enumerate(value):
            where = f"avoidance[{index}]"
            if not isinstance(entry, Mapping) or set(entry) - {"firm", "reason"}:
                self.fail(where, "an object with firm (its USCC) and reason")
                continue
            firm, reason = entry.get("firm"), entry.get("reason", "")
            if not isinstance(firm, str) or not firm.strip() or len(firm) > FIRM:
                self.fail(f"{where}.firm", "the firm's USCC (统一社会信用代码)")
                continue
            if not isinstance(reason, str) or len(reason) > limits.REASON:
                self.fail(f"{where}.reason", f"the reason is text of at most {limits.REASON} characters")
                continue
            entries.append(Avoidance(firm.strip(), reason.strip()))
        return tuple(entries)

    def criteria(self) -> tuple[ReviewCriterion, ...]:
        value = self.raw.get("review_criteria")
        if value is None:
            return ()
        shape = "a list of {code, name, max_points}"
        if not isinstance(value, list):
            self.fail("review_criteria", shape)
            return ()
        if len(value) > limits.CRITERIA_MOST:
            self.fail("review_criteria", f"at most {limits.CRITERIA_MOST} criteria")
            return ()
        read = []
        for index, entry in enumerate(value):
            where = f"review_criteria[{index}]"
            if not isinstance(entry, Mapping) or set(entry) != {"code", "name", "max_points"}:
                self.fail(where, f"an object with exactly code, name and max_points ({shape})")
                continue
            code, name, points = entry["code"], entry["name"], entry["max_points"]
            if not isinstance(code, str) or len(code) > limits.CRITERION_CODE:
                self.fail(f"{where}.code", f"a code of at most {limits.CRITERION_CODE} characters")
                continue
            if not isinstance(name, str) or len(name) > limits.CRITERION_NAME:
                self.fail(f"{where}.name", f"a name of at most {limits.CRITERION_NAME} characters")
                continue
            try:
                # floats are refused as for money: 12.3 points is not exactly what a float holds
                if isinstance(points, bool) or not isinstance(points, str | int):
                    raise InvalidOperation
                amount = Decimal(points.strip() if isinstance(points, str) else points)
                if not amount.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                self.fail(f"{where}.max_points", 'points as text or a whole number, e.g. "30" or "12.5"')
                continue
            read.append(ReviewCriterion(code.strip(), name.strip(), amount))
        return tuple(read)


def _plain_json(value: object, depth: int = 0) -> bool:
    if depth > 8:
        return False
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and _plain_json(v, depth + 1) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_plain_json(v, depth + 1) for v in value)
    if isinstance(value, Decimal):
        return value.is_finite()
    return value is None or isinstance(value, str | int | bool)


def _required(reader: _Reader, build: Callable[[], DraftTerms]) -> DraftTerms:
    missing = sorted(name for name in REQUIRED if reader.raw.get(name) is None)
    for name in missing:
        reader.fail(name, "required")
    if reader.problems:
        raise ProcurementRefused(reader.problems)
    return build()


def draft_from_input(raw: object) -> DraftTerms:
    """The terms ``raw`` gives, or :class:`ProcurementRefused` naming every field that is
    missing, unknown or of the wrong shape."""
    if not isinstance(raw, Mapping):
        raise ProcurementRefused([Problem("terms", "an object of the procurement's fields")])
    read = _Reader(raw)
    for key in raw:
        if key not in FIELDS:
            read.fail(str(key)[:CODE], f"unknown field; the fields are: {', '.join(sorted(FIELDS))}")
    kind = read.enum("kind", ProcurementKind)
    texts = {name: read.text(name, most) for name, most in limits.TEXT.items()}
    division = read.text("division", CODE)
    service_type = read.optional_text("service_type", CODE)
    work_field = read.optional_text("work_field", CODE)
    method = read.text("method", CODE)
    variant = read.optional_text("variant", CODE)
    budget, ceiling, floor = read.money("budget"), read.money("ceiling"), read.money("floor")
    quote_mode = read.enum("quote_mode", QuoteMode)
    bid_deadline, selection_time = read.time("bid_deadline"), read.time("selection_time")
    winners, alternates = read.count("winners", 1), read.count("alternates", 0)
    method_params, requirements = read.mapping("method_params"), read.mapping("requirements")
    avoidance = read.avoidance()
    review_criteria, review_deadline = read.criteria(), read.time("review_deadline")

    def build() -> DraftTerms:
        assert kind is not None and budget is not None and ceiling is not None and selection_time is not None
        return DraftTerms(
            kind=kind,
            division=division,
            budget=budget,
            ceiling=ceiling,
            floor=floor,
            method=method,
            variant=variant,
            selection_time=selection_time,
            bid_deadline=bid_deadline,
            quote_mode=quote_mode,
            service_type=service_type,
            work_field=work_field,
            method_params=method_params,
            winners=winners,
            alternates=alternates,
            avoidance=avoidance,
            requirements=requirements,
            review_criteria=review_criteria,
            review_deadline=review_deadline,
            **texts,
        )

    return _required(read, build)


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, ProcurementKind | QuoteMode):
        return value.value
    if isinstance(value, Avoidance):
        return {"firm": value.firm, "reason": value.reason}
    if isinstance(value, ReviewCriterion):
        return {"code": value.code, "name": value.name, "max_points": str(value.max_points)}
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def terms_json(terms: DraftTerms) -> dict[str, Any]:
    """JSON for the stored terms; :func:`draft_from_input` reads it back into equal terms."""
    return {name: _json(value) for name, value in terms.as_dict().items()}


def changes_json(changes: Mapping[str, Any]) -> dict[str, Any]:
    """An amendment's diff (:func:`market.procurement.amendment.diff`) as JSON."""
    return {name: {"old": _json(c.old), "new": _json(c.new)} for name, c in changes.items()}
