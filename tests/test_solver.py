"""End-to-end physics: `fkdrift.solve` against closed-form and independently computed E0."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.linalg import eigh_tridiagonal

import fkdrift
import potentials


def finite_difference_e0(V, L: float = 8.0, n: int = 4000) -> float:
    """Lowest eigenvalue of −½ d²/dx² + V(x) on [−L, L] (Dirichlet), 2nd-order FD."""
    x = np.linspace(-L, L, n)
    h = x[1] - x[0]
    diag = 1.0 / h**2 + V(x)
    off = np.full(n - 1, -0.5 / h**2)
    return float(eigh_tridiagonal(diag, off, select="i", select_range=(0, 0))[0][0])


def assert_close_to_exact(result: fkdrift.Result, exact: float, rel: float,
                          variational_bound: bool = False) -> None:
    """Within `rel` of exact and within 4σ; with `variational_bound` the estimate may lie
    above exact by more (a variational energy is an upper bound) but never below by 3σ."""
    dev = result.energy - exact
    assert abs(dev) <= rel * abs(exact), (result.summary(), dev)
    assert dev >= -3 * result.energy_error, (result.summary(), dev)
    if not variational_bound:
        assert dev <= 4 * result.energy_error, (result.summary(), dev)


@pytest.fixture(scope="module")
def harmonic_1d() -> fkdrift.Result:
    return fkdrift.solve("harmonic", seed=0, config=fkdrift.Config(train_steps=1000))


@pytest.mark.slow  # default settings (a minute): CI runs it with the slow set
def test_harmonic_1d_energy(harmonic_1d):
    assert_close_to_exact(harmonic_1d, 0.5, rel=1e-3)
    assert 0 < harmonic_1d.energy_error < 3e-4


@pytest.mark.slow
def test_harmonic_1d_density(harmonic_1d):
    x = harmonic_1d.samples[:, 0, 0]
    assert len(x) >= 10_000
    assert abs(np.var(x) - 0.5) < 0.02  # exact variance 1/(2ω)
    assert abs(np.mean(x)) < 0.02


@pytest.mark.slow  # a minute: keeps the default suite within its ~10 minutes
def test_harmonic_3d_anisotropic():
    system = potentials.harmonic(dim=3, omegas=[1.0, 1.5, 2.0])
    config = fkdrift.Config(train_steps=1000, eval_time=40.0)
    result = fkdrift.solve(system, seed=1, config=config)
    assert_close_to_exact(result, 2.25, rel=1e-3, variational_bound=True)
    var = result.samples[:, 0, :].var(axis=0)
    np.testing.assert_allclose(var, 0.5 / np.array([1.0, 1.5, 2.0]), rtol=0.06)


@pytest.mark.slow  # long: CI runs it with the slow set
def test_custom_quartic_against_finite_differences():
    system = fkdrift.System(potential=lambda r: jnp.sum(r**4), particles=1, dim=1,
                            name="quartic")
    exact = finite_difference_e0(lambda x: x**4)
    assert abs(exact - 0.667986259) < 1e-4  # the well-known value
    result = fkdrift.solve(system, seed=0, config=fkdrift.Config(train_steps=1000))
    assert_close_to_exact(result, exact, rel=2e-3, variational_bound=True)
