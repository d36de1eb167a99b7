"""`fkdrift.registry`: systems by name, from entry points and from `register`."""

from __future__ import annotations

import jax.numpy as jnp
import pytest

import fkdrift
import potentials
from fkdrift import registry


def test_the_built_ins_are_declared_as_entry_points():
    assert set(potentials.BUILTINS) <= set(registry.names())
    for name, make in potentials.BUILTINS.items():
        assert registry.factory(name) is make


def test_a_registered_system_is_built_by_name(monkeypatch):
    monkeypatch.setattr(registry, "_registered", {})  # this process only

    def well(depth: float = 1.0) -> fkdrift.System:
        return fkdrift.System(potential=lambda r: 0.5 * jnp.sum(r**2) - depth, particles=1,
                              dim=1, name="shifted_oscillator", exact_energy=0.5 - depth,
                              source={"builtin": "shifted_oscillator",
                                      "kwargs": {"depth": depth}})

    registry.register("shifted_oscillator", well)
    assert "shifted_oscillator" in registry.names()
    system = registry.build("shifted_oscillator", depth=2.0)
    assert system.exact_energy == -1.5
    with pytest.raises(fkdrift.FkdriftError, match="no option 'deep'.*did you mean 'depth'"):
        registry.build("shifted_oscillator", deep=2.0)


def test_unknown_names_get_a_suggestion():
    with pytest.raises(fkdrift.FkdriftError, match="unknown potential 'helum'.*'helium'"):
        registry.build("helum")
