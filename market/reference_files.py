"""Reading the reference data files (``market/reference/*.toml``, or a city's own folder
given by MARKET_REFERENCE_DIR): a missing or malformed file stops the service with the
file's name, before anything is served."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from market.errors import ConfigurationError

BUNDLED_REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


def read_reference_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigurationError(f"reference data file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"reference data file {path} is not valid TOML: {exc}") from None
