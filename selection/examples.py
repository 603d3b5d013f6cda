"""The example records in ``docs/examples/selection/``, one per method and variant
(``market-draw/2`` ceremony examples, named ``v2_*``, come from :mod:`selection.examples_v2`).

``python -m selection.examples`` rewrites them from the engine; ``--check`` only reports
files that are missing or differ (the unit tests run the same check). The secrets are
fixed so the examples are reproducible; real secrets come from a CSPRNG.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from selection.engine import run
from selection.errors import InsufficientRespondents
from selection.examples_v2 import v2_example_inputs
from selection.record import SelectionRecord

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "docs" / "examples" / "selection"


def _secret(party: str) -> str:
    return hashlib.sha256(f"example secret of the {party}".encode()).hexdigest()


def _base(ref: str, count: int) -> dict[str, Any]:
    parties = ("platform", "owner", "supervisor")
    return {
        "procurement_ref": ref,
        "candidates": [f"91440200MA5{n:07d}" for n in range(101, 101 + count)],
        "commitments": {p: hashlib.sha256(bytes.fromhex(_secret(p))).hexdigest() for p in parties},
        "reveals": {p: _secret(p) for p in parties},
        "beacons": [{"source": "中国福利彩票3D 第2024150期", "value": "3 7 1"}],
    }


def _rules() -> dict[str, Any]:
    return {
        "min_respondents": 3,
        "avoid": [{"id": "91440200MA50000102", "reason": "与业主存在关联关系"}],
        "rotation": {
            "reference_date": "2024-06-03",
            "recent_days": 30,
            "max_wins": 3,
            "period_start": "2024-01-01",
        },
        "win_history": [
            {"id": "91440200MA50000104", "date": "2024-05-21"},
            {"id": "91440200MA50000105", "date": "2024-02-02"},
            {"id": "91440200MA50000105", "date": "2024-03-15"},
            {"id": "91440200MA50000105", "date": "2024-04-28"},
        ],
    }


def example_inputs() -> dict[str, tuple[str, dict[str, Any]]]:
    """Return ``{example name: (method, inputs)}`` for every example record."""
    ids = _base("x", 12)["candidates"]
    quotes = dict(
        zip(
            ids,
            [
                "86000",
                "91500.5",
                "79800",
                "88000",
                "79800",
                "95000",
                "52000",
                "90000",
                "99999",
                "79800",
                "84000",
                "93000",
            ],
            strict=True,
        )
    )
    rates = dict(
        zip(ids, ["8.5", "12", "10", "15.25", "9", "12", "30", "5", "11.5", "7", "12", "3"], strict=True)
    )
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    out["direct"] = (
        "direct",
        {
            **_base("SG-ZJ-2024-0101", 4),
            "params": {"firm_id": "91440200MA50000103", "reason": "应急抢险，业主直接选取", "allowed": True},
        },
    )
    out["random"] = (
        "random",
        {
            **_base("SG-XGC-2024-0102", 40),
            "rules": _rules(),
            "params": {"winners": 1, "alternates": 3},
        },
    )
    out["random_insufficient_respondents"] = (
        "random",
        {
            **_base("SG-ZJ-2024-0103", 4),
            "rules": _rules(),
            "params": {"winners": 1},
        },
    )
    out["lowest_price_amount"] = (
        "lowest_price",
        {
            **_base("SG-ZJ-2024-0104", 12),
            "rules": _rules(),
            "quotes": quotes,
            "bid_digests": {i: hashlib.sha256(f"bid {i}".encode()).hexdigest() for i in ids},
            "params": {"quote_mode": "amount", "floor": "50000", "ceiling": "100000", "alternates": 2},
        },
    )
    out["lowest_price_discount_rate"] = (
        "lowest_price",
        {
            **_base("SG-ZJ-2024-0105", 12),
            "quotes": rates,
            "params": {
                "quote_mode": "discount_rate",
                "floor": "0",
                "ceiling": "30",
                "abnormal": {"below_mean_of_others_pct": 15, "below_next_pct": None},
                "alternates": 1,
            },
        },
    )
    scores = {
        "quotes": quotes,
        "credit_scores": {i: str(70 + (n * 7) % 30) for n, i in enumerate(ids)},
        "evaluation_scores": {i: f"{80 + (n * 3) % 20}.5" for n, i in enumerate(ids)},
        "technical_scores": {i: [str(60 + (n * 11) % 40), "85", str(75 + n % 3)] for n, i in enumerate(ids)},
    }
    weights = {"price": "30", "credit": "10", "evaluation": "10", "technical": "50"}
    out["scored"] = (
        "scored",
        {
            **_base("SG-ZJ-2024-0106", 12),
            **scores,
            "rules": _rules(),
            "params": {"weights": weights, "ceiling": "100000", "alternates": 2},
        },
    )
    out["combined_top_n"] = (
        "combined",
        {
            **_base("SG-ZJ-2024-0107", 12),
            **scores,
            "params": {"variant": "top_n", "weights": weights, "top_n": 5, "alternates": 1},
        },
    )
    out["combined_credit_weighted"] = (
        "combined",
        {
            **_base("SG-ZJ-2024-0108", 30),
            "rules": _rules(),
            "credit_bands": {
                i: "AAA" if n % 5 == 0 else "AA" if n % 3 else "A"
                for n, i in enumerate(_base("x", 30)["candidates"])
            },
            "params": {
                "variant": "credit_weighted",
                "band_weights": {"AAA": 5, "AA": 3, "A": 1},
                "alternates": 2,
            },
        },
    )
    out["combined_shortlist_price"] = (
        "combined",
        {
            **_base("SG-ZJ-2024-0109", 12),
            "quotes": quotes,
            "params": {
                "variant": "shortlist_price",
                "shortlist": 5,
                "floor": "50000",
                "ceiling": "100000",
                "alternates": 1,
            },
        },
    )
    return out


def build_examples() -> dict[str, SelectionRecord]:
    """Run the engine on every example (v1 and ``v2_*``) and return ``{name: record}``."""
    records: dict[str, SelectionRecord] = {}
    v1 = example_inputs()
    for name, (method, inputs) in {**v1, **v2_example_inputs(v1)}.items():
        try:
            records[name] = run(method, inputs)
        except InsufficientRespondents as failure:
            records[name] = failure.record
    return records


def render(record: SelectionRecord) -> str:
    """The file form of a record: sorted keys, indented for reading, UTF-8, no floats."""
    return json.dumps(record.data, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the example records; exit 1 on a stale file."""
    parser = argparse.ArgumentParser(prog="python -m selection.examples")
    parser.add_argument("--check", action="store_true", help="only compare, do not write")
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args(argv)
    stale = []
    for name, record in build_examples().items():
        path = args.directory / f"{name}.json"
        text = render(record)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"stale: {path}")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
