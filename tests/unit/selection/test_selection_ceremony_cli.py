"""market-draw/2 on the command line and on a bare interpreter: ``python -m selection.secret``,
``python -m selection.verify --frozen``, and a property test that any edit of a v2 record's
inputs is caught."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from ceremony_testdata import LOTTERY, REF, edited
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selection_testdata import selection_inputs

from selection import run
from selection.ceremony import commitment
from selection.errors import InsufficientRespondents, InvalidInput
from selection.examples import DEFAULT_DIR
from selection.examples_v2 import with_ceremony
from selection.verify import verify_text

ROOT = Path(__file__).resolve().parents[3]
BARE_PYTHON = [getattr(sys, "_base_executable", sys.executable), "-S", "-E", "-s"]
V2_EXAMPLES = sorted(DEFAULT_DIR.glob("v2_*.json"))


def _secret_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BARE_PYTHON, "-m", "selection.secret", "--reference", REF, "--round", "1", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_secret_cli_makes_a_fresh_secret_and_its_bound_commitment_on_a_bare_python() -> None:
    first, second = _secret_cli("--role", "owner"), _secret_cli("--role", "owner")
    assert first.returncode == 0, first.stderr
    found = dict(line.split() for line in first.stdout.splitlines())
    assert re.fullmatch(r"[0-9a-f]{64}", found["secret"])
    assert found["commitment"] == commitment(REF, 1, "owner", found["secret"])
    assert found["secret"] not in second.stdout
    assert "只把承诺值交给平台" in first.stderr and "give the platform only the commitment" in first.stderr


def test_secret_cli_check_recomputes_a_commitment() -> None:
    secret = "0f" * 32
    out = _secret_cli("--role", "supervisor", "--check", secret)
    assert out.stdout == f"commitment {commitment(REF, 1, 'supervisor', secret)}\n"


def test_secret_cli_refuses_a_malformed_secret_and_an_unknown_role() -> None:
    assert _secret_cli("--role", "owner", "--check", "0F" * 32).returncode == 2
    assert _secret_cli("--role", "bidder").returncode == 2


def test_verify_cli_compares_the_record_with_the_published_freeze(tmp_path: Path) -> None:
    path = V2_EXAMPLES[0]
    freeze = json.loads(path.read_text("utf-8"))["ceremony"]["freeze"]
    good = ",".join(f"{k}={freeze[k]}" for k in ("configuration", "candidates", "bids"))
    run = [*BARE_PYTHON, "-m", "selection.verify", "--frozen", good, str(path)]
    out = subprocess.run(run, capture_output=True, text=True, cwd=ROOT)
    assert (out.returncode, out.stdout) == (0, "MATCH\n")
    bad = good.replace(f"bids={freeze['bids']}", "bids=" + "0" * 64)
    out = subprocess.run([*run[:-2], bad, str(path)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1 and "frozen bids digest" in out.stdout


def _leaves(value: Any, path: list[Any]) -> list[list[Any]]:
    if isinstance(value, dict):
        return [p for k in sorted(value) for p in _leaves(value[k], [*path, k])] or [path]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, [*path, i])] or [path]
    return [path]


RECORDS = {p.stem: json.loads(p.read_text("utf-8")) for p in V2_EXAMPLES}
TARGETS = [
    (name, path)
    for name, record in RECORDS.items()
    for section in ("params", "rules", "inputs")
    for path in _leaves(record[section], [section])
]


def _mutate(value: Any, choice: int) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1 + choice
    if isinstance(value, str):
        return [value + "0", value[:-1], "", value.upper() if value != value.upper() else value.lower()][
            choice % 4
        ]
    if value is None:
        return ["1", 0, False, []][choice % 4]
    return ...  # an empty list or object: remove it


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(TARGETS), st.integers(0, 3))
def test_any_edit_of_a_v2_records_inputs_is_caught(target: tuple[str, list[Any]], choice: int) -> None:
    name, path = target
    record = RECORDS[name]
    old: Any = record
    for key in path:
        old = old[key]
    new = _mutate(old, choice)
    if new == old and type(new) is type(old):
        return
    changed = edited(record, path, new)
    assert verify_text(json.dumps(changed, ensure_ascii=False)) is not None, (name, path, new)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(selection_inputs(), st.sampled_from(["in_time", "late", None]), st.booleans())
def test_engine_and_verifier_agree_on_random_v2_inputs(
    case: tuple[str, dict[str, Any]], supervisor: str | None, beacon: bool
) -> None:
    method, v1_inputs = case
    inputs = {k: v for k, v in v1_inputs.items() if k not in ("commitments", "reveals", "beacons")}
    reveals = {"platform": "in_time", "owner": "in_time", "supervisor": supervisor}
    try:
        inputs = with_ceremony(method, inputs, reveals=reveals, beacon=LOTTERY if beacon else None)
        record = run(method, inputs)
    except InsufficientRespondents as failure:
        record = failure.record
    except InvalidInput:
        return
    assert verify_text(record.to_json()) is None
    assert record.data["seed"]["beacon_counted"] is beacon
