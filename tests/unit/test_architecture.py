"""Dependencies point inwards (web → market → selection/contracts): import-linter checks the
contracts declared in pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold() -> None:
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_market_never_imports_litestar() -> None:
    for path in (ROOT / "market").rglob("*.py"):
        source = path.read_text()
        assert "import litestar" not in source and "from litestar" not in source, path


def test_every_command_module_imports_first_without_a_cycle() -> None:
    """``web.cli`` gathers the subcommand modules and they share only ``web.cli_errors``:
    any of them can be imported first (an import at the bottom of ``web.cli`` used to make
    ``import web.registry_cli`` fail)."""
    modules = sorted(f"web.{path.stem}" for path in (ROOT / "web").glob("*cli*.py"))
    assert "web.registry_cli" in modules
    for module in modules:
        result = subprocess.run(
            [sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, f"{module}: {result.stderr}"
