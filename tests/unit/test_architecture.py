"""The layout's rules: core/ is pure, storage/ knows no bot, flows write only their dialogs.

And no package has an import cycle, not even through imports made for type checking only.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "core"

FORBIDDEN_MODULES = frozenset(
    {
        "telegram",
        "fastapi",
        "starlette",
        "sqlalchemy",
        "alembic",
        "jinja2",
        "aiohttp",
        "httpx",
        "uvicorn",
        "bot",
        "storage",
    }
)
# Reads of the clock or the environment: core gets "now" and settings passed in.
FORBIDDEN_CALLS = frozenset(
    {
        "os.environ",
        "os.getenv",
        "time.time",
        "time.time_ns",
        "datetime.now",
        "datetime.utcnow",
        "datetime.today",
        "date.today",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.date.today",
    }
)


def _absolute(node: ast.ImportFrom, package: str) -> list[str]:
    """Name the modules an ``import from`` reaches, resolving relative imports."""
    if node.level == 0:
        return [node.module or ""]
    parts = package.split(".")
    base = parts[: len(parts) - node.level + 1]
    if node.module:
        return [".".join([*base, node.module])]
    return [".".join([*base, alias.name]) for alias in node.names]


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        owner = _dotted(node.value)
        return f"{owner}.{node.attr}" if owner else None
    return None


def _imported_modules(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return _absolute(node, package)


def _imported_names(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    """Name what ``from m import a`` binds as "m.a", to catch ``from os import environ``."""
    if isinstance(node, ast.ImportFrom) and node.module:
        module = _absolute(node, package)[0]
        return [f"{module}.{alias.name}" for alias in node.names]
    return []


def find_violations(source: str, filename: str, package: str) -> list[str]:
    """Return "file:line: reason" for each forbidden import or clock/environment read."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            where = f"{filename}:{node.lineno}"
            found += [
                f"{where}: imports {module}"
                for module in _imported_modules(node, package)
                if module.split(".")[0] in FORBIDDEN_MODULES
            ]
            found += [
                f"{where}: imports {name}"
                for name in _imported_names(node, package)
                if name in FORBIDDEN_CALLS
            ]
        elif isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            if dotted in FORBIDDEN_CALLS:
                found.append(f"{filename}:{node.lineno}: reads {dotted}")
    return found


def _core_files() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def test_core_imports_no_edge_or_framework_and_reads_no_clock() -> None:
    violations: list[str] = []
    for path in _core_files():
        relative = path.relative_to(CORE.parent)
        package = ".".join(relative.parent.parts)
        violations += find_violations(path.read_text(encoding="utf-8"), str(relative), package)
    assert violations == [], "core/ must stay pure:\n" + "\n".join(violations)


def test_the_walk_sees_the_core_modules() -> None:
    names = {p.name for p in _core_files()}
    assert {"text.py", "codes.py", "dates.py", "phones.py", "matching.py"} <= names


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import telegram", "core/x.py:1: imports telegram"),
        ("import os\nimport sqlalchemy.orm", "core/x.py:2: imports sqlalchemy.orm"),
        ("from fastapi import Depends", "core/x.py:1: imports fastapi"),
        ("from jinja2.sandbox import X", "core/x.py:1: imports jinja2.sandbox"),
        ("import httpx as h", "core/x.py:1: imports httpx"),
        ("from bot.handlers import start", "core/x.py:1: imports bot.handlers"),
        ("from .. import storage", "core/x.py:1: imports storage"),
        ("from ..storage.rows import Row", "core/x.py:1: imports storage.rows"),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from telegram import Update",
            "core/x.py:3: imports telegram",
        ),
        ("def f():\n    import uvicorn", "core/x.py:2: imports uvicorn"),
        ("import os\nX = os.environ['TOKEN']", "core/x.py:2: reads os.environ"),
        ("import os\nX = os.getenv('TOKEN')", "core/x.py:2: reads os.getenv"),
        ("from os import environ", "core/x.py:1: imports os.environ"),
        ("import time\nT = time.time()", "core/x.py:2: reads time.time"),
        ("from datetime import datetime\nN = datetime.now()", "core/x.py:2: reads datetime.now"),
        ("import datetime\nD = datetime.date.today()", "core/x.py:2: reads datetime.date.today"),
    ],
)
def test_checker_reports_forbidden_import_with_file_and_line(source: str, expected: str) -> None:
    assert expected in find_violations(source, "core/x.py", "core")


@pytest.mark.parametrize(
    "source",
    [
        "import botocore",
        "import telegramish",
        "from core.text import fold",
        "from . import text",
        "from .errors import DomainError",
        "from datetime import date, datetime, timedelta",
        "from rapidfuzz import fuzz, process",
        "import os.path",
        "def now(today): return today.replace(day=1)",
        "storage = {}\nbot = storage.get('bot')",
    ],
)
def test_checker_allows_pure_imports(source: str) -> None:
    assert find_violations(source, "core/x.py", "core") == []


# The edges ------------------------------------------------------------------------------

ROOT = CORE.parent
# The one store a flow writes itself: its dialog state. Everything else goes through core.
FLOW_STORES = frozenset({"dialogs"})


def _modules(folder: str) -> dict[str, ast.Module]:
    """Parse every module under ``folder``, keyed by its dotted name."""
    parsed = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        relative = path.relative_to(ROOT).with_suffix("")
        name = ".".join(relative.parts[:-1] if relative.name == "__init__" else relative.parts)
        parsed[name] = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return parsed


def _imports(module: ast.Module, package: str) -> set[str]:
    """Name every module a module imports: at the top, in a function, or for type checking.

    ``if TYPE_CHECKING:`` hides an import from the interpreter, not from the reader: the two
    modules still depend on each other, so it counts like any other.
    """
    found: set[str] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.update(_imported_modules(node, package))
            if isinstance(node, ast.ImportFrom) and node.module:
                base = _absolute(node, package)[0]
                found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def import_cycles(modules: dict[str, ast.Module]) -> list[list[str]]:
    """Return the import cycles among ``modules`` (each once, as the modules it passes)."""
    graph = {
        name: sorted(
            target
            for target in _imports(tree, name.rpartition(".")[0] or name)
            if target in modules and target != name
        )
        for name, tree in modules.items()
    }
    cycles: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        path.append(name)
        for target in graph[name]:
            if state.get(target) == 1:
                cycle = path[path.index(target) :]
                if frozenset(cycle) not in seen:
                    seen.add(frozenset(cycle))
                    cycles.append(cycle)
            elif target not in state:
                visit(target)
        path.pop()
        state[name] = 2

    for name in graph:
        if name not in state:
            visit(name)
    return cycles


def test_storage_imports_nothing_of_the_bot() -> None:
    imports = {
        name: sorted(m for m in _imports(tree, name) if m.split(".")[0] == "bot")
        for name, tree in _modules("storage").items()
    }
    assert {name: found for name, found in imports.items() if found} == {}


def test_handlers_and_conversations_write_only_their_dialogs() -> None:
    calls = []
    for folder in ("bot/handlers", "bot/conversations"):
        for name, tree in _modules(folder).items():
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                dotted = _dotted(node.func) or ""
                parts = dotted.split(".")
                if "uow" in parts[:-2] and parts[parts.index("uow") + 1] not in FLOW_STORES:
                    calls.append(f"{name}:{node.lineno}: {dotted}")
    assert calls == [], "a rule or a read of the store belongs in a core service:\n" + "\n".join(
        calls
    )


@pytest.mark.parametrize("folder", ["bot", "core", "storage"])
def test_no_import_cycle(folder: str) -> None:
    assert import_cycles(_modules(folder)) == []


def test_the_cycle_finder_finds_a_cycle_through_three_modules() -> None:
    modules = {
        "p.a": ast.parse("from p.b import x"),
        "p.b": ast.parse("import p.c"),
        "p.c": ast.parse("from typing import TYPE_CHECKING\nfrom p import a"),
        "p.d": ast.parse(
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from p.a import y"
        ),
    }
    assert import_cycles(modules) == [["p.a", "p.b", "p.c"]]


def test_the_cycle_finder_counts_imports_for_type_checking_and_in_functions() -> None:
    modules = {
        "p.a": ast.parse("import p.b\nimport p.c"),
        "p.b": ast.parse(
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from p.a import y"
        ),
        "p.c": ast.parse("def f():\n    from p.a import z"),
    }
    assert import_cycles(modules) == [["p.a", "p.b"], ["p.a", "p.c"]]


def test_the_bot_starts_without_the_libraries_of_files_it_seldom_makes() -> None:
    """Papers, workbooks and charts import their libraries when first made (RSS, start time).

    A fresh interpreter imports what ``ntvt serve`` and ``ntvt run`` import at start.
    """
    seldom = ("fpdf", "docx", "openpyxl", "matplotlib")
    probe = (
        "import sys, bot.cli, bot.app, bot.webhook, bot.conversations.papers, "
        "bot.conversations.report, bot.desk.routes\n"
        f"print(','.join(m for m in {seldom!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""
