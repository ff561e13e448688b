"""The shape of the code: core ← ingest ← bot, no import cycle, frameworks only in the doors, no oversized file.

`integrations/` sits beside the doors: it adapts the core to other frameworks (LangChain) and imports only the core;
LangChain is imported there and nowhere else, so the answer path never loads it.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("advisor", "ingest", "integrations", "bot")
# framework: the one package that may import it (langchain stands for langchain_core and every partner package too)
FRAMEWORKS = {"telegram": "bot", "fastapi": "bot", "starlette": "bot", "uvicorn": "bot", "langchain": "integrations"}
ALLOWED = {"advisor": {"advisor"}, "ingest": {"advisor", "ingest"}, "integrations": {"advisor", "integrations"},
           "bot": {"advisor", "ingest", "integrations", "bot"}}
MAX_LINES = 500


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every module `name` imports, at any depth of its code (lazy imports count too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            for alias in node.names:  # `from . import chroma` imports a module
                if f"{target}.{alias.name}" in known:
                    found.add(f"{target}.{alias.name}")
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_dependencies_point_one_way():
    wrong = []
    for name, targets in graph().items():
        own = name.split(".")[0]
        for target in targets:
            top = target.split(".")[0]
            if top in PACKAGES and top not in ALLOWED[own]:
                wrong.append(f"{name} imports {target}")
            if top.startswith("langchain_"):
                top = "langchain"
            if top in FRAMEWORKS and own != FRAMEWORKS[top]:
                wrong.append(f"{name} imports the framework {target}")
    assert not wrong, wrong


def test_no_import_cycle():
    edges = graph()
    known = set(edges)
    state: dict[str, int] = {}  # 1 visiting, 2 done
    cycles = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for target in sorted(t for t in edges[name] if t in known and t != name):
            if state.get(target) == 1:
                cycles.append(trail[trail.index(target):] + [target] if target in trail else [name, target])
            elif target not in state:
                visit(target, trail + [target])
        state[name] = 2

    for name in sorted(known):
        if name not in state:
            visit(name, [name])
    assert not cycles, cycles


def test_no_product_file_is_oversized():
    big = {str(path.relative_to(ROOT)): n for path in modules().values()
           if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not big, big


def private_imports(path: Path, root: Path = ROOT) -> list[str]:
    """`from advisor… import _name` (and `import advisor._module`) in a file: reaching past the core's public seam."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == "advisor":
            module_parts = (node.module or "").split(".")
            names = [a.name for a in node.names]
            if any(p.startswith("_") for p in module_parts) or any(n.startswith("_") for n in names):
                found.append(f"{path.relative_to(root)}:{node.lineno} from {node.module} import {', '.join(names)}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "advisor" and any(p.startswith("_") for p in parts):
                    found.append(f"{path.relative_to(root)}:{node.lineno} import {alias.name}")
    return found


def outside_the_core() -> list[Path]:
    folders = [p for p in (*PACKAGES, "bench", "tests") if p != "advisor"]
    return [path for folder in folders for path in sorted((ROOT / folder).rglob("*.py"))]


def test_nothing_outside_the_core_imports_its_private_names():
    wrong = [line for path in outside_the_core() for line in private_imports(path)]
    assert not wrong, wrong


def test_the_private_import_check_sees_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from advisor.retrieve import Retriever, _calibrate\nimport advisor.embeddings._hidden\n"
                      "from advisor.decision import evidence\nfrom .x import _fine\n", encoding="utf-8")
    assert [line.split(" ", 1)[1] for line in private_imports(sample, tmp_path)] == [
        "from advisor.retrieve import Retriever, _calibrate", "import advisor.embeddings._hidden"]


def test_bench_never_imports_the_tests():
    known = {"tests"}
    wrong = [f"{path.relative_to(ROOT)}: {target}" for path in sorted((ROOT / "bench").glob("*.py"))
             for target in imports(f"bench.{path.stem}", path, {}) if target.split(".")[0] in known]
    assert not wrong, wrong
