"""The app's imports run one way: views and commands -> domain -> data; the optimizer imports nothing of the app.

Read from the source with `ast` (imports inside functions count too: they must not hide a wrong direction)."""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tourplanner"
TOP = ("tourplanner.views", "tourplanner.commands", "tourplanner.web")  # requests and the command line
DATA = ("tourplanner.models", "tourplanner.extensions", "tourplanner.storage", "tourplanner.config")
ENTRY = ("tourplanner",)  # create_app wires everything together


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: pathlib.Path):
    """(imported module, imported name or None, at module level?) for every tourplanner import in the file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(), str(path))
    top_level = {id(n) for n in tree.body} | {id(n) for stmt in tree.body if isinstance(stmt, (ast.If, ast.Try))
                                              for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("tourplanner"):
                    yield alias.name, None, id(node) in top_level
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if not module.startswith("tourplanner"):
                continue
            for alias in node.names:
                yield module, alias.name, id(node) in top_level


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
EDGES = [(name, *edge) for name, path in sorted(MODULES.items()) for edge in imports_of(path)]


def within(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def target_module(module: str, name: str | None) -> str:
    """`from tourplanner.review import edits` imports the module tourplanner.review.edits."""
    return f"{module}.{name}" if name and f"{module}.{name}" in MODULES else module


def test_the_optimizer_imports_nothing_of_the_app():
    wrong = [(a, b) for a, b, _, _ in EDGES if within(a, ("tourplanner.optimize",))
             and not within(b, ("tourplanner.optimize",))]
    assert wrong == []


def test_the_domain_never_imports_views_or_commands():
    wrong = [(a, target_module(b, n)) for a, b, n, _ in EDGES
             if not within(a, TOP) and a not in ENTRY and within(target_module(b, n), TOP)]
    assert wrong == []


def test_the_data_layer_imports_no_domain_module():
    wrong = [(a, target_module(b, n)) for a, b, n, _ in EDGES if within(a, DATA)
             and not within(target_module(b, n), DATA + ("tourplanner.optimize",))]
    assert wrong == []


def test_no_module_imports_another_modules_private_name():
    wrong = [(a, b, n) for a, b, n, _ in EDGES if n and n.startswith("_") and not n.startswith("__")
             and target_module(b, n) == b]
    assert wrong == []


def test_named_directions_hold():
    """The wrong ways issue 17 found: a domain module hands work up to its caller instead (publishing returns
    the emails and the view queues them; a re-plan starts from jobs or the view)."""
    forbidden = {
        "tourplanner.planning": ("tourplanner.jobs", "tourplanner.feeds", "tourplanner.review"),
        "tourplanner.review": ("tourplanner.jobs", "tourplanner.planning.publishing"),
        "tourplanner.feeds": ("tourplanner.intake", "tourplanner.planning", "tourplanner.jobs"),
        "tourplanner.intake": ("tourplanner.planning", "tourplanner.jobs", "tourplanner.feeds"),
        "tourplanner.maps": ("tourplanner.review", "tourplanner.planning", "tourplanner.models"),
        "tourplanner.geo": ("tourplanner.planning", "tourplanner.review", "tourplanner.intake"),
        "tourplanner.views": (),
    }
    wrong = [(a, target_module(b, n)) for a, b, n, _ in EDGES for src, targets in forbidden.items()
             if within(a, (src,)) and within(target_module(b, n), targets)]
    assert wrong == []


def test_views_do_not_import_each_other():
    """Each area's blueprint stands alone; what two pages share lives in the domain (e.g. links.subscribe_links)."""
    wrong = [(a, target_module(b, n)) for a, b, n, _ in EDGES if within(a, ("tourplanner.views",))
             and a != "tourplanner.views" and within(target_module(b, n), ("tourplanner.views",))]
    assert wrong == []


def test_only_the_command_line_and_the_app_entry_import_inside_functions():
    """An import inside a function once hid a wrong direction (104 of them); the CLI commands keep theirs so the
    web process does not load what only a command needs, and create_app wires the layers together."""
    allowed = ("tourplanner.commands",)
    wrong = [(a, target_module(b, n)) for a, b, n, top in EDGES if not top and not within(a, allowed)
             and a not in ("tourplanner", "tourplanner.jobs")]
    assert wrong == []


def test_no_import_circle_between_modules():
    graph: dict[str, set[str]] = {}
    for a, b, n, _ in EDGES:
        t = target_module(b, n)
        if t != a and not a.startswith(t + ".") and t in MODULES and a != "tourplanner" and t != "tourplanner":
            graph.setdefault(a, set()).add(t)
    circles = []

    def visit(node, stack, on_stack, done):
        stack.append(node); on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt in on_stack:
                circles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in done:
                visit(nxt, stack, on_stack, done)
        stack.pop(); on_stack.discard(node); done.add(node)

    done: set[str] = set()
    for node in sorted(graph):
        if node not in done:
            visit(node, [], set(), done)
    assert circles == []
