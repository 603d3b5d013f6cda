"""Golden vectors for draw-v1 and the seed derivation. These values are published in
docs/draw-spec.md: if one of these tests fails, the algorithm changed and needs a new
version name, never a silent change."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selection.canonical import canonical_json, format_hundredths, to_hundredths
from selection.draw import DrawStream
from selection.errors import InvalidAmount
from selection.procedure import candidates_json
from selection.seed import SeedInputs, derive_seed

SEED = bytes(range(32))
SPEC = Path(__file__).resolve().parents[3] / "docs" / "draw-spec.md"

UNIFORM_VECTOR = [
    [10, 9, []],
    [1000, 741, []],
    [65537, 10554, []],
    [7, 0, []],
    [1, 0, []],
    [256, 189, []],
    [3, 0, []],
    [1000000000000, 875671310458, []],
    [5, 4, [7, 7]],
    [5, 2, []],
    [5, 2, [5, 5]],
    [5, 2, [7]],
    [5, 1, []],
    [5, 1, [5]],
    [300, 11, []],
    [300, 295, []],
    [300, 208, []],
]


def test_stream_blocks_are_sha256_of_seed_and_big_endian_counter() -> None:
    stream = DrawStream(SEED)
    first_two_blocks = stream._take(64).hex()
    assert first_two_blocks == (
        "a9d6e500293a88bd38cbe213d07ab71f8cb2258552072a01bdf1c40be527f4d0"
        "6061c4386d7a1788ba52e2e8b2ee6fe6137644ec75a70bf7042cfd67a1e57bd3"
    )


def test_uniform_golden_vector_including_rejections() -> None:
    stream = DrawStream(SEED)
    for bound, _, _ in UNIFORM_VECTOR:
        stream.uniform(bound, "t")
    assert [[d["bound"], d["value"], d["rejected"]] for d in stream.log] == UNIFORM_VECTOR


def test_bound_one_consumes_no_bytes() -> None:
    a, b = DrawStream(SEED), DrawStream(SEED)
    a.uniform(1, "t")
    assert a.uniform(10, "t") == b.uniform(10, "t")


def test_partial_fisher_yates_golden_vector() -> None:
    picked = DrawStream(SEED).sample(100000, 10, ["p"] * 10)
    assert picked == [10554, 48441, 31417, 99669, 76293, 53349, 96797, 47705, 59578, 28655]


def test_weighted_sample_golden_vector_skips_zero_weights() -> None:
    stream = DrawStream(SEED)
    assert stream.weighted_sample([5, 3, 1, 0, 1], 3, ["w"] * 3) == [4, 1, 2]
    assert [[d["bound"], d["value"]] for d in stream.log] == [[10, 9], [9, 6], [6, 5]]


def test_uniform_is_roughly_uniform_over_many_draws() -> None:
    stream = DrawStream(hashlib.sha256(b"uniformity").digest())
    counts = [0] * 6
    for _ in range(6000):
        counts[stream.uniform(6, "u")] += 1
    assert all(850 < c < 1150 for c in counts)


def test_seed_golden_vector() -> None:
    secret = "00" * 16
    seed = derive_seed(
        procurement_ref="SG-1",
        method="random",
        configuration={
            "params": {"alternates": 1, "winners": 1},
            "rules": {"avoid": [], "min_respondents": 3, "rotation": None, "win_history": []},
        },
        candidates_json=b'["A","B","C"]',
        firm_data={},
        bid_digests={},
        seed_inputs=SeedInputs(
            {"platform": hashlib.sha256(bytes(16)).hexdigest()},
            {"platform": secret},
            [{"source": "drand", "value": "42"}],
        ),
    )
    assert seed["components"] == {
        "configuration": "398ad28adac163599fa229dd79083bbcc3d503caa8d0574629b904ef8d818e8e",
        "candidates": "0a2b4ad995acc6f5a040c90e6daa08ca78405335b76027f3fd2889b714991a1a",
        "firm_data": "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    }
    assert seed["value"] == "2b428709b9d73bcf793f12e3cb6651952834ca234cdcb754d8794a8400d4232e"


def test_spec_publishes_the_same_vectors() -> None:
    spec = SPEC.read_text(encoding="utf-8")
    for needle in [
        "a9d6e500293a88bd38cbe213d07ab71f8cb2258552072a01bdf1c40be527f4d0",
        "2b428709b9d73bcf793f12e3cb6651952834ca234cdcb754d8794a8400d4232e",
        "10554, 48441, 31417, 99669, 76293, 53349, 96797, 47705, 59578, 28655",
        json.dumps(UNIFORM_VECTOR[8]),
    ]:
        assert needle in spec


def test_canonical_json_sorts_keys_without_whitespace_and_keeps_unicode() -> None:
    assert canonical_json({"b": [1, "韶关"], "a": None, "c": {"z": True, "y": "\n"}}) == (
        '{"a":null,"b":[1,"韶关"],"c":{"y":"\\n","z":true}}'.encode()
    )


def test_canonical_json_refuses_floats() -> None:
    with pytest.raises(InvalidAmount):
        canonical_json({"quote": 1.5})


@pytest.mark.parametrize(("raw", "fen"), [("0", 0), ("12", 1200), ("12.5", 1250), ("12.05", 1205), (7, 700)])
def test_money_parses_to_integer_fen(raw: object, fen: int) -> None:
    assert to_hundredths(raw, "q") == fen
    assert format_hundredths(fen) == f"{fen // 100}.{fen % 100:02d}"


@pytest.mark.parametrize("raw", [1.5, "1.234", "-1", "1e3", "01", " 1", True, None, "1."])
def test_money_refuses_floats_and_malformed_values(raw: object) -> None:
    with pytest.raises(InvalidAmount):
        to_hundredths(raw, "q")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=6), max_size=8))
def test_fast_candidate_encoding_is_byte_identical_to_canonical_json(ids: list[str]) -> None:
    assert candidates_json(ids) == canonical_json(ids)
