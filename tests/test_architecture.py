"""The layering rules of docs/architecture.md, checked on the code itself: one place answers
what a status means, no import cycle, no big module without a reason written down."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (ROOT / "procedures", ROOT / "quality")
STATUSES = ("DRAFT", "IN_REVIEW", "APPROVED", "EFFECTIVE", "SUPERSEDED", "WITHDRAWN")
# Where a revision's statuses may be named: the model, the state machine, the read questions.
STATUS_HOMES = (
    "procedures/models/",
    "procedures/workflow/",
    "procedures/selectors.py",
    "quality/models.py",  # a scorecard version's statuses, and its state machine
    "quality/workflow.py",
)
_NAMES = "|".join(STATUSES)
STATUS_LITERAL = re.compile(
    rf"Revision\.Status\b|(?<!_\()[\"'](?:{_NAMES})[\"']|\bS\.(?:{_NAMES})\b"
)
SIZE_LIMIT = 400


def _python_modules() -> dict[str, Path]:
    modules = {}
    for path in (p for package in PACKAGES for p in package.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_no_revision_status_is_spelled_out_outside_its_homes():
    """'Is it in force', 'is it published', 'may it be signed' are answered by selectors.py,
    the model's properties and permissions.py; code elsewhere asks them instead of comparing
    statuses (templates included: `revision.is_draft`, not `revision.status == "DRAFT"`)."""
    files = [p for p in _python_modules().values()] + list((ROOT / "templates").rglob("*.html"))
    found = []
    for path in files:
        where = _relative(path)
        if where.startswith(STATUS_HOMES):
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if STATUS_LITERAL.search(line):
                found.append(f"{where}:{number}: {line.strip()[:100]}")
    assert found == []


def test_the_status_check_finds_what_it_looks_for():
    for line in (
        'revision.status == "DRAFT"',
        "Revision.Status.APPROVED",
        "{% if revision.status == 'SUPERSEDED' %}",
        "x = S.EFFECTIVE",
    ):
        assert STATUS_LITERAL.search(line), line
    for line in (
        'feedback.status == "OPEN"',
        "revision.is_draft",
        "status=ManualBuild.Status.DONE",
        'label = _("SUPERSEDED")',  # words for people, not a status compared
    ):
        assert not STATUS_LITERAL.search(line), line


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Every import between the project's modules, at module level or inside a function."""
    graph = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package
                for _level in range(node.level - 1):
                    base = base.rpartition(".")[0]
                if node.level:
                    target = f"{base}.{node.module}" if node.module else base
                else:
                    target = node.module or ""
                for alias in node.names:
                    candidate = f"{target}.{alias.name}"
                    graph[name].add(candidate if candidate in modules else target)
            elif isinstance(node, ast.Import):
                graph[name].update(alias.name for alias in node.names)
        graph[name] = {t for t in graph[name] if t in modules and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_through_others():
    """No import cycle, not even one broken by an import inside a function."""
    assert _cycles(_imports(_python_modules())) == []


def test_the_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_big_module_says_why_in_the_architecture_page():
    page = (ROOT / "docs" / "architecture.md").read_text()
    big = [
        _relative(path)
        for path in _python_modules().values()
        if len(path.read_text().splitlines()) > SIZE_LIMIT
    ]
    assert [where for where in big if f"`{where}`" not in page] == []
