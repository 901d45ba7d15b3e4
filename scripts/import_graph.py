"""The import graph of voicebot/: circles (package and module level) and arrows that run up the layers.

Run from the repository root: python scripts/import_graph.py. Imports made inside functions count too:
moving an import into a function hides a circle from Python, not from the design.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "voicebot"

# Bottom to top; a module may import its own layer or any layer below it. "commands" stands for every
# CLI subcommand module (``*/commands.py``, ``*_commands.py``): the CLI loads them by name, and they wire
# a package's work to the layers above it (a campaign worker to the voice loop), so they sit on top.
LAYERS: list[set[str]] = [
    {"errors", "logs", "locales", "masking", "pii", "zh_numerals", "audio", "config", "secret_fields",
     "onnx_quiet", "engine_registry", "call_events", "dial_identity", "calling_hours", "places",
     "capacity_rating"},
    {"transport", "media", "asr", "tts", "emotion", "store", "recording"},
    {"dialogue.nlu"},  # intents and embeddings: the dialogue's engine, knows no dialplan runtime
    {"dialogue"},
    # Campaign rules sit below the conversation core: a call session applies the compliance gate and writes
    # opt-outs, while campaign workers reach calls only through the Dialer protocol (voicebot.server.dialer).
    {"campaign"},
    {"session"},
    {"sip", "callee"},
    {"supervisor"},
    {"server", "ops", "cli", "__main__", "demo", "commands"},
]
# Subpackages that count as packages of their own (the NLU sits under dialogue but below it).
OWN_PACKAGES = ("dialogue.nlu",)


def module_names(root: Path = ROOT) -> dict[str, Path]:
    """Every module under voicebot/, by dotted name (a package by its own name)."""
    names: dict[str, Path] = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def _imported(node: ast.AST, module: str, is_package: bool, modules: dict[str, Path]) -> list[str]:
    """The voicebot modules one import statement names."""
    found: list[str] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] == PACKAGE:
                found.append(alias.name)
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        if source.split(".")[0] != PACKAGE:
            return found
        for alias in node.names:
            sub = f"{source}.{alias.name}"
            found.append(sub if sub in modules else source)
    return [name for name in found if name in modules]


def module_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module → the voicebot modules it imports, at top level or inside functions."""
    modules = module_names(root)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            for target in _imported(node, name, is_package, modules):
                if target != name:
                    graph[name].add(target)
    return graph


def package_of(module: str) -> str:
    """session.listener → session; asr.commands → commands; dialogue.nlu.oos → dialogue.nlu; errors → errors."""
    rest = module.split(".")[1:]
    if not rest:
        return PACKAGE
    if rest[-1] == "commands" or rest[-1].endswith("_commands"):
        return "commands"
    for own in OWN_PACKAGES:
        own_parts = own.split(".")
        if rest[: len(own_parts)] == own_parts:
            return own
    return rest[0]


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = defaultdict(set)
    for source, targets in graph.items():
        packages[package_of(source)]
        for target in targets:
            if package_of(target) != package_of(source):
                packages[package_of(source)].add(package_of(target))
    return dict(packages)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def layer_of(package: str) -> int | None:
    for level, members in enumerate(LAYERS):
        if package in members:
            return level
    return None


def back_arrows(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(importer, imported) module pairs where the importer sits on a lower layer than what it imports."""
    arrows: list[tuple[str, str]] = []
    for source, targets in graph.items():
        source_layer = layer_of(package_of(source))
        for target in targets:
            target_layer = layer_of(package_of(target))
            if source_layer is None or target_layer is None:
                continue
            if target_layer > source_layer:
                arrows.append((source, target))
    return sorted(arrows)


def unplaced_packages(graph: dict[str, set[str]]) -> list[str]:
    """Packages LAYERS does not place (a new package must be given a floor)."""
    return sorted({package_of(m) for m in graph} - {PACKAGE} - set().union(*LAYERS))


def main() -> int:
    graph = module_graph()
    package_circles = circles(package_graph(graph))
    module_circles = circles(graph)
    arrows = back_arrows(graph)
    print(f"package circles: {len(package_circles)}")
    for circle in package_circles:
        print("  " + " ↔ ".join(circle))
    print(f"module circles: {len(module_circles)}")
    for circle in module_circles:
        print("  " + " ↔ ".join(name.removeprefix(PACKAGE + ".") for name in circle))
    print(f"back arrows: {len(arrows)}")
    for source, target in arrows:
        print(f"  {source} → {target}")
    unplaced = unplaced_packages(graph)
    if unplaced:
        print(f"not placed in LAYERS: {', '.join(unplaced)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
