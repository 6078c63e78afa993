"""The adapter's boundaries: simple-salesforce stays inside leadbridge.salesforce, and the
adapter never leans on the sandbox org (it must work against a real one)."""

from __future__ import annotations

import ast
from pathlib import Path

import leadbridge

PACKAGE = Path(leadbridge.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_only_the_adapter_imports_simple_salesforce() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.parent.name != "salesforce"
        and any(name.split(".")[0] == "simple_salesforce" for name in imported_modules(path))
    ]
    assert offenders == []


def test_the_adapter_does_not_import_the_sandbox() -> None:
    for path in (PACKAGE / "salesforce").rglob("*.py"):
        assert not any(name.startswith("leadbridge.sandbox") for name in imported_modules(path))
