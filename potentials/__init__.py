"""Built-in systems with exact reference answers.

Each factory returns a `fkdrift.System` with `exact_energy` (and `exact_density` where
known) attached, and a `source` record so a saved result can rebuild it.
"""

from __future__ import annotations

from collections.abc import Callable

from fkdrift import System, registry

from .atoms import beryllium, h2, helium, hydrogen, lithium
from .bosons import trapped_bosons
from .fermions import quantum_dot, trapped_fermions
from .harmonic import harmonic

# the same table is declared as entry points (group fkdrift.systems) in pyproject.toml
BUILTINS: dict[str, Callable[..., System]] = {
    "harmonic": harmonic,
    "hydrogen": hydrogen,
    "helium": helium,
    "h2": h2,
    "lithium": lithium,
    "beryllium": beryllium,
    "trapped_bosons": trapped_bosons,
    "trapped_fermions": trapped_fermions,
    "quantum_dot": quantum_dot,
}


def names() -> list[str]:
    """Names of the systems known to `fkdrift.registry` (these built-ins and any other
    package's)."""
    return registry.names()


def get(name: str, **kwargs) -> System:
    """Build the system `name` with keyword arguments (e.g. dim=3, omega=2.0)."""
    return registry.build(name, **kwargs)


__all__ = ["BUILTINS", "beryllium", "get", "h2", "harmonic", "helium", "hydrogen",
           "lithium", "names", "quantum_dot", "trapped_bosons",
           "trapped_fermions"]
