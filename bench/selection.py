"""Selection benchmarks: `python bench/selection.py` (no database, well under a minute).

Prints one line per figure, `figure <name> = <value> <unit> (goal <op> <value>)`. Absolute
goals come from issue 3; each ratio divides by a baseline measured in the same run on the
same data (numpy sorting it), so the ratios hold on a slower or noisier machine.
"""

from __future__ import annotations

import hashlib
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from selection import run
from selection.draw import DrawStream
from selection.scored import rank_by_total, score_arrays
from selection.verify import verify_text

SECRET = hashlib.sha256(b"bench platform secret").hexdigest()
SEED_INPUTS = {
    "commitments": {"platform": hashlib.sha256(bytes.fromhex(SECRET)).hexdigest()},
    "reveals": {"platform": SECRET},
}


def best_ms(action: Callable[[], Any], repeat: int = 7) -> float:
    """Best wall time of ``repeat`` runs, in milliseconds (least disturbed by noise)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def figure(name: str, value: float, unit: str, op: str, goal: float) -> None:
    print(f"figure {name} = {value:.2f} {unit} (goal {op} {goal:g})")


def main() -> None:
    rng = random.Random(20240601)

    # random 5 + 5 alternates from 100,000 eligible firms (pool as the registry lists it,
    # ordered by id, which is how the lifecycle will read it from the database)
    pool = sorted({f"91440200MA{rng.randrange(10**8):08d}" for _ in range(101000)})[:100000]
    draw_inputs = {
        "procurement_ref": "BENCH-1",
        "candidates": pool,
        "params": {"winners": 5, "alternates": 5},
        **SEED_INPUTS,
    }
    random_ms = best_ms(lambda: run("random", draw_inputs))
    shuffled = pool[:]
    rng.shuffle(shuffled)
    unsorted_ms = best_ms(lambda: run("random", {**draw_inputs, "candidates": shuffled}), 3)
    pool_array = np.array(shuffled)
    numpy_pool_ms = best_ms(lambda: np.sort(pool_array))
    figure("random_draw_100k_ms", random_ms, "ms", "<=", 20)
    figure("random_draw_100k_unsorted_input_ms", unsorted_ms, "ms", "<=", 60)
    # A whole auditable draw (validation, digest of the 100k-id list, seed, draw, record)
    # should cost no more than numpy sorting the same ids once.
    figure("random_draw_vs_numpy_sort", random_ms / numpy_pool_ms, "x", "<=", 1.0)

    # scored ranking of 10,000 quotes
    n = 10000
    ids = [f"F{i:05d}" for i in range(n)]
    quotes_fen = np.array([rng.randrange(8_000_000, 10_000_000) for _ in range(n)], np.int64)
    credit = np.array([rng.randrange(6000, 10001) for _ in range(n)], np.int64)
    evaluation = np.array([rng.randrange(6000, 10001) for _ in range(n)], np.int64)
    tech_sum = np.array([rng.randrange(18000, 29998) for _ in range(n)], np.int64)
    reviewers = np.full(n, 3, np.int64)
    weights = {"price": 3000, "credit": 1000, "evaluation": 1000, "technical": 5000}
    seed = hashlib.sha256(b"bench").digest()

    def rank_core() -> list[int]:
        scores = score_arrays(quotes_fen, credit, evaluation, tech_sum, reviewers, weights)
        return rank_by_total(DrawStream(seed), scores["total"])

    rank_ms = best_ms(rank_core)
    numpy_rank_ms = best_ms(lambda: np.argsort(-quotes_fen, kind="stable"))
    figure("scored_ranking_10k_ms", rank_ms, "ms", "<=", 10)
    # Scoring is about a dozen integer vector passes plus the same stable argsort and the
    # tie draws; 40x a bare argsort of 10k int64 keeps it well inside the 10 ms goal.
    figure("scored_ranking_vs_numpy_argsort", rank_ms / numpy_rank_ms, "x", "<=", 40)

    def yuan(fen: int) -> str:
        return f"{fen // 100}.{fen % 100:02d}"

    scored_inputs = {
        "procurement_ref": "BENCH-2",
        "candidates": ids,
        **SEED_INPUTS,
        "quotes": {f: yuan(int(q)) for f, q in zip(ids, quotes_fen, strict=True)},
        "credit_scores": {f: yuan(int(c)) for f, c in zip(ids, credit, strict=True)},
        "evaluation_scores": {f: yuan(int(c)) for f, c in zip(ids, evaluation, strict=True)},
        "technical_scores": {
            f: [yuan(int(t) // 3), yuan(int(t) // 3), yuan(int(t) - 2 * (int(t) // 3))]
            for f, t in zip(ids, tech_sum, strict=True)
        },
        "params": {
            "weights": {"price": "30", "credit": "10", "evaluation": "10", "technical": "50"},
            "alternates": 2,
        },
    }
    # End to end (parsing 60,000 decimal strings, digests, record): no goal in the issue;
    # 250 ms keeps a 10k-bid evaluation interactive.
    select_ms = best_ms(lambda: run("scored", scored_inputs), 3)
    figure("scored_select_10k_ms", select_ms, "ms", "<=", 250)

    # the stand-alone (pure standard library) verifier on that 10,000-candidate record
    record_json = run("scored", scored_inputs).to_json()
    assert verify_text(record_json) is None
    verify_ms = best_ms(lambda: verify_text(record_json), 3)
    figure("verifier_10k_ms", verify_ms, "ms", "<=", 1000)
    # The 1 s budget in units of numpy sorting the same 10k ids (~0.25 ms on the 2-core
    # development box, so 1 s is ~4000 sorts); 3000 keeps a margin for machines where
    # numpy gains more than pure Python does.
    id_array = np.array(ids)
    numpy_ids_ms = best_ms(lambda: np.sort(id_array))
    figure("verifier_vs_numpy_sort", verify_ms / numpy_ids_ms, "x", "<=", 3000)


if __name__ == "__main__":
    main()
