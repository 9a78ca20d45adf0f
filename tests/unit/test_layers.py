"""The layers as README's "Layout" draws them, held by reading the imports (issue 13).

bot/ -> dialogs/ -> storage/ and cards/; storage/ and cards/ import nothing of ours above
them; and no module imports another's private name (a leading underscore), which is how a
layer starts leaning on what another keeps to itself.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "dialogs", "storage", "cards")
# What each package may import of ours.
ALLOWED = {
    "bot": {"bot", "dialogs", "storage", "cards"},
    "dialogs": {"dialogs", "storage", "cards"},
    "storage": {"storage"},
    "cards": {"cards"},
}


def modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "node_modules" in path.parts or "migrations" in path.parts:
                continue
            yield package, path


def imports(path: Path) -> Iterator[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for each import of ours."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [a.name for a in node.names], node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno


@pytest.mark.parametrize("package", PACKAGES)
def test_each_layer_imports_only_what_is_below_it(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for pkg, path in modules()
        if pkg == package
        for module, _, line in imports(path)
        if module.split(".")[0] in PACKAGES and module.split(".")[0] not in ALLOWED[package]
    ]
    assert wrong == []


def test_no_module_imports_another_modules_private_name() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} takes {name} from {module}"
        for _, path in modules()
        for module, names, line in imports(path)
        if module.split(".")[0] in PACKAGES
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert wrong == []
