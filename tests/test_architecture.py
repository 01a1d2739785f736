"""The house rules of the code, read from the code itself: imports run down the layers, no
file over 400 lines, no function over 80, and the command line an index under 300 lines."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "smart_brains"
# bottom to top: a module may import from its own layer and the layers below it
LAYERS = [
    {"__init__", "errors", "paths", "parallel", "devices"},
    {"data"},
    {"growth"},
    {"longitudinal"},
    {"synth"},
    {"models"},
    {"config"},
    {"checkpoint"},
    {"evaluation"},
    {"classification"},
    {"reports"},
    {"inference"},
    {"training"},
    {"workflows"},
    {"commands"},
    {"cli", "__main__"},
]
LEVEL = {name: i for i, layer in enumerate(LAYERS) for name in layer}
FILES = sorted(PACKAGE.rglob("*.py"))


def _top(path: Path) -> str:
    """The layer name of a source file: its package (``data``...) or its module (``cli``)."""
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


def _imported(path: Path, tree: ast.AST) -> set[str]:
    """Top-level smart_brains names that ``path`` imports, relative imports resolved."""
    here = path.relative_to(PACKAGE).parts[:-1]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(here[: len(here) - node.level + 1])
                parts = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "smart_brains":
                parts = node.module.split(".")[1:]
            else:
                continue
            if parts:
                names.add(parts[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("smart_brains."):
                    names.add(alias.name.split(".")[1])
    return names


def test_every_module_has_a_layer():
    assert {_top(f) for f in FILES} <= set(LEVEL), {_top(f) for f in FILES} - set(LEVEL)


def test_imports_run_down_the_layers():
    upward = []
    for path in FILES:
        source = _top(path)
        for target in _imported(path, ast.parse(path.read_text())) - {"__version__"}:
            if target in LEVEL and LEVEL[target] > LEVEL[source]:
                upward.append(f"{path.relative_to(PACKAGE)} imports {target}")
    assert upward == []


def test_the_layer_check_sees_an_upward_import():
    fake = PACKAGE / "evaluation" / "x.py"
    tree = ast.parse(
        "from smart_brains.inference.predict import predict\nfrom ..reports import html"
    )
    assert _imported(fake, tree) == {"inference", "reports"}


def test_small_files_and_functions():
    too_long = []
    for path in FILES:
        text = path.read_text()
        name = str(path.relative_to(PACKAGE))
        limit = 300 if name == "cli.py" else 400
        if len(text.splitlines()) > limit:
            too_long.append(f"{name}: {len(text.splitlines())} lines")
        too_long += [
            f"{name}: {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(ast.parse(text))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > 80
        ]
    assert too_long == []
