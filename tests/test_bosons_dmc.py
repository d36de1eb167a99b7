"""The independent DMC of benchmarks/bosons_dmc.py against closed forms (fast: ~30 s).

* g = 0 with α = 1 and no Jastrow: ψ_T is the exact ground state, E_L ≡ N (2D oscillator)
  at every configuration, and DMC returns exactly N with zero variance.
* Drift and local energy (written out analytically) against jax autodiff of log ψ_T for a
  trial with every parameter switched on.
* N = 2, g = 3: a short DMC run against the exact 2.3119825 (relative motion on a grid,
  tests/test_bosons_exact.py), within 4σ and 2e-3; VMC must not lie below it.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import load_benchmark

dmc_mod = load_benchmark("bosons_dmc")
Trial = dmc_mod.Trial

EXACT_N2_G3 = 2.3119825
# A reasonable N = 2, g = 3 trial (from optimise_trial, rounded); any nodeless ψ_T would do.
TRIAL_N2_G3 = Trial(alpha=0.95, b1=0.54, w1=0.95)


@pytest.mark.parametrize("N", [2, 3, 4])
def test_local_energy_exact_at_g0(N: int) -> None:
    R = 2.0 * jax.random.normal(jax.random.PRNGKey(N), (64, N, 2))
    F, E = jax.jit(dmc_mod.drift_and_local_energy)(R, Trial(), 0.0)
    np.testing.assert_allclose(np.asarray(E), float(N), rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(F), -np.asarray(R), rtol=0, atol=1e-14)


def test_dmc_exact_at_g0() -> None:
    N = 3
    res, series = dmc_mod.dmc(jax.random.PRNGKey(0), Trial(), N, 0.0, dt=0.05, walkers=100,
                              time_total=2.0, time_equilibrate=0.5)
    np.testing.assert_allclose(series, float(N), rtol=0, atol=1e-12)
    assert res.energy == pytest.approx(N, abs=1e-12)
    assert res.error < 1e-12


def test_analytic_derivatives_match_autodiff() -> None:
    N, g = 4, 16.0
    trial = Trial(alpha=0.8, b1=1.3, w1=0.7, b2=-0.4, w2=1.6, beta=0.05, gamma=0.03)
    R = jax.random.normal(jax.random.PRNGKey(1), (6, N, 2))
    F, E = dmc_mod.drift_and_local_energy(R, trial, g)

    def log_psi_flat(x: jax.Array) -> jax.Array:
        return dmc_mod.log_psi(x.reshape(N, 2), trial)

    @jax.jit
    @jax.vmap
    def reference(x: jax.Array) -> tuple[jax.Array, jax.Array]:
        grad = jax.grad(log_psi_flat)(x)
        lap = jnp.trace(jax.hessian(log_psi_flat)(x))
        return grad, -0.5 * (lap + grad @ grad) + dmc_mod.potential(x.reshape(N, 2), g)

    grad, e_ref = reference(R.reshape(R.shape[0], -1))
    np.testing.assert_allclose(np.asarray(F).reshape(grad.shape), np.asarray(grad), atol=1e-12)
    np.testing.assert_allclose(np.asarray(E), np.asarray(e_ref), rtol=0, atol=1e-10)


def test_potential_closed_form() -> None:
    # two particles at distance 0.5 on the x axis, at ±0.25: V = ½·2·0.0625 + g/(π s²) e^{-1}
    R = jnp.array([[[0.25, 0.0], [-0.25, 0.0]]])
    g, s = 3.0, 0.5
    expected = 0.0625 + g / (np.pi * s**2) * np.exp(-1.0)
    assert float(dmc_mod.potential(R, g)[0]) == pytest.approx(expected, rel=1e-14)


def test_comb_branch_keeps_expected_copies() -> None:
    w = jnp.array([0.0, 0.4, 1.6, 2.5, 0.0, 0.5])
    keys = jax.random.split(jax.random.PRNGKey(2), 400)
    source, n = jax.jit(jax.vmap(dmc_mod.comb_branch, in_axes=(0, None)))(keys, w)
    source, n = np.asarray(source), np.asarray(n)
    assert set(n.tolist()) <= {4, 5}  # ⌊5.0 + u⌋
    counts = sum(np.bincount(s[:k], minlength=w.size) for s, k in zip(source, n, strict=True))
    np.testing.assert_allclose(counts / keys.shape[0], np.asarray(w), atol=0.06)
    assert counts[0] == counts[4] == 0


def test_blocking_and_extrapolation() -> None:
    rng = np.random.default_rng(0)
    white = rng.normal(size=4096)
    est = dmc_mod.blocking(white)
    assert est.error == pytest.approx(1 / 64, rel=0.3)
    # AR(1) with φ = 0.9: τ_int = (1 + φ)/(2(1 − φ)) = 9.5 steps
    x = np.zeros(2**15)
    for i in range(1, x.size):
        x[i] = 0.9 * x[i - 1] + rng.normal()
    assert dmc_mod.blocking(x).tau == pytest.approx(9.5, rel=0.35)
    e0, s0, slope, chi2 = dmc_mod.linear_extrapolation([0.04, 0.02, 0.01],
                                                       [1.08, 1.04, 1.02], [0.01] * 3)
    assert (e0, slope, chi2) == pytest.approx((1.0, 2.0, 0.0), abs=1e-12)
    assert s0 == pytest.approx(0.01 * np.sqrt(21 / 14) / 1.0, rel=1e-9)


def test_dmc_n2_g3_matches_exact() -> None:
    key = jax.random.PRNGKey(3)
    E_vmc, _, samples = dmc_mod.vmc(key, TRIAL_N2_G3, 2, 3.0, walkers=200, steps=1000, thin=10)
    assert E_vmc.mean > EXACT_N2_G3 - 3 * E_vmc.error  # variational bound
    res, _ = dmc_mod.dmc(jax.random.fold_in(key, 1), TRIAL_N2_G3, 2, 3.0, dt=0.01,
                         walkers=800, time_total=25.0, start=samples)
    diff = res.energy - EXACT_N2_G3
    assert res.error < 1e-3
    assert abs(diff) < 4 * res.error, (res.energy, res.error)
    assert abs(diff) < 2e-3
    assert res.overflows == 0
