"""The owner's procurement form (采购项目表单) and the draft input it stands for.

A browser form is flat text: one value per name, repeated names for lists. The service
reads the nested JSON of :func:`market.procurement.draft_input.draft_from_input`. This
module turns one into the other both ways — the stored terms into the form's values (to
edit or amend them), the posted values into the terms input (to save, publish or amend) —
and places each refusal's problems (``Problem.field`` like ``requirements.min_credit`` or
``avoidance[2].firm``) beside the form field that holds them, so the person sees every
message where they typed. What was typed is kept as typed: a value the rules refuse is
shown again, unchanged, next to the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from market.clock import local
from market.problems import Problem
from market.procurement.methods import owner_params
from market.procurement.terms import ProcurementTerms
from selection.lowest_price import ABNORMAL_DEFAULTS
from selection.scored import CRITERIA

#: The form's plain fields, named as the draft input names them.
PLAIN = (
    "kind",
    "title",
    "description",
    "division",
    "service_type",
    "work_field",
    "contact_name",
    "contact_phone",
    "budget",
    "ceiling",
    "floor",
    "quote_mode",
    "bid_deadline",
    "selection_time",
    "review_deadline",
    "method",
    "winners",
    "alternates",
)
COUNTS = ("winners", "alternates")
TIMES = ("bid_deadline", "selection_time", "review_deadline")
#: Requirements (资格条件) in the form, as ``req_<name>``; licences are a repeated field.
REQUIREMENTS = ("min_grade", "licence_rule", "min_practitioners", "min_credit")
ABNORMAL = tuple(ABNORMAL_DEFAULTS)
#: The selection method's own parameters, as ``mp_<name>``.
METHOD_TEXTS = ("reason", "firm_id")
METHOD_COUNTS = ("top_n", "shortlist")
AVOIDANCE_ROWS_SPARE = 2
CRITERIA_ROWS = 4  # review criteria rows shown at least (评审因素), typed or empty
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows

_INDEXED = re.compile(r"^avoidance\[(\d+)\]")


@dataclass
class FormValues:
    """What the form shows: every value as text, as typed."""

    values: dict[str, str] = field(default_factory=dict)
    licences: list[str] = field(default_factory=list)
    avoidance: list[tuple[str, str]] = field(default_factory=list)
    # review criteria (评审因素) as typed: code, name, max points
    criteria: list[tuple[str, str, str]] = field(default_factory=list)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def avoidance_rows(self) -> list[tuple[int, str, str]]:
        """The typed rows and a few empty ones to add firms without a script."""
        rows = list(self.avoidance) + [("", "")] * AVOIDANCE_ROWS_SPARE
        return [(index, firm, reason) for index, (firm, reason) in enumerate(rows)]

    def criteria_rows(self) -> list[tuple[int, str, str, str]]:
        """The typed criteria and empty rows up to a few more (at most 10 in all)."""
        rows = list(self.criteria) + [("", "", "")] * max(CRITERIA_ROWS - len(self.criteria), 1)
        return [(index, *row) for index, row in enumerate(rows[:10])]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def read_form(form: Any) -> FormValues:
    """The posted form (a Litestar ``FormMultiDict``), as typed."""
    values = {name: _text(form.get(name)) for name in PLAIN}
    for name in REQUIREMENTS:
        values[f"req_{name}"] = _text(form.get(f"req_{name}"))
    values["req_local_only"] = "1" if form.get("req_local_only") else ""
    for name in (*METHOD_TEXTS, *METHOD_COUNTS):
        values[f"mp_{name}"] = _text(form.get(f"mp_{name}"))
    for prefix in ("mp_weights_", "mp_abnormal_", "mp_band_weights_"):
        for key in form:
            if str(key).startswith(prefix):
                values[str(key)] = _text(form.get(key))
    for name in ("reason", "version"):
        values[name] = _text(form.get(name))
    licences = [str(v) for v in form.getall("req_licences", []) if str(v).strip()]
    firms = [str(v) for v in form.getall("avoid_firm", [])]
    reasons = [str(v) for v in form.getall("avoid_reason", [])]
    reasons += [""] * (len(firms) - len(reasons))
    avoidance = [(f, r) for f, r in zip(firms, reasons, strict=False) if f.strip() or r.strip()]
    columns = [[str(v) for v in form.getall(f"crit_{part}", [])] for part in ("code", "name", "points")]
    width = max(len(c) for c in columns)
    padded = [c + [""] * (width - len(c)) for c in columns]
    criteria = [row for row in zip(*padded, strict=True) if any(v.strip() for v in row)]
    return FormValues(values, licences, avoidance, criteria[:20])


def _local_input(value: Any) -> str:
    if not isinstance(value, str) or not value:
        return ""
    try:
        return local(datetime.fromisoformat(value)).strftime(LOCAL_INPUT)
    except ValueError:
        return value


def form_of_terms(terms: Mapping[str, Any]) -> FormValues:
    """The form's values for stored terms (:func:`market.procurement.draft_input.terms_json`,
    or a draft's requirements as the form wrote them)."""
    values = {name: _text(terms.get(name)) for name in PLAIN}
    for name in TIMES:
        values[name] = _local_input(terms.get(name))
    if terms.get("variant"):
        values["method"] = f"{terms.get('method')}/{terms['variant']}"
    requirements = terms.get("requirements") or {}
    licences: list[str] = []
    grade = _text(requirements.get("min_grade"))
    for item in requirements.get("licences") or ():
        if isinstance(item, Mapping):
            licences.append(_text(item.get("licence_type")))
            grade = grade or _text(item.get("min_grade"))
        else:
            licences.append(_text(item))
    values["req_min_grade"] = grade
    values["req_licence_rule"] = _text(requirements.get("licence_rule"))
    values["req_min_practitioners"] = _text(requirements.get("min_practitioners") or "")
    values["req_min_credit"] = _text(requirements.get("min_credit"))
    values["req_local_only"] = "1" if requirements.get("local_only") else ""
    params = terms.get("method_params") or {}
    for name in (*METHOD_TEXTS, *METHOD_COUNTS):
        values[f"mp_{name}"] = _text(params.get(name))
    for group in ("weights", "abnormal", "band_weights"):
        for key, value in (params.get(group) or {}).items():
            values[f"mp_{group}_{key}"] = _text(value)
    avoidance = [(_text(a.get("firm")), _text(a.get("reason"))) for a in terms.get("avoidance") or ()]
    criteria = [
        (_text(c.get("code")), _text(c.get("name")), _text(c.get("max_points")))
        for c in terms.get("review_criteria") or ()
        if isinstance(c, Mapping)
    ]
    return FormValues(values, licences, avoidance, criteria)


def _whole(value: str) -> int | str:
    """A count as a number when it is one; otherwise as typed, so the rules name it."""
    return int(value) if value.strip().isdigit() and len(value.strip()) < 10 else value


def _same_as_before(new: Any, old: Any) -> Any:
    """The stored value where the form sends the same thing as text: an amendment that
    changes nothing there must not look changed (and move the deadline) because a form
    has only text, e.g. a weight stored as 40 coming back as "40"."""
    if isinstance(new, Mapping) and isinstance(old, Mapping):
        return {k: _same_as_before(v, old.get(k)) for k, v in new.items()}
    return old if old is not None and str(old) == str(new) else new


def _method_params(
    form: FormValues, method: str, variant: str | None, terms: ProcurementTerms
) -> dict[str, Any]:
    allowed = owner_params(method, variant)
    params: dict[str, Any] = {}
    for name in METHOD_TEXTS:
        if name in allowed and form.get(f"mp_{name}").strip():
            params[name] = form.get(f"mp_{name}").strip()
    for name in METHOD_COUNTS:
        if name in allowed and form.get(f"mp_{name}").strip():
            params[name] = _whole(form.get(f"mp_{name}"))
    groups: dict[str, tuple[Sequence[str], bool]] = {
        "weights": (CRITERIA, False),
        "abnormal": (ABNORMAL, True),
        "band_weights": ([b.band for b in terms.credit_bands], True),
    }
    for group, (keys, whole) in groups.items():
        if group not in allowed:
            continue
        typed = {k: form.get(f"mp_{group}_{k}").strip() for k in keys}
        if any(typed.values()):
            params[group] = {k: (_whole(v) if whole else v) for k, v in typed.items() if v}
    return params


def _requirements(form: FormValues) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    if form.licences:
        raw["licences"] = list(form.licences)
    for name in REQUIREMENTS:
        value = form.get(f"req_{name}").strip()
        if value:
            raw[name] = value
    if form.get("req_local_only"):
        raw["local_only"] = True
    return raw


def terms_input(
    form: FormValues, terms: ProcurementTerms, previous: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The draft input the form's values stand for. An empty field is left out (the rules
    then say it is required, where it is); everything else goes as typed."""
    raw: dict[str, Any] = {}
    for name in PLAIN:
        value = form.get(name)
        if name in ("title", "description", "contact_name", "contact_phone"):
            raw[name] = value
        elif value.strip():
            raw[name] = _whole(value) if name in COUNTS else value.strip()
    method, _, variant = str(raw.get("method", "")).partition("/")
    if variant:
        raw["method"], raw["variant"] = method, variant
    params = _method_params(form, method, variant or None, terms)
    requirements = _requirements(form)
    if previous is not None:
        params = _same_as_before(params, previous.get("method_params") or {})
        requirements = _same_as_before(requirements, previous.get("requirements") or {})
    if params:
        raw["method_params"] = params
    if requirements:
        raw["requirements"] = requirements
    if form.avoidance:
        raw["avoidance"] = [{"firm": f.strip(), "reason": r.strip()} for f, r in form.avoidance]
    if form.criteria:
        typed = [{"code": c.strip(), "name": n.strip(), "max_points": p.strip()} for c, n, p in form.criteria]
        previous_criteria = (previous or {}).get("review_criteria")
        same = (
            previous_criteria is not None and _same_as_before(typed, previous_criteria) == previous_criteria
        )
        raw["review_criteria"] = previous_criteria if same else typed
    return raw


# -- refusals beside their fields -------------------------------------------------------------
_REQUIREMENT_FIELDS = {
    "licences": "req_licences",
    "min_grade": "req_min_grade",
    "licence_rule": "req_licence_rule",
    "min_practitioners": "req_min_practitioners",
    "min_credit": "req_min_credit",
    "local_only": "req_local_only",
    "service_type": "service_type",
    "work_field": "work_field",
    "kind": "kind",
}


def form_field(problem_field: str) -> str | None:
    """The form field a problem belongs beside, or None (shown above the form)."""
    head, _, rest = problem_field.partition(".")
    indexed = _INDEXED.match(problem_field)
    if indexed:
        return f"avoidance[{indexed[1]}]"
    if head == "requirements":
        if not rest:
            return "requirements"  # too few eligible firms: the section as a whole
        name = re.split(r"[.\[]", rest, maxsplit=1)[0]
        if rest.startswith("licences") and ".min_grade" in rest:
            return "req_min_grade"
        return _REQUIREMENT_FIELDS.get(name)
    if head == "method_params":
        name = re.split(r"[.\[]", rest, maxsplit=1)[0]
        return (
            f"mp_{name}"
            if name in (*METHOD_TEXTS, *METHOD_COUNTS, "weights", "abnormal", "band_weights")
            else "method"
        )
    if problem_field == "variant":
        return "method"
    if problem_field.startswith("review_criteria"):
        return "review_criteria"
    if problem_field in ("owner_commitment", "beacon") or head == "beacon":
        return problem_field.replace(".", "_")  # the publish step's draw fields
    if problem_field in PLAIN or problem_field in ("avoidance", "reason"):
        return problem_field
    return None


@dataclass(frozen=True, slots=True)
class PlacedProblems:
    by_field: dict[str, list[str]]
    elsewhere: list[Problem]  # not of any one field: shown above the form
    count: int


def place(problems: Sequence[Problem]) -> PlacedProblems:
    by_field: dict[str, list[str]] = {}
    elsewhere: list[Problem] = []
    for problem in problems:
        name = form_field(problem.field)
        if name is None:
            elsewhere.append(problem)
        else:
            by_field.setdefault(name, []).append(problem.message)
    return PlacedProblems(by_field, elsewhere, len(problems))


NO_PROBLEMS = PlacedProblems({}, [], 0)
