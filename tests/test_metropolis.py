"""Metropolis-adjusted moves (`fkdrift._metropolis`): exact |ψ|² sampling at a finite
step, and guided DMC weights against the harmonic oscillator's closed forms."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fkdrift._config import ReweightingConfig, StoppingConfig
from fkdrift._evaluation import TrialFunction
from fkdrift._metropolis import (
    clipped_energy,
    gradient_walkers,
    langevin_moves,
    make_guided_dmc_chunk,
)
from fkdrift._reweighting import reweighted_energy


def gaussian_log_psi(params, r):
    """log ψ = −a|r|²/2 for r: (W, particles, dim); params: {"a": a}."""
    return -0.5 * params["a"] * jnp.sum(r**2, axis=(-2, -1))


def harmonic(r):
    return 0.5 * jnp.sum(r**2)


def test_langevin_moves_sample_psi_squared_exactly_at_a_coarse_step():
    """|ψ|² = exp(−a x²) has variance 1/(2a) at any step; the unadjusted Euler chain at
    dt = 0.5 has the stationary variance 1/(a(2 − a dt)) instead (0.667 for a = 1)."""
    a, dt = 1.0, 0.5
    r = jax.random.normal(jax.random.PRNGKey(0), (4096, 1, 1))
    walkers = gradient_walkers(lambda x: gaussian_log_psi({"a": a}, x), r)
    walkers, accepted = langevin_moves(lambda x: gaussian_log_psi({"a": a}, x), walkers,
                                       jax.random.PRNGKey(1), dt=dt, n_steps=200)
    variance = float(jnp.var(walkers.r))
    error = np.sqrt(2 / 4096) * 0.5  # standard error of a Gaussian variance
    assert abs(variance - 1 / (2 * a)) < 4 * error
    assert abs(variance - 1 / (a * (2 - a * dt))) > 10 * error
    assert 0.5 < float(accepted) < 1.0


def run_population(a: float, dts=(0.08, 0.04, 0.02), time=24.0, walkers=512):
    params = {"a": jnp.asarray(a)}
    chunk = make_guided_dmc_chunk(gaussian_log_psi, harmonic, dts, 0.08)
    start = jax.random.normal(jax.random.PRNGKey(2), (walkers, 1, 1)) / np.sqrt(2 * a)
    start = jnp.broadcast_to(start, (len(dts), walkers, 1, 1))
    return reweighted_energy(chunk, params, start, jax.random.PRNGKey(3),
                             TrialFunction(gaussian_log_psi, params), dts=dts,
                             burn_in_time=1.0, config=ReweightingConfig(reweighted_time=time),
                             stopping=StoppingConfig(), order=1)


def test_the_exact_guide_gives_the_exact_energy_at_every_step():
    """With ψ = φ0 the local energy is E0 everywhere, so each Metropolis-adjusted step's
    weight is exp(−E0 dt) exactly and every chain's growth is E0 = 1/2 (no time-step
    error, no variance), whatever dt."""
    rw = run_population(1.0, time=4.0)
    np.testing.assert_allclose(rw.energies, 0.5, atol=1e-12)
    assert rw.extrapolation.energy == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("a", [0.7, 1.4], ids=["wide-guide", "narrow-guide"])
def test_an_imperfect_guide_gives_the_exact_energy_within_its_bar(a):
    """A Gaussian guide of the wrong width (variational energy (a + 1/a)/4: 0.532 and
    0.529) guides populations whose linear dt → 0 fit covers E0 = 1/2, and whose
    coarsest step is already within 2 mHa of it."""
    rw = run_population(a)
    x = rw.extrapolation
    assert abs(x.energy - 0.5) < 3.5 * x.error and x.error < 3e-3
    assert abs(rw.energies[0] - 0.5) < 2e-3 + 3 * rw.errors[0]
    assert (a + 1 / a) / 4 - 0.5 > 10 * x.error  # far from the guide's own energy


def test_clipped_energy_keeps_e_local_inside_the_cutoff_and_clips_outside():
    """E_ref ± 0.2√(N/dt): 3 particles at dt = 0.03 give a cutoff of exactly 2."""
    e_local = jnp.array([-7.0, -4.1, -2.2, 1.0, -5.0])
    out = np.asarray(clipped_energy(e_local, jnp.asarray(-3.0), 3, 0.03))
    np.testing.assert_allclose(out, [-5.0, -4.1, -2.2, -1.0, -5.0], atol=1e-12)
