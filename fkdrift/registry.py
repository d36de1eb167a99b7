"""Named systems: the one place where `solve("name")`, the CLI and result files look up a
system by name.

Factories are found through the entry-point group `fkdrift.systems`: the project's own
`potentials` package declares its built-ins there (pyproject.toml), and any installed
package can add its own the same way, or at run time with `register`. So the core never
imports `potentials`; `potentials` imports the core.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from importlib.metadata import entry_points

from ._config import did_you_mean
from ._errors import FkdriftError
from ._system import System

GROUP = "fkdrift.systems"
"""Entry-point group of named system factories (name -> callable returning a System)."""

_registered: dict[str, Callable[..., System]] = {}


@functools.cache
def _declared() -> dict[str, object]:
    """Entry points of GROUP by name, not yet loaded."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def register(name: str, factory: Callable[..., System]) -> None:
    """Make `factory` (keyword options -> System) available as `name` in this process."""
    _registered[name] = factory


def names() -> list[str]:
    """Names of the known systems, sorted."""
    return sorted({*_declared(), *_registered})


def factory(name: str) -> Callable[..., System]:
    """The factory registered as `name`; FkdriftError naming the known ones otherwise."""
    if name in _registered:
        return _registered[name]
    if name in _declared():
        return _declared()[name].load()
    known = names()
    if not known:
        raise FkdriftError(f"unknown potential '{name}': no systems are registered "
                           "(install fkdrift with `pip install -e .`)")
    raise FkdriftError(f"unknown potential '{name}'; known: {', '.join(known)} "
                       "(or path/to/file.py:function)" + did_you_mean(name, known))


def build(name: str, **options) -> System:
    """The system `name` built with keyword `options` (e.g. dim=3, omega=2.0); a one-line
    FkdriftError for unknown names and options."""
    make = factory(name)
    accepted = list(inspect.signature(make).parameters)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise FkdriftError(
            f"potential '{name}' has no option '{unknown[0]}' (it takes: "
            f"{', '.join(accepted) or 'none'}){did_you_mean(unknown[0], accepted)}")
    check_option_values(f"potential '{name}'", make, options)
    try:
        return make(**options)
    except (TypeError, ValueError) as exc:
        given = ", ".join(f"{k}={v!r}" for k, v in options.items())
        raise FkdriftError(f"bad options for potential '{name}' ({given}): {exc}") from exc


def check_option_values(owner: str, func: Callable, options: dict) -> None:
    """A one-line FkdriftError naming the first option given as text (e.g. -o omega=abc)
    where `func`'s default for it is a number; `owner` names func in the message."""
    params = inspect.signature(func).parameters
    for key, value in options.items():
        default = params[key].default if key in params else None
        if (isinstance(default, (int, float)) and not isinstance(default, bool)
                and isinstance(value, str)):
            raise FkdriftError(f"option {key}={value!r} of {owner}: {key} needs a number "
                               f"(default {default!r})")
