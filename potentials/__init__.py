"""Built-in systems with exact reference answers.

Each factory returns a `fkdrift.System` with `exact_energy` (and `exact_density` where
known) attached, and a `source` record so a saved result can rebuild it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from fkdrift.config import did_you_mean
from fkdrift.errors import FkdriftError
from fkdrift.system import System

from .atoms import h2, helium, hydrogen
from .bosons import trapped_bosons
from .harmonic import harmonic

BUILTINS: dict[str, Callable[..., System]] = {
    "harmonic": harmonic,
    "hydrogen": hydrogen,
    "helium": helium,
    "h2": h2,
    "trapped_bosons": trapped_bosons,
}


def names() -> list[str]:
    """Names of the built-in systems."""
    return sorted(BUILTINS)


def get(name: str, **kwargs) -> System:
    """Build the built-in system `name` with keyword arguments (e.g. dim=3, omega=2.0)."""
    if name not in BUILTINS:
        raise FkdriftError(
            f"unknown potential '{name}'; known: {', '.join(names())} (or path/to/file.py:function)"
        )
    accepted = list(inspect.signature(BUILTINS[name]).parameters)
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise FkdriftError(
            f"potential '{name}' has no option '{unknown[0]}' (it takes: "
            f"{', '.join(accepted) or 'none'}){did_you_mean(unknown[0], accepted)}")
    try:
        return BUILTINS[name](**kwargs)
    except (TypeError, ValueError) as exc:
        raise FkdriftError(f"bad options for potential '{name}': {exc}") from exc


__all__ = ["BUILTINS", "get", "h2", "harmonic", "helium", "hydrogen", "names", "trapped_bosons"]
