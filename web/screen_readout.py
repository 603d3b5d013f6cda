"""The numbers of a collusion-screen flag as a supervisor reads them: Chinese labels, rounded
values, percentages, firms by name and the threshold each number was held against
(:mod:`market.supervision.screens`). The API keeps the raw numbers; this is the page's text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from market.supervision.screens import Thresholds

Line = tuple[str, str]
MISSING = "—"


def _number(value: Any, places: int) -> str:
    return MISSING if value is None else f"{float(value):.{places}f}"


def _percent(value: Any) -> str:
    return MISSING if value is None else f"{float(value) * 100:.1f}%"


def _firm(firm: Any, names: Mapping[int, str]) -> str:
    return names.get(int(firm), f"企业 {firm}")


QUOTE_COLUMNS = ("报价个数", "变异系数 CV", "相对距离 RD", "最低两价相差", "超额峰度")


def quote_cells(numbers: Mapping[str, Any]) -> list[str]:
    """A quote flag's numbers as the cells of the page's table (:data:`QUOTE_COLUMNS`)."""
    return [
        str(numbers.get("quotes", MISSING)),
        _number(numbers.get("cv"), 4),
        _number(numbers.get("rd"), 2),
        _percent(numbers.get("gap")),
        _number(numbers.get("kurtosis"), 2),
    ]


def readout(
    kind: str, numbers: Mapping[str, Any], firms: Mapping[int, str], limits: Thresholds
) -> list[Line]:
    """(label, value) lines of one flag's ``numbers``; ``firms`` names firms by id."""
    if kind == "quote":
        kurtosis = numbers.get("kurtosis")
        return [
            ("报价个数", str(numbers.get("quotes", MISSING))),
            ("变异系数 CV", f"{_number(numbers.get('cv'), 4)}（提示线：低于 {limits.cv_below}）"),
            ("相对距离 RD", f"{_number(numbers.get('rd'), 2)}（提示线：高于 {limits.rd_above}）"),
            ("最低两价相差", _percent(numbers.get("gap"))),
            ("超额峰度", _number(kurtosis, 2) if kurtosis is not None else f"{MISSING}（少于 4 个报价）"),
        ]
    if kind == "pair":
        first, second = numbers.get("bids") or (MISSING, MISSING)
        return [
            ("共同投标", f"{numbers.get('together')} 次（提示线：不少于 {limits.pair_min_together} 次）"),
            ("各自投标", f"{first} 次、{second} 次"),
            ("共同投标占比", f"{_percent(numbers.get('share'))}（按投标较少一方计）"),
        ]
    if kind == "cover":
        return [
            ("中标单位", _firm(numbers.get("winner"), firms)),
            ("陪标单位", _firm(numbers.get("loser"), firms)),
            (
                "同场且均由前者中标",
                f"{numbers.get('together')} 次（提示线：不少于 {limits.cover_min_together} 次）",
            ),
        ]
    if kind == "rotation":
        wins = numbers.get("wins") or {}
        return [
            ("组内中标次数", "；".join(f"{_firm(firm, firms)} {count} 次" for firm, count in wins.items())),
            (
                "最大中标占比",
                f"{_percent(numbers.get('largest_share'))}（提示线：不高于 {limits.rotation_max_share:.0%}）",
            ),
        ]
    return [(name, str(value)) for name, value in numbers.items()]
