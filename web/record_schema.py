"""The selection record's documented shape, for the routes that answer with its exact bytes
(the ceremony's ``/record`` and the supervisors' download)."""

from __future__ import annotations

from typing import Any

from msgspec import Struct


class RecordDocument(Struct):
    """The selection record (docs/draw-spec.md §6), as documented; the answer is its exact
    canonical bytes, so that its SHA-256 is the published digest."""

    format: str
    algorithm: str
    method: str
    procurement_ref: str
    params: dict[str, Any]
    rules: dict[str, Any]
    inputs: dict[str, Any]
    ceremony: dict[str, Any] | None
    seed: dict[str, Any]
    exclusions: list[dict[str, Any]]
    eligible_count: int
    draws: list[dict[str, Any]]
    ranking: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    winners: list[str]
    alternates: list[str]
    outcome: str
    failure: dict[str, Any] | None
