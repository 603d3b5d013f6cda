"""The JSON body check: its quick walk and its naming walk agree on what they refuse."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.exceptions import ClientException

from market.errors import InvalidInput
from web.inputs import MAX_JSON_DEPTH, _plainly_clean, check_json


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("body", "refused_as", "field"),
    [
        ({"firm": {"name": "a\u0000"}}, InvalidInput, "firm.name"),
        ({"items": [{"n": 1}, {"n": 2**63}]}, InvalidInput, "items[1].n"),
        ({"items": [{"n": -(2**63) - 1}]}, InvalidInput, "items[0].n"),
        ({"a\u2067": 1}, InvalidInput, "the name of 'a\\u2067'"),
        ({"account": {"password": "x\u0000"}}, InvalidInput, "account.password"),
        ({"firm": _nested(MAX_JSON_DEPTH + 1)}, ClientException, None),
    ],
)
def test_what_is_refused_is_refused_by_both_walks_and_named(
    body: dict[str, Any], refused_as: type[Exception], field: str | None
) -> None:
    assert _plainly_clean(body) is False
    with pytest.raises(refused_as) as caught:
        check_json(body)
    if field is not None:
        assert caught.value.details["field"] == field  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "body",
    [
        {"firm": {"name": "韶关市武江建筑工程有限公司", "practitioners": 2**63 - 1, "ok": True, "x": None}},
        {"firm": _nested(MAX_JSON_DEPTH - 1)},
        [1.5, -(2**63), "٣ (Arabic-Indic digits are not controls)"],
    ],
)
def test_ordinary_bodies_pass_the_quick_walk(body: Any) -> None:
    assert _plainly_clean(body) is True
    check_json(body)


def test_a_bidi_control_in_a_password_passes_the_naming_walk() -> None:
    body = {"username": "owner.li", "new_password": "\u202eabc"}
    assert _plainly_clean(body) is False  # the quick walk does not know passwords ...
    check_json(body)  # ... the naming walk lets it through
