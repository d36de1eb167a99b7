"""The package's import graph: one way, leaves -> numerics -> shell, no cycle, and the core
never imports the `potentials` package (it finds systems through `fkdrift.registry`)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "fkdrift"

LAYERS = {
    "leaf": {"_version", "_anytime", "_brownian", "_compile_cache", "_config", "_core",
             "_diagnostics", "_distributed", "_errors", "_memory",
             "_estimate", "_files", "_geometry", "_networks", "_progress", "_sharding",
             "_statistics", "_system"},
    "numerics": {"_control_variates", "_determinant", "_drift", "_evaluation", "_guide",
                 "_local_energy", "_metropolis",
                 "_observables", "_reweighting", "_sde", "_training", "_trial"},
    "shell": {"__init__", "_checkpoint", "_cli", "_hdf5", "_plots", "registry", "_result",
              "_solver", "_user_potential", "lowlevel"},
}
PUBLIC = {"__init__", "registry", "lowlevel"}
"""The modules users and benchmarks import; every other module is private (`_name`)."""
RANK = {module: rank for rank, layer in enumerate(LAYERS.values()) for module in layer}
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py"))


def imports_of(path: Path) -> set[str]:
    """Modules of fkdrift (by stem) and foreign top-level packages of interest that `path`
    imports anywhere in its body, function-level imports included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= ({node.module.split(".")[0]} if node.module
                      else {alias.name for alias in node.names})
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= _absolute(node.module)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                found |= _absolute(alias.name)
    return found


def _absolute(name: str) -> set[str]:
    parts = name.split(".")
    if parts[0] == "potentials":
        return {"potentials"}
    if parts[0] == "fkdrift":
        return {parts[1] if len(parts) > 1 else "__init__"}
    return set()


GRAPH = {m: imports_of(PACKAGE / f"{m}.py") for m in MODULES}


def test_every_module_has_a_layer():
    assert set(MODULES) == set(RANK), set(MODULES) ^ set(RANK)


def test_the_import_graph_has_no_cycle():
    try:
        list(TopologicalSorter(GRAPH).static_order())
    except CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


@pytest.mark.parametrize("module", MODULES)
def test_imports_point_down_the_layers(module):
    assert "potentials" not in GRAPH[module], "the core must not import potentials"
    upward = [d for d in GRAPH[module] if RANK[d] > RANK[module]]
    assert not upward, f"{module} ({_layer(module)}) imports {upward} from a higher layer"
    if module != "__init__":
        assert "__init__" not in GRAPH[module], f"{module} imports the facade"


def _layer(module: str) -> str:
    return next(name for name, members in LAYERS.items() if module in members)


ISOLATED_IMPORT = """
import importlib, json, sys, types
from pathlib import Path
package = Path(sys.argv[1])
loaded = {}
for module in json.loads(sys.argv[2]):
    for name in [n for n in sys.modules if n == "fkdrift" or n.startswith("fkdrift.")]:
        del sys.modules[name]
    stub = types.ModuleType("fkdrift")   # the package without its facade
    stub.__path__ = [str(package)]
    sys.modules["fkdrift"] = stub
    importlib.import_module("fkdrift." + module)
    loaded[module] = sorted(n[8:] for n in sys.modules if n.startswith("fkdrift."))
print(json.dumps(loaded))
"""


def test_each_module_imports_in_isolation():
    """Each module imports with only what it names itself loaded first (no facade), and
    loads no module of a higher layer along the way."""
    modules = [m for m in MODULES if m != "__init__"]
    out = subprocess.run([sys.executable, "-c", ISOLATED_IMPORT, str(PACKAGE),
                          json.dumps(modules)], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    for module in modules:
        higher = [m for m in loaded[module] if RANK[m] > RANK[module]]
        assert not higher, f"importing {module} loads {higher}"


def test_implementation_modules_are_private():
    assert {m for m in MODULES if not m.startswith("_")} == PUBLIC - {"__init__"}


OUTSIDE = sorted((PACKAGE.parent / "benchmarks").glob("*.py")) + sorted(
    (PACKAGE.parent / "potentials").glob("*.py"))


@pytest.mark.parametrize("path", OUTSIDE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_benchmarks_and_potentials_use_the_public_namespaces(path):
    """Outside the package only the facade, `fkdrift.registry` and `fkdrift.lowlevel` are
    imported; a private module there would be an undocumented dependency."""
    private = sorted(m for m in imports_of(path) if m.startswith("_") and m != "__init__")
    assert not private, f"{path.name} imports private modules {private}"


def test_lowlevel_names_resolve_and_are_documented():
    import fkdrift.lowlevel as lowlevel

    for name in lowlevel.__all__:
        assert getattr(lowlevel, name) is not None
        assert f"`{name}" in lowlevel.__doc__, f"{name} is not described in the docstring"
