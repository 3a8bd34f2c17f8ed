"""The house's layers hold: imports run one way and form no cycle (read with ``ast``, nothing imported).

The rules are ``shared/architecture.md``'s. A module's layer is told by its folder:

    bot/infra/ (and bot/infra/services.py)   Infra     settings, database, models, store, sender
    bot/domain/                              Domain    binding, objections, absences, nudges, queries, importer…
    messages/                                Messages  zh-TW text, Flex and rich-menu words
    handlers/                                Handlers  chat intents and their routing
    scheduler/                               Scheduler reminder rules, sweep, worker
    bot/web/ and bot/__init__ (create_app)   Web
    bot/cli/                                 CLI
    bot/demo/                                Demo      the demo school and the simulator
    bot/console/                             Console   the office's web pages
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "scheduler", "messages")

LAYERS = (  # (module prefix, layer): the longest prefix wins
    ("bot.infra", "infra"), ("bot.domain", "domain"), ("messages", "messages"), ("handlers", "handlers"),
    ("scheduler", "scheduler"), ("bot.web", "web"), ("bot.cli", "cli"), ("bot.demo", "demo"), ("bot.console", "console"),
    ("bot", "web"),
)
NEVER = {  # layer -> layers it must never import (shared/architecture.md, "Never")
    "domain": {"handlers", "scheduler", "cli", "web", "demo", "console"},
    "handlers": {"scheduler", "cli", "web", "demo", "console"},
    "infra": {"domain", "messages", "handlers", "scheduler", "cli", "web", "demo", "console"},
    "messages": {"handlers", "scheduler", "cli", "web", "demo", "console"},
    "scheduler": {"handlers", "cli", "web", "demo", "console"},
    "web": {"cli", "scheduler", "demo"},
    "cli": {"web", "demo", "console"},
    "console": {"handlers", "cli", "web", "demo"},  # the office's pages use the domain (and a dry-run sweep)
}
ALLOWED = {  # the only crossings of a "never", each a whole app launched by name
    ("bot", "bot.demo.simulator"): "create_app mounts the simulator only in local mode (no channel secret)",
    ("bot.cli", "bot.demo"): "`portfolio-bot demo` runs the demo, a whole app of its own",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports (at any depth of the file; ``from pkg import module`` too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            submodules = [f"{base}.{alias.name}" for alias in node.names]
            # `from pkg import module` depends on the module, not on what pkg/__init__ imports
            targets = submodules if all(m in known for m in submodules) else [base, *submodules]
        else:
            continue
        for target in targets:
            while target and target not in known:  # a name inside a module: the module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def layer_of(name: str) -> str | None:
    for prefix, layer in LAYERS:
        if name == prefix or name.startswith(prefix + "."):
            return layer
    return None


MODULES = project_modules()
GRAPH = {name: imports_of(name, path, set(MODULES)) for name, path in MODULES.items()}


def test_the_graph_is_read():
    assert len(MODULES) > 100
    assert "bot.domain.ledger" in GRAPH["scheduler.sweep"]           # `from bot.domain import ledger`
    assert "handlers.routing" in GRAPH["bot.web.dispatch"]
    assert all(layer_of(name) for name in MODULES), [n for n in MODULES if not layer_of(n)]


def test_no_import_cycle():
    """Tarjan's strongly connected components: any with two or more modules is a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(GRAPH[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(GRAPH):
        if name not in index:
            visit(name)
    assert cycles == []


def _is_package_of(importer: str, imported: str) -> bool:
    """A package's __init__ importing its own submodules is not a crossing of layers."""
    return imported.startswith(importer + ".")


def test_imports_run_one_way():
    broken = []
    for name, targets in GRAPH.items():
        mine = layer_of(name)
        for target in targets:
            theirs = layer_of(target)
            if theirs in NEVER.get(mine, set()) and not _is_package_of(name, target):
                if not any(name == a and (target == b or target.startswith(b + ".")) for a, b in ALLOWED):
                    broken.append(f"{name} ({mine}) -> {target} ({theirs})")
    assert broken == []


@pytest.mark.parametrize("rule", [("bot.domain.nudge", "scheduler.sweep"), ("handlers.status", "scheduler.worker"),
                                  ("bot.infra.sender", "bot.domain.people"), ("bot.domain.binding", "bot.cli.codes")])
def test_the_rule_would_catch_a_wrong_import(rule):
    """The check is not vacuous: each of these imports would be reported."""
    importer, imported = rule
    assert layer_of(imported) in NEVER[layer_of(importer)]


def test_only_settings_read_the_environment():
    """One Settings holds every setting: no module but bot.infra.config (and the demo) reads os.environ."""
    readers = sorted(name for name, path in MODULES.items()
                     if ("os.environ" in (text := path.read_text(encoding="utf-8")) or "getenv(" in text)
                     and name not in ("bot.infra.config", "bot.demo"))
    assert readers == []
