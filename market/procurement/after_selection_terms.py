"""The time limits and rules after a selection (issue 13), read from ``procurement.toml``'s
``[after_selection]`` table: how long the result is published, how long each party has to
answer, confirm, accept or evaluate, what an upheld objection does, and the criteria an
owner scores a service or works by. Pure data; :mod:`market.procurement.terms` loads it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

UpheldObjection = Literal["redraw", "next_alternate"]


@dataclass(frozen=True, slots=True)
class EvaluationCriterion:
    code: str
    name: str


DEFAULT_CRITERIA = (
    EvaluationCriterion("quality", "服务质量"),
    EvaluationCriterion("timeliness", "时效"),
    EvaluationCriterion("attitude", "服务态度"),
    EvaluationCriterion("compliance", "依法依规"),
)


@dataclass(frozen=True, slots=True)
class AfterSelectionTerms:
    publicity_working_days: int = 3  # 结果公示: from the selection
    objection_answer_working_days: int = 3  # the owner answers an objection (质疑答复)
    complaint_decision_working_days: int = 20  # a supervisor decides a complaint (投诉处理)
    contract_days: int = 30  # calendar days from the award for both parties to confirm
    acceptance_working_days: int = 5  # the owner accepts or returns a delivery
    evaluation_working_days: int = 10  # the owner evaluates after the acceptance
    evaluation_objection_working_days: int = 5  # the firm may object to its evaluation once
    evaluation_decision_working_days: int = 10  # a supervisor decides that objection
    redraw_freeze_working_days: int = 1  # an upheld objection: the new round's commitments until
    redraw_reveal_working_days: int = 1  # …then its reveals until the new selection time
    # per kind: what an upheld objection does (a new round, or the next alternate moves up)
    upheld_objection: Mapping[str, UpheldObjection] = field(
        default_factory=lambda: {"intermediary_service": "redraw", "small_works": "redraw"}
    )
    objection_contact: str = "韶关市公共资源交易中心（质疑请通过平台提交）"
    criteria: tuple[EvaluationCriterion, ...] = DEFAULT_CRITERIA

    def upheld_objection_of(self, kind: str) -> UpheldObjection:
        return self.upheld_objection.get(kind, "redraw")


_DAYS = (
    "publicity_working_days",
    "objection_answer_working_days",
    "complaint_decision_working_days",
    "contract_days",
    "acceptance_working_days",
    "evaluation_working_days",
    "evaluation_objection_working_days",
    "evaluation_decision_working_days",
    "redraw_freeze_working_days",
    "redraw_reveal_working_days",
)


def parse_after_selection(raw: Mapping[str, Any] | None) -> AfterSelectionTerms:
    """The table as read from TOML; raises ValueError naming a wrong entry."""
    if raw is None:
        return AfterSelectionTerms()
    days: dict[str, int] = {}
    for name in _DAYS:
        if name in raw:
            value = raw[name]
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 366:
                raise ValueError(f"after_selection.{name} is a whole number of days, 1 to 366")
            days[name] = value
    upheld = {str(k): str(v) for k, v in dict(raw.get("upheld_objection", {})).items()}
    for kind, rule in upheld.items():
        if rule not in ("redraw", "next_alternate"):
            raise ValueError(f"after_selection.upheld_objection.{kind} is redraw or next_alternate")
    criteria = (
        tuple(EvaluationCriterion(str(c["code"]), str(c["name"])) for c in raw.get("criterion", ()))
        or DEFAULT_CRITERIA
    )
    codes = [c.code for c in criteria]
    if len(set(codes)) != len(codes) or not all(c.isidentifier() and len(c) <= 32 for c in codes):
        raise ValueError("after_selection.criterion codes are distinct identifiers of at most 32 characters")
    base = AfterSelectionTerms()
    return AfterSelectionTerms(
        **days,
        upheld_objection={**base.upheld_objection, **upheld},  # type: ignore[dict-item]
        objection_contact=str(raw.get("objection_contact", base.objection_contact)),
        criteria=criteria,
    )


DEFAULT_AFTER_SELECTION = AfterSelectionTerms()
