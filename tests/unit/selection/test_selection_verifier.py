"""The stand-alone verifier: a second implementation on the bare standard library."""

from __future__ import annotations

import ast
import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from selection_testdata import selection_inputs

from selection import run
from selection.errors import InsufficientRespondents, InvalidInput
from selection.examples import DEFAULT_DIR, build_examples, render
from selection.verify import verify_text

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted(DEFAULT_DIR.glob("*.json"))
VERIFIER_FILES = [
    "verify.py",
    "_verifier_core.py",
    "_verifier_methods.py",
    "_verifier_run.py",
    "_verifier_ceremony.py",
]
BARE_PYTHON = [getattr(sys, "_base_executable", sys.executable), "-S", "-E", "-s"]


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DEFAULT_DIR / f"{name}.json").read_text("utf-8"))
    return data


def _verify(data: dict[str, Any]) -> str | None:
    return verify_text(json.dumps(data, ensure_ascii=False))


def test_every_method_and_variant_has_an_example() -> None:
    names = {p.stem for p in EXAMPLES}
    assert names >= {
        "direct",
        "random",
        "random_insufficient_respondents",
        "lowest_price_amount",
        "lowest_price_discount_rate",
        "scored",
        "combined_top_n",
        "combined_credit_weighted",
        "combined_shortlist_price",
        "v2_random",
        "v2_lowest_price_withheld",
        "v2_scored_audit_head",
        "v2_combined_credit_weighted_platform_withheld",
        "v2_direct",
        "v2_random_failed_before_reveals",
    }


def test_examples_are_what_the_engine_produces_today() -> None:
    for name, record in build_examples().items():
        assert (DEFAULT_DIR / f"{name}.json").read_text("utf-8") == render(record), name


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_verifies_in_process(path: Path) -> None:
    assert verify_text(path.read_bytes()) is None


def test_examples_verify_on_a_python_without_site_packages() -> None:
    probe = subprocess.run([*BARE_PYTHON, "-c", "import numpy"], capture_output=True, cwd=ROOT)
    assert probe.returncode != 0, "the bare interpreter must not see numpy"
    out = subprocess.run(
        [*BARE_PYTHON, "-m", "selection.verify", *map(str, EXAMPLES)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("MATCH") == len(EXAMPLES)


def test_verifier_loads_no_engine_module() -> None:
    code = "import sys, selection.verify; print(sorted(m for m in sys.modules if m.startswith('selection')))"
    out = subprocess.run([*BARE_PYTHON, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert eval(out.stdout) == [
        "selection",
        "selection._verifier_ceremony",
        "selection._verifier_core",
        "selection._verifier_methods",
        "selection._verifier_run",
        "selection.verify",
    ]


@pytest.mark.parametrize("name", VERIFIER_FILES)
def test_verifier_source_imports_only_stdlib_and_itself(name: str) -> None:
    tree = ast.parse((ROOT / "selection" / name).read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            assert node.module.split(".")[0] != "selection" or node.module.startswith(
                "selection._verifier"
            ), node.module
            assert node.module.split(".")[0] in sys.stdlib_module_names | {"selection", "__future__"}
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name.split(".")[0] in sys.stdlib_module_names


def test_command_line_prints_match_and_exits_zero() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "selection.verify", str(EXAMPLES[0])], capture_output=True, text=True, cwd=ROOT
    )
    assert (out.returncode, out.stdout) == (0, "MATCH\n")


def test_command_line_prints_the_first_difference_and_exits_one(tmp_path: Path) -> None:
    data = _load("random")
    data["winners"] = [data["alternates"][0]]
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "selection.verify", str(path)], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 1
    assert out.stdout.startswith("DIFFERENCE winners[0]: record has")


def _set_winner(d: dict[str, Any]) -> None:
    d["winners"][0] = next(c for c in d["inputs"]["candidates"] if c not in d["winners"])


def _bump_quote(d: dict[str, Any]) -> None:
    firm = d["ranking"][-1]["id"]
    whole, frac = d["inputs"]["quotes"][firm].split(".")
    d["inputs"]["quotes"][firm] = f"{whole}.{(int(frac) + 1) % 100:02d}"


def _flip_seed_byte(d: dict[str, Any]) -> None:
    value = d["seed"]["value"]
    d["seed"]["value"] = ("1" if value[0] == "0" else "0") + value[1:]


def _flip_reveal_byte(d: dict[str, Any]) -> None:
    secret = d["seed"]["reveals"]["platform"]
    d["seed"]["reveals"]["platform"] = secret[:-1] + ("1" if secret[-1] == "0" else "0")


def _edit_draw(d: dict[str, Any]) -> None:
    d["draws"][0]["value"] = (d["draws"][0]["value"] + 1) % d["draws"][0]["bound"]


def _edit_exclusion(d: dict[str, Any]) -> None:
    d["exclusions"][0]["reason"] = "换了一个理由"


def _drop_exclusion(d: dict[str, Any]) -> None:
    d["exclusions"].pop(0)


def _swap_ranking(d: dict[str, Any]) -> None:
    d["ranking"][0], d["ranking"][1] = d["ranking"][1], d["ranking"][0]


def _edit_rule(d: dict[str, Any]) -> None:
    d["rules"]["avoid"][0]["reason"] = "另一个理由"


def _edit_score(d: dict[str, Any]) -> None:
    d["inputs"]["credit_scores"][d["inputs"]["candidates"][0]] = "0.00"


TAMPERING: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("random", _set_winner),
    ("lowest_price_amount", _set_winner),
    ("scored", _set_winner),
    ("combined_credit_weighted", _set_winner),
    ("direct", _set_winner),
    ("lowest_price_amount", _bump_quote),
    ("lowest_price_discount_rate", _bump_quote),
    ("scored", _bump_quote),
    ("combined_shortlist_price", _bump_quote),
    ("random", _flip_seed_byte),
    ("direct", _flip_seed_byte),
    ("scored", _flip_seed_byte),
    ("random", _flip_reveal_byte),
    ("random", _edit_draw),
    ("combined_top_n", _edit_draw),
    ("random", _edit_exclusion),
    ("random_insufficient_respondents", _drop_exclusion),
    ("scored", _swap_ranking),
    ("random", _edit_rule),
    ("combined_top_n", _edit_score),
]


@pytest.mark.parametrize(("name", "edit"), TAMPERING, ids=lambda x: getattr(x, "__name__", x))
def test_a_hand_edited_record_never_verifies(name: str, edit: Callable[[dict[str, Any]], None]) -> None:
    data = _load(name)
    assert _verify(data) is None
    edited = copy.deepcopy(data)
    edit(edited)
    assert edited != data
    assert _verify(edited) is not None


def test_a_record_with_a_float_is_refused() -> None:
    data = _load("lowest_price_amount")
    text = json.dumps(data).replace('"quote": "52000.00"', '"quote": 52000.0', 1)
    assert "52000.0," in text or "52000.0}" in text
    problem = verify_text(text)
    assert problem is not None and "floating-point" in problem


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(selection_inputs())
def test_engine_and_verifier_agree_on_random_inputs(case: tuple[str, dict[str, Any]]) -> None:
    method, inputs = case
    try:
        record = run(method, inputs)
    except InsufficientRespondents as failure:
        record = failure.record
    except InvalidInput:
        return
    text = record.to_json()
    assert verify_text(text) is None
    if record.winners:
        data = json.loads(text)
        data["winners"] = [*data["winners"][::-1], "X-not-a-firm"]
        assert _verify(data) is not None
