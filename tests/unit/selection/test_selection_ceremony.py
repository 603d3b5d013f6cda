"""The four attacks on the draw-v1 ceremony (issue 12) fail under market-draw/2: in the
engine (no record) and in the stand-alone verifier (a hand-made record is refused)."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ceremony_testdata import (
    LOTTERY,
    REF,
    edited,
    price_inputs,
    random_inputs,
    record_of,
    verified,
)

from selection import errors, run
from selection.ceremony import Ceremony, commitment, derive_seed
from selection.engine import freeze
from selection.examples_v2 import LATE, REVEAL_DEADLINE, example_secret
from selection.verify import verify_text

# --- attack 1: inputs changed after the freeze -----------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "part"),
    [
        (["quotes", "F002"], "79.99", "candidates"),
        (["candidates"], ["F001", "F002", "F003", "F004", "F005"], "candidates"),
        (["rules", "avoid"], [], "configuration"),
        (["rules", "avoid", 0, "reason"], "另一个理由", "configuration"),
        (["rules", "rotation", "reference_date"], "2026-03-20", "configuration"),
        (["params", "abnormal"], {"below_mean_of_others_pct": None}, "configuration"),
        (["bid_digests", "F003"], "ab" * 32, "bids"),
    ],
)
def test_changing_an_input_after_the_freeze_is_refused_by_the_engine(
    path: list[Any], value: Any, part: str
) -> None:
    inputs = price_inputs()
    if path[0] == "candidates":
        inputs["quotes"].pop("F006")
        inputs["bid_digests"].pop("F006")
    changed = edited(inputs, path, value)
    with pytest.raises(errors.FrozenInputsChanged) as caught:
        run("lowest_price", changed)
    assert caught.value.details["part"] == part


@pytest.mark.parametrize(
    ("path", "value", "part"),
    [
        (["inputs", "quotes", "F002"], "79.99", "candidates"),
        (["rules", "avoid", 0, "reason"], "另一个理由", "configuration"),
        (["rules", "rotation", "reference_date"], "2026-03-20", "configuration"),
        (["params", "abnormal", "below_next_pct"], 29, "configuration"),
        (["inputs", "bid_digests", "F003"], "ab" * 32, "bids"),
    ],
)
def test_changing_an_input_after_the_freeze_is_refused_by_the_verifier(
    path: list[Any], value: Any, part: str
) -> None:
    record = record_of("lowest_price", price_inputs())
    assert verified(record) is None
    problem = verified(edited(record, path, value))
    assert problem is not None and f"inputs differ from the frozen digests: {part}" in problem


def test_a_wholly_reforged_freeze_is_caught_against_the_published_digests() -> None:
    """Re-freezing changed inputs gives a self-consistent record; only the digests published
    at the deadline (audit entry, page) tell it apart, and the verifier takes them."""
    honest = record_of("lowest_price", price_inputs())
    forged_inputs = price_inputs(quotes={**price_inputs()["quotes"], "F003": "79"})
    forged = record_of("lowest_price", forged_inputs)
    assert verified(forged) is None
    published = {k: honest["ceremony"]["freeze"][k] for k in ("configuration", "candidates", "bids")}
    problem = verify_text(json.dumps(forged, ensure_ascii=False), frozen=published)
    assert (
        problem is not None
        and "frozen candidates digest" in problem
        and "differs from the published" in problem
    )
    assert verify_text(json.dumps(honest, ensure_ascii=False), frozen=published) is None


def test_freeze_fills_every_default_and_matches_the_record() -> None:
    inputs = price_inputs()
    frozen = freeze("lowest_price", inputs)
    configuration = frozen["documents"]["configuration"]
    assert configuration["params"] == {
        "quote_mode": "amount",
        "floor": None,
        "ceiling": None,
        "abnormal": {"below_mean_of_others_pct": 40, "below_next_pct": 30},
        "winners": 1,
        "alternates": 0,
    }
    assert configuration["rules"]["rotation"] == {
        "reference_date": "2026-03-01",
        "recent_days": 30,
        "max_wins": None,
        "period_start": None,
    }
    assert frozen["documents"]["bids"] == inputs["bid_digests"]
    assert (frozen["eligible_count"], frozen["minimum"]) == (4, 2)
    record = record_of("lowest_price", inputs)
    assert {k: record["ceremony"]["freeze"][k] for k in frozen["digests"]} == frozen["digests"]


# --- attack 2: one party chooses the winner ---------------------------------------------


@pytest.mark.parametrize(
    ("reveals", "beacon"),
    [
        ({"platform": "in_time"}, None),
        ({"platform": "in_time"}, ("平台审计链", "选取时刻", "audit_head", "12:" + "ab" * 32)),
        ({"platform": "in_time", "owner": None, "supervisor": None}, None),
        ({"platform": None, "owner": "in_time"}, None),
        (
            {"platform": "in_time", "owner": "late"},
            ("平台审计链", "选取时刻", "audit_head", "12:" + "ab" * 32),
        ),
    ],
)
def test_fewer_than_two_independent_contributions_are_refused(
    reveals: dict[str, str | None], beacon: Any
) -> None:
    with pytest.raises(errors.InsufficientContributions):
        run("random", random_inputs(reveals, beacon))


def test_the_verifier_refuses_a_record_where_only_the_platform_contributed() -> None:
    record = record_of("random", random_inputs())
    alone = copy.deepcopy(record)
    for party in ("owner", "supervisor"):
        del alone["ceremony"]["commitments"][party]
        del alone["ceremony"]["reveals"][party]
    alone["ceremony"]["beacon"] = None
    problem = verified(alone)
    assert problem is not None and "fewer than two independent contributions" in problem
    alone["ceremony"]["beacon"] = {
        **record["ceremony"]["beacon"],
        "form": "audit_head",
        "value": "7:" + "0" * 64,
    }
    problem = verified(alone)
    assert problem is not None and "counted: platform" in problem


@pytest.mark.parametrize("written", ["3 7 1", "3,7,1", "0371", "37", "３７１", "371 ", 371])
def test_a_beacon_is_accepted_only_in_its_declared_form(written: Any) -> None:
    assert run("random", random_inputs()).winners
    with pytest.raises(errors.BeaconFormMismatch):
        run("random", random_inputs(beacon=(*LOTTERY[:3], written)))
    record = record_of("random", random_inputs())
    problem = verified(edited(record, ["ceremony", "beacon", "value"], written))
    assert problem is not None and "not in the declared form digits:3" in problem


@pytest.mark.parametrize(
    ("form", "good", "bad"),
    [
        ("hex64", "ab" * 32, "AB" * 32),
        ("audit_head", "8121:" + "0f" * 32, "08121:" + "0f" * 32),
        ("digits:5", "00371", "371"),
    ],
)
def test_each_beacon_form_takes_one_spelling(form: str, good: str, bad: str) -> None:
    assert run("random", random_inputs(beacon=("s", "r", form, good))).winners
    with pytest.raises(errors.BeaconFormMismatch):
        run("random", random_inputs(beacon=("s", "r", form, bad)))


@pytest.mark.parametrize("form", ["digits", "digits:0", "digits:03", "text", "HEX64"])
def test_an_undeclared_beacon_form_is_refused(form: str) -> None:
    with pytest.raises(errors.InvalidParameter):
        run("random", random_inputs(beacon=("s", "r", form, "371")))


# --- attack 3: the last party withholds ---------------------------------------------------


def test_a_withheld_reveal_is_recorded_and_the_draw_goes_on_without_it() -> None:
    record = record_of(
        "random", random_inputs({"platform": "in_time", "owner": "in_time", "supervisor": None})
    )
    assert record["seed"]["withheld"] == [{"party": "supervisor", "reason": "not_revealed"}]
    assert record["seed"]["reveals_counted"] == ["platform", "owner"]
    assert record["outcome"] == "selected" and record["winners"]
    assert verified(record) is None


def test_a_late_reveal_does_not_count() -> None:
    late = record_of(
        "random", random_inputs({"platform": "in_time", "owner": "in_time", "supervisor": "late"})
    )
    absent = record_of(
        "random", random_inputs({"platform": "in_time", "owner": "in_time", "supervisor": None})
    )
    assert late["ceremony"]["reveals"]["supervisor"]["at"] == LATE
    assert late["seed"]["withheld"] == [{"party": "supervisor", "reason": "revealed_late"}]
    assert late["seed"]["value"] == absent["seed"]["value"]
    assert late["winners"] == absent["winners"]
    assert verified(late) is None
    # moving the late reveal inside the window changes the seed: the verifier sees it
    moved = edited(late, ["ceremony", "reveals", "supervisor", "at"], REVEAL_DEADLINE)
    problem = verified(moved)
    assert problem is not None and problem.startswith("seed.")


@pytest.mark.parametrize("at", [REVEAL_DEADLINE, "2026-03-02T23:59:59.000000Z"])
def test_a_beacon_not_after_the_reveal_deadline_is_refused(at: str) -> None:
    inputs = random_inputs()
    inputs["ceremony"]["beacon"]["at"] = at
    with pytest.raises(errors.CeremonyOrderViolation):
        run("random", inputs)
    record = record_of("random", random_inputs())
    problem = verified(edited(record, ["ceremony", "beacon", "at"], at))
    assert problem is not None and "beacon time is not after the reveal deadline" in problem


def test_a_reveal_before_the_freeze_is_refused() -> None:
    inputs = random_inputs()
    inputs["ceremony"]["reveals"]["owner"]["at"] = "2026-03-01T12:00:00.000000Z"
    with pytest.raises(errors.CeremonyOrderViolation):
        run("random", inputs)
    record = edited(
        record_of("random", random_inputs()),
        ["ceremony", "reveals", "owner", "at"],
        "2026-03-01T12:00:00.000000Z",
    )
    problem = verified(record)
    assert problem is not None and "owner revealed before the inputs were frozen" in problem


def test_a_failure_needs_no_reveals_because_nothing_is_drawn() -> None:
    inputs = random_inputs({"platform": None, "owner": None}, candidates=["F001", "F002"])
    with pytest.raises(errors.InsufficientRespondents) as caught:
        run("random", inputs)
    record = caught.value.record.data
    assert record["outcome"] == "failed" and record["seed"]["reveals_counted"] == []
    assert verified(record) is None


# --- attack 4: secrets not bound to a procurement ------------------------------------------


def test_the_same_secret_gives_a_different_commitment_per_procurement_round_and_role() -> None:
    secret = "5a" * 32
    made = {
        commitment(ref, rnd, role, secret)
        for ref in (REF, "SGZJ-2026-0002")
        for rnd in (1, 2)
        for role in ("platform", "owner", "supervisor")
    }
    assert len(made) == 12


def test_a_commitment_reused_from_another_procurement_does_not_open() -> None:
    inputs = random_inputs()
    other = example_secret("SGZJ-2026-0999", 1, "owner")
    inputs["ceremony"]["commitments"]["owner"] = commitment("SGZJ-2026-0999", 1, "owner", other)
    inputs["ceremony"]["reveals"]["owner"]["secret"] = other
    with pytest.raises(errors.RevealMismatch) as caught:
        run("random", inputs)
    assert caught.value.details["party"] == "owner"


def test_equal_commitments_are_refused() -> None:
    inputs = random_inputs()
    commits = inputs["ceremony"]["commitments"]
    commits["supervisor"] = commits["owner"]
    with pytest.raises(errors.DuplicateCommitment):
        run("random", inputs)
    record = record_of("random", random_inputs())
    same = edited(
        record, ["ceremony", "commitments", "supervisor"], record["ceremony"]["commitments"]["owner"]
    )
    problem = verified(same)
    assert problem is not None and "same commitment" in problem


def test_a_reveal_that_does_not_match_is_named_by_engine_and_verifier() -> None:
    inputs = random_inputs()
    inputs["ceremony"]["reveals"]["supervisor"]["secret"] = "00" * 32
    with pytest.raises(errors.RevealMismatch):
        run("random", inputs)
    record = record_of("random", random_inputs())
    problem = verified(edited(record, ["ceremony", "reveals", "supervisor", "secret"], "00" * 32))
    assert problem is not None and "revealed by supervisor does not match its commitment" in problem


def test_a_ceremony_replaces_the_v1_seed_keys() -> None:
    inputs = random_inputs()
    inputs["beacons"] = [{"source": "s", "value": "1"}]
    with pytest.raises(errors.InvalidParameter):
        run("random", inputs)


def test_commitment_golden_vector_matches_the_spec() -> None:
    secret = hashlib.sha256(b"owner").hexdigest()
    assert commitment(REF, 1, "owner", secret) == COMMITMENT_VECTOR


COMMITMENT_VECTOR = "4afcd343141a3a71a862b381ca0dfa1da8e71d69e270b02ee11a5f14cbaec008"


@pytest.mark.skipif(shutil.which("node") is None, reason="no node to play the browser")
@pytest.mark.parametrize("reference", [REF, '韶关\n"x\\\x01\u2028'])
def test_a_page_computes_the_same_commitment_with_json_stringify(reference: str) -> None:
    secret = hashlib.sha256(b"owner").hexdigest()
    script = (
        "const [ref, secret] = JSON.parse(process.argv[1]);"
        "const text = JSON.stringify(['market-draw/2/commitment', ref, 1, 'owner', secret]);"
        "const bytes = new TextEncoder().encode(text);"
        "crypto.subtle.digest('SHA-256', bytes).then(d => console.log(Buffer.from(d).toString('hex')));"
    )
    out = subprocess.run(
        ["node", "-e", script, json.dumps([reference, secret])], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == commitment(reference, 1, "owner", secret)


SPEC = Path(__file__).resolve().parents[3] / "docs" / "draw-spec.md"
PARTY_SECRETS = {p: hashlib.sha256(p.encode()).hexdigest() for p in ("platform", "owner", "supervisor")}
COMMITMENTS = {
    "platform": "6880e6abfc9bc4c9661739654cd249da1f62bd5d3e155baf6fc5292b0217118d",
    "owner": COMMITMENT_VECTOR,
    "supervisor": "96507452db72281661bcd79f6b2efb2fab0b6411dd71e1ef8e6b917f5361057c",
}


def _vector_ceremony(counted: list[str], beacon: bool) -> Ceremony:
    echo = {
        "round": 1,
        "freeze": {"configuration": "11" * 32, "candidates": "22" * 32, "bids": "33" * 32},
        "reveals": {p: {"secret": s} for p, s in PARTY_SECRETS.items()},
        "beacon": {
            "source": "中国福利彩票3D",
            "reference": "第2026058期",
            "form": "digits:3",
            "value": "371",
        },
    }
    return Ceremony(echo, counted, [], beacon)


def test_v2_seed_golden_vectors_match_the_spec() -> None:
    spec = SPEC.read_text("utf-8")
    for party, secret in PARTY_SECRETS.items():
        assert commitment(REF, 1, party, secret) == COMMITMENTS[party]
        assert COMMITMENTS[party] in spec and secret in spec
    two = derive_seed(REF, "random", _vector_ceremony(["platform", "owner"], True))
    three = derive_seed(REF, "random", _vector_ceremony(["platform", "owner", "supervisor"], False))
    assert two == "23d36749ff7b594fb09c1fb980246fc1cbc3737150be76336fe89bede4ba01a2"
    assert three == "2085e1fbd5cb81b93ac94ed1d75800c06e4caaa7c0e59fba946f5177d07cbbae"
    assert two in spec and three in spec
