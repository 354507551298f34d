"""The package's shape: few top-level modules, folders by job, short modules, an import graph without cycles
that is at most seven floors deep (floors counted from every import in the code, in functions too)."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "jazz"
MAX_TOP_MODULES, MIN_SUBPACKAGES, MAX_LINES, MAX_FLOORS = 6, 4, 450, 7


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The package's modules that ``path`` imports (a package's name counts as its __init__)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found |= {n for n in names if n in known and n.startswith("jazz")}
    return found - {module_name(path)}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports_of(path, set(mods)) for name, path in mods.items()}


def floors(edges: dict[str, set[str]]) -> dict[str, int]:
    """Floor of each module: 1 + the highest floor it imports (1 for a module that imports none)."""

    @lru_cache(maxsize=None)
    def floor(name: str, trail: tuple[str, ...] = ()) -> int:
        assert name not in trail, f"import cycle: {' -> '.join((*trail, name))}"
        return 1 + max((floor(d, (*trail, name)) for d in edges[name]), default=0)

    return {name: floor(name) for name in edges}


def test_few_top_level_modules_and_folders_by_job():
    top = [p.name for p in PACKAGE.glob("*.py") if p.name != "__main__.py"]
    folders = [p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()]
    assert len(top) <= MAX_TOP_MODULES, sorted(top)
    assert len(folders) >= MIN_SUBPACKAGES, sorted(folders)


def test_no_module_is_long():
    long = {name: n for name, p in modules().items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long


def test_import_graph_has_no_cycles_and_few_floors():
    levels = floors(graph())
    deepest = max(levels, key=levels.get)
    assert levels[deepest] <= MAX_FLOORS, f"{deepest} stands on floor {levels[deepest]}"


def test_the_floor_counter_sees_cycles_and_depth():
    assert floors({"a": {"b"}, "b": {"c"}, "c": set()}) == {"a": 3, "b": 2, "c": 1}
    try:
        floors({"a": {"b"}, "b": {"a"}})
    except AssertionError as error:
        assert "a -> b -> a" in str(error)
    else:
        raise AssertionError("a cycle went unnoticed")
