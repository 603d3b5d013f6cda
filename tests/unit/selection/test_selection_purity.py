"""selection/ stays pure: stdlib + numpy, nothing of ours, no numpy at package import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
MODULES = sorted((ROOT / "selection").glob("*.py"))


def test_importing_the_package_does_not_import_numpy() -> None:
    code = "import sys, selection; assert 'numpy' not in sys.modules; print(selection.run.__doc__)"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_selection_imports_only_stdlib_numpy_and_itself(path: Path) -> None:
    allowed = set(sys.stdlib_module_names) | {"numpy", "selection", "__future__"}
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
