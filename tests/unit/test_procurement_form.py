"""The owner's form and the draft input it stands for: stored terms shown in the form and
sent back unchanged read as the same terms (an amendment that touches nothing must not look
like a change bidders rely on), each problem lands beside its field, and a sign-in's
``next`` never leaves the site."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from market.principal import Principal, Role
from market.problems import Problem
from market.procurement.draft import Avoidance, ReviewCriterion
from market.procurement.draft_input import draft_from_input, terms_json
from market.procurement.terms import load_procurement_terms
from tests.unit.procurement.conftest import service_draft, works_draft
from web.controllers.sign_in_pages import landing
from web.page_access import safe_next
from web.procurement_form import FormValues, form_field, form_of_terms, place, read_form, terms_input

TERMS = load_procurement_terms()


@pytest.mark.parametrize(
    "draft",
    [
        service_draft(
            method="scored",
            method_params={"weights": {"price": 40, "credit": "20", "evaluation": "20", "technical": "20"}},
            requirements={"licences": ["cost_consulting_cert"], "min_grade": "乙级", "min_credit": "80"},
            avoidance=(Avoidance("91440203MA55K9870C", "关联关系"), Avoidance("91440203MA55K9870C", "")),
        ),
        service_draft(method="combined", variant="credit_weighted", method_params={"band_weights": {"A": 5}}),
        works_draft(method="direct", method_params={"reason": "抢险工程"}, winners=1, alternates=0),
        works_draft(requirements={"local_only": True, "min_practitioners": 3, "licence_rule": "all"}),
        service_draft(
            method="scored",
            method_params={"weights": {"price": "40", "credit": "0", "evaluation": "0", "technical": "60"}},
            review_criteria=(
                ReviewCriterion("plan", "服务方案", Decimal("62.5")),
                ReviewCriterion("team", "项目团队", Decimal("37.50")),
            ),
            review_deadline=datetime(2026, 11, 10, 2, 0, tzinfo=UTC),
        ),
    ],
)
def test_terms_shown_in_the_form_and_sent_back_read_as_the_same_terms(draft: object) -> None:
    stored = terms_json(draft)  # type: ignore[arg-type]
    sent = terms_input(form_of_terms(stored), TERMS, previous=stored)
    assert draft_from_input(sent) == draft_from_input(stored)


def test_a_form_sends_what_was_typed_and_leaves_out_what_was_left_empty() -> None:
    form = FormValues(
        {
            "kind": "small_works",
            "title": " 村道 ",
            "budget": "",
            "winners": "两家",
            "method": "combined/credit_weighted",
        },
        avoidance=[("91440203MA55K9870C", "")],
    )
    raw = terms_input(form, TERMS)
    assert raw["method"] == "combined" and raw["variant"] == "credit_weighted"
    assert "budget" not in raw and raw["winners"] == "两家" and raw["title"] == " 村道 "
    assert raw["avoidance"] == [{"firm": "91440203MA55K9870C", "reason": ""}]


@pytest.mark.parametrize(
    ("problem", "field"),
    [
        ("budget", "budget"),
        ("variant", "method"),
        ("requirements", "requirements"),
        ("requirements.min_credit", "req_min_credit"),
        ("requirements.licences[1]", "req_licences"),
        ("requirements.licences[0].min_grade", "req_min_grade"),
        ("requirements.service_type", "service_type"),
        ("method_params.weights", "mp_weights"),
        ("method_params.top_n", "mp_top_n"),
        ("method_params.nonsense", "method"),
        ("avoidance[3].reason", "avoidance[3]"),
        ("avoidance", "avoidance"),
        ("review_criteria[1].max_points", "review_criteria"),
        ("review_deadline", "review_deadline"),
        ("amendment", None),
        ("terms", None),
    ],
)
def test_each_problem_lands_beside_its_field(problem: str, field: str | None) -> None:
    assert form_field(problem) == field


def test_placed_problems_keep_every_message_and_count_them() -> None:
    placed = place(
        [Problem("budget", "required"), Problem("budget", "too big"), Problem("amendment", "nothing")]
    )
    assert placed.by_field == {"budget": ["required", "too big"]}
    assert [p.field for p in placed.elsewhere] == ["amendment"] and placed.count == 3


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/x",
        "http:/x",
        "evil",
        "/\tx",
        "/a\\b",
        "",
        "/" * 3000,
    ],
)
def test_a_next_outside_the_site_falls_back(target: str) -> None:
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/my/procurements/new", "/procurements?q=%E9%81%93&page=2", "/"])
def test_a_next_on_the_site_is_kept(target: str) -> None:
    assert safe_next(target) == target


def test_stored_money_comes_back_exactly() -> None:
    form = form_of_terms(terms_json(service_draft(floor=Decimal("100000.10"))))
    assert form.get("floor") == "100000.10" and form.get("bid_deadline") == "2026-11-09T10:00"


@pytest.mark.parametrize(
    ("roles", "where"),
    [({Role.OWNER}, "/my/procurements"), ({Role.INTERMEDIARY}, "/bidding"), ({Role.SUPERVISOR}, "/")],
)
def test_each_role_lands_on_its_own_work_after_signing_in(roles: set[Role], where: str) -> None:
    principal = Principal(1, "someone", "某人", frozenset(roles), 7, None)
    assert landing(principal) == where


def test_review_criteria_rows_are_read_in_order_and_empty_rows_left_out() -> None:
    class Posted(dict[str, list[str]]):
        def get(self, name: str, default: object = None) -> object:  # type: ignore[override]
            values = super().get(name)
            return values[0] if values else default

        def getall(self, name: str, default: list[str]) -> list[str]:
            return super().get(name) or default

    posted = Posted(
        crit_code=["plan", "", "team"], crit_name=["服务方案", "", "项目团队"], crit_points=["60", "", "40"]
    )
    form = read_form(posted)
    assert form.criteria == [("plan", "服务方案", "60"), ("team", "项目团队", "40")]
    assert terms_input(form, TERMS)["review_criteria"][1] == {
        "code": "team",
        "name": "项目团队",
        "max_points": "40",
    }
