"""Shared fixtures: one font cache, one development seal and one sealed PDF per document
kind for the whole session, so the suite renders each document only once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts import (
    DocumentKind,
    IssuedDocument,
    RenderSettings,
    Seal,
    SealConfig,
    issue_document,
    load_seal,
)
from contracts.rendering import FONT_TIMESTAMP_EPOCH
from contracts.samples import sample_document

BASE_URL = "https://jy.shaoguan.example"


@pytest.fixture(autouse=True)
def fixed_font_timestamps(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests render in their own process, so they set SOURCE_DATE_EPOCH as such a
    process must for byte-identical PDFs (the render workers do it themselves)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FONT_TIMESTAMP_EPOCH)


@pytest.fixture(scope="session")
def contracts_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throw-away MARKET_HOME for the contracts tests."""
    return tmp_path_factory.mktemp("market-home")


@pytest.fixture(scope="session")
def settings(contracts_home: Path) -> RenderSettings:
    """Render settings with a per-session font cache."""
    return RenderSettings(base_url=BASE_URL, cache_dir=contracts_home / "cache")


@pytest.fixture(scope="session")
def seal_config(contracts_home: Path) -> SealConfig:
    """A development seal generated in the session's home."""
    return SealConfig.development(contracts_home / "seal")


@pytest.fixture(scope="session")
def seal(seal_config: SealConfig) -> Seal:
    """The loaded development seal."""
    return load_seal(seal_config)


@pytest.fixture(scope="session")
def issued(settings: RenderSettings, seal_config: SealConfig
           ) -> Iterator[dict[DocumentKind, IssuedDocument]]:
    """Every built-in document kind, rendered from the sample data and sealed once."""
    yield {kind: issue_document(sample_document(kind), settings, seal_config)
           for kind in DocumentKind}
