"""The layout's rules, read from the source: no import cycles, and no reaching across apps.

Every first-party module is parsed (not imported). A module's top-level imports (also in
`if`, `try` and class bodies, since they run on import; not under `if TYPE_CHECKING`, nor
in functions) make the graph that must have no cycle; a second check follows the imports
in functions too. The reach rules count every import: a lazy one reaches just the same.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("accounts", "events", "feeds", "notifications", "tweetups", "xemulator")
APPS = ("accounts", "events", "feeds", "notifications", "xemulator")
PRIVATE_TO_AN_APP = ("views", "templatetags")
URL_ROOT = "tweetups.urls"  # routes to every app's views; that is its job


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def first_party_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts
    }


MODULES = first_party_modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(statements, *, top_level: bool):
    """Import statements in `statements`; with top_level, only those run on import."""
    for node in statements:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if not top_level:
                yield from _imports(node.body, top_level=False)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):  # never runs
            yield from _imports(node.orelse, top_level=True)
        else:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                children = getattr(node, field, None)
                if isinstance(children, list):
                    yield from _imports(children, top_level=top_level)


def _targets(node: ast.Import | ast.ImportFrom, importer: str) -> set[str]:
    """The first-party modules an import statement loads."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:  # relative: from the importer's package, up level - 1 packages
            is_package = MODULES[importer].name == "__init__.py"
            package = importer if is_package else importer.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        # `from a import b` loads a.b when b is a module, else takes a name from a.
        names = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
            for alias in node.names
        ]
    return {name for name in names if name in MODULES}


def import_graph(*, top_level: bool) -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        graph[name] = {
            target
            for node in _imports(tree.body, top_level=top_level)
            for target in _targets(node, name)
            if target != name
        }
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected component of more than one module."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node):  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_a_cycle_in(graph, component) for component in components]


def _a_cycle_in(graph, component: set[str]) -> list[str]:
    """A path from the component's first module back to itself, inside the component."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & component):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    raise AssertionError(f"no cycle in {component}")


def app_of(module: str) -> str:
    return module.split(".")[0]


def test_it_sees_every_package_and_their_imports():
    graph = import_graph(top_level=True)
    assert {app_of(m) for m in graph} == set(PACKAGES)
    assert "notifications.tasks" in graph["notifications.outbox"]
    assert "events.models" in graph["notifications.models"]
    # Only imports that run: not the one in a function, nor one for type checkers.
    assert "notifications.receivers" not in graph["notifications.apps"]
    assert "notifications.receivers" in import_graph(top_level=False)["notifications.apps"]
    assert "xemulator.state" not in import_graph(top_level=False)["xemulator.demo"]


def test_the_cycle_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_level_import_cycles():
    found = cycles(import_graph(top_level=True))
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_no_cycles_through_imports_inside_functions_either():
    # An import moved into a function to dodge a cycle still leaves the two modules each
    # needing the other; a reader can't follow it, and the cycle is back the day someone
    # moves the import up.
    found = cycles(import_graph(top_level=False))
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_no_app_imports_another_apps_views_or_template_tags():
    reaches = [
        f"{importer} imports {target}"
        for importer, targets in import_graph(top_level=False).items()
        if importer != URL_ROOT
        for target in targets
        if app_of(target) != app_of(importer)
        and target.split(".")[1:2] in [[part] for part in PRIVATE_TO_AN_APP]
    ]
    assert not reaches, "\n".join(sorted(reaches))


def test_events_never_imports_notifications():
    # notifications uses events; events tells it what happened through events/signals.py.
    reaches = [
        f"{importer} imports {target}"
        for importer, targets in import_graph(top_level=False).items()
        if app_of(importer) == "events"
        for target in targets
        if app_of(target) == "notifications"
    ]
    assert not reaches, "\n".join(sorted(reaches))
