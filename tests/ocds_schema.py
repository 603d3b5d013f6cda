"""Validating OCDS 1.1.5 packages against the official schema files, offline
(copied into ``tests/data/ocds-1.1.5``; the release schema is resolved by its id, never fetched)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMAS = Path(__file__).resolve().parent / "data" / "ocds-1.1.5"


def _load(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


@cache
def _validators() -> tuple[Draft4Validator, Draft4Validator]:
    release = _load("release-schema.json")
    registry: Registry = Registry().with_resource(
        release["id"], Resource.from_contents(release, default_specification=DRAFT4)
    )
    checker = FormatChecker()
    releases = Draft4Validator(
        _load("release-package-schema.json"), registry=registry, format_checker=checker
    )
    records = Draft4Validator(_load("record-package-schema.json"), registry=registry, format_checker=checker)
    return releases, records


def problems(document: dict[str, Any], *, records: bool = False) -> list[str]:
    """Every schema error of a release package (or record package), as text; empty if valid."""
    validator = _validators()[1 if records else 0]
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]
