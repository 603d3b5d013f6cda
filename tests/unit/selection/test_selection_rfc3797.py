"""RFC 3797 mode reproduces the RFC's own worked example (section 6)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from selection import rfc3797

ROOT = Path(__file__).resolve().parents[3]
RFC_SOURCES = [9319, [2, 5, 12, 8, 10], [9, 18, 26, 34, 41, 45]]
# The RFC's result: Lee, Doc, Mary, Charity, Kasczynski, Envy, Sneazy, Anger, Chastity, Pandora
RFC_RESULT = [17, 7, 2, 16, 25, 23, 8, 24, 19, 13]


def test_key_string_sorts_numbers_within_each_source() -> None:
    assert rfc3797.key_string(RFC_SOURCES) == "9319./2.5.8.10.12./9.18.26.34.41.45./"


def test_rfc_example_selects_the_rfcs_ten_volunteers() -> None:
    assert rfc3797.select(25, RFC_SOURCES, 10) == RFC_RESULT


def test_selecting_more_extends_the_same_sequence() -> None:
    assert rfc3797.select(25, RFC_SOURCES, 12)[:10] == RFC_RESULT


def test_command_line_prints_one_position_per_line_and_nothing_else() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "selection.rfc3797",
            "--pool",
            "25",
            "--source",
            "9319",
            "--source",
            "2,5,12,8,10",
            "--source",
            "9,18,26,34,41,45",
            "--pick",
            "10",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == "".join(f"{p}\n" for p in RFC_RESULT)
