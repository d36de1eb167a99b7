"""Fast checks of the user-potential catalogue in benchmarks/shapes.py (the slow accuracy
runs are tests/test_shapes.py): every V is a valid user potential and every finite-
difference reference is converged in grid and box."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest
from conftest import load_benchmark

import fkdrift

CATALOGUE = load_benchmark("shapes").CATALOGUE


def test_catalogue_covers_the_issue():
    dims = {shape.dim for shape in CATALOGUE.values()}
    assert 4 <= len(CATALOGUE) <= 5 and {1, 2} <= dims


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_potential_traces_and_is_finite(name):
    shape = CATALOGUE[name]
    walkers = 2.0 * jax.random.normal(jax.random.PRNGKey(0), (256, 1, shape.dim))
    system = fkdrift.System(potential=shape.potential, particles=1, dim=shape.dim, name=name)
    system.check_potential(walkers)  # raises FkdriftError unless it traces, is scalar, finite
    grads = jax.jit(jax.vmap(jax.grad(shape.potential)))(walkers)
    assert bool(jnp.all(jnp.isfinite(grads)))


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_reference_is_converged(name):
    """The reference agrees with one in a wider box (same points, so a coarser grid) to
    1e-6 relative (the accuracy bar is 1e-3, typical error bars 1e-4), and its own
    discretisation estimate is below that too."""
    shape = CATALOGUE[name]
    ref = shape.reference()
    wider = shape.reference(half_width=shape.half_width + 0.5)
    assert abs(ref.energy - wider.energy) < 1e-6 * abs(ref.energy), (ref, wider)
    assert ref.error < 1e-6 * abs(ref.energy), ref
    assert shape.system().exact_energy == ref.energy
