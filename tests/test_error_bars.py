"""Coverage of the reported error bars, end to end, on systems with known answers.

The estimators run exactly as `solve` runs them, on fixed drifts (no training noise):

* `harmonic`: V = x²/2 with the under-trained drift v = −1.4x, and `quartic`: V = x⁴ with
  v = −1.5x. For an Ornstein–Uhlenbeck drift v = −a x the stationary law is N(0, 1/(2a)),
  so the variational (dt → 0) energy is E[a²x²/2 + V] in closed form: (a² + 1)/(4a) and
  a/4 + 3/(4a²). E0 is 1/2 and 0.667986259 (finite differences, tests/test_solver.py).
  Over 24 seeds each, the pulls (estimate − exact)/error of both estimators must look
  unit normal: a 1σ bias or bars 25% too small fail.
* A slow-mixing tilted double well, started from copies of a few walkers: the copies of a
  start stay in its well for the whole run, so only whole replicas are independent.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import ou_chunks

import fkdrift
import potentials
from fkdrift._evaluation import evaluate, make_evaluation_chunk
from fkdrift._reweighting import reweighted_energy
from fkdrift._solver import control_basis, replicate

QUARTIC_E0 = 0.667986259
SEEDS = range(24)
CASES = {
    # name: (system, a, variational energy of v = −a x, E0)
    "harmonic": (lambda: potentials.harmonic(dim=1), 1.4, (1.4**2 + 1) / (4 * 1.4), 0.5),
    "quartic": (lambda: fkdrift.System(potential=lambda r: jnp.sum(r**4), name="quartic"),
                1.5, 1.5 / 4 + 3 / (4 * 1.5**2), QUARTIC_E0),
}


def ou_runs(name: str, seeds=SEEDS, walkers: int = 256, eval_time: float = 8.0,
            reweighted_time: float = 30.0) -> np.ndarray:
    """(seeds, 4): variational and reweighted dt → 0 estimates and errors, minus exact."""
    make_system, a, variational, e0 = CASES[name]
    system = make_system()
    # a gradient drift: the reweighted stage is guided by its log ψ, as in solve
    config = fkdrift.Config(eval_walkers=walkers, eval_time=eval_time, burn_in_time=2.0,
                            reweighted_time=reweighted_time,
                            drift_form="gradient").for_system(system)
    params, chunk, rw_chunk, boundary = ou_chunks(system, a, config)
    out = []
    for seed in seeds:
        k_start, k_var, k_rw = jax.random.split(jax.random.PRNGKey(1000 + seed), 3)
        start = jax.random.normal(k_start, (walkers, 1, 1)) / np.sqrt(2 * a)
        ev = evaluate(chunk, params, start, k_var, config.evaluation, config.stopping,
                      control_basis(system))
        rw = reweighted_energy(rw_chunk, params, jnp.asarray(ev.walkers), k_rw,
                               boundary or ev.log_trial, dts=config.eval_dts,
                               burn_in_time=config.burn_in_time, config=config.reweighting,
                               stopping=config.stopping)
        x, y = ev.extrapolation, rw.extrapolation
        out.append((x.energy - variational, x.error, y.energy - e0, y.error))
    return np.asarray(out)


@pytest.fixture(scope="module")
def pulls() -> dict[str, np.ndarray]:
    """{"variational": (48,), "reweighted": (48,)} pulls over both systems."""
    runs = np.concatenate([ou_runs(name) for name in CASES])
    return {"variational": runs[:, 0] / runs[:, 1], "reweighted": runs[:, 2] / runs[:, 3]}


@pytest.mark.slow  # long: CI runs it with the slow set
@pytest.mark.parametrize("estimator", ["variational", "reweighted"])
def test_error_bars_cover_the_exact_value(pulls, estimator):
    z = pulls[estimator]
    # binomial(48, 0.68): 32.6 ± 3.2 within 1σ; (48, 0.954): 45.8 ± 1.4 within 2σ
    assert 24 <= np.sum(np.abs(z) < 1) <= 42, z
    assert np.sum(np.abs(z) < 2) >= 41, z
    assert abs(np.median(z)) < 0.4, np.median(z)  # a 1σ bias fails
    # robust width (one 4σ outlier in 48 must not decide): 1 for honest bars, 1.25 for
    # bars 25% too small, 0.8 for bars 25% too large
    width = 1.4826 * np.median(np.abs(z))
    assert 0.8 < width < 1.2, width


# --- replicas: a slow-mixing double well started from copies of a few walkers ------------

B_WELL, C_WELL, TILT = 0.5, 1.5, 0.3


def log_psi(x):
    """Tilted double well log ψ = −b(x² − c²)² + κx: ψ² has a barrier of 2bc⁴ ≈ 5."""
    return -B_WELL * (x**2 - C_WELL**2) ** 2 + TILT * x


class GradientDrift:
    """v = d log ψ / dx (a fixed gradient drift, stationary density ψ²)."""

    def apply(self, params, r):
        return jax.vmap(jax.vmap(jax.vmap(jax.grad(log_psi))))(r)


def well_potential(r):
    return jnp.sum(0.5 * r**2 + 0.3 * r)


def exact_variational() -> float:
    """∫ψ²(v²/2 + V) / ∫ψ² by quadrature (for a gradient drift this is ⟨ψ|H|ψ⟩)."""
    x = np.linspace(-5, 5, 200001)
    p = np.exp(2 * (-B_WELL * (x**2 - C_WELL**2) ** 2 + TILT * x))
    v = -4 * B_WELL * x * (x**2 - C_WELL**2) + TILT
    return float(np.sum(p * (0.5 * v**2 + 0.5 * x**2 + 0.3 * x)) / np.sum(p))


def stationary_draws(rng, n) -> np.ndarray:
    """n exact draws from ψ² (inverse CDF on a fine grid), shape (n, 1, 1)."""
    x = np.linspace(-5, 5, 200001)
    cdf = np.cumsum(np.exp(2 * (-B_WELL * (x**2 - C_WELL**2) ** 2 + TILT * x)))
    return np.interp(rng.random(n), cdf / cdf[-1], x)[:, None, None]


def test_copies_of_a_start_form_one_replica():
    """16 starts × 32 copies in wells that do not mix within the run (24 runs): the replica error
    bars cover the exact variational energy; treating every walker as independent (what
    tiling with a fixed burn-in did) understates them several times."""
    config = fkdrift.Config(eval_dts=(0.02, 0.01), eval_walkers=512, eval_time=4.0,
                            burn_in_time=1.0)
    chunk = make_evaluation_chunk(GradientDrift(), well_potential, config.eval_dts,
                                  config.chunk_time)
    exact, rng = exact_variational(), np.random.default_rng(0)
    honest, naive = [], []
    for seed in range(24):
        start, replicas = replicate(jnp.asarray(stationary_draws(rng, 16)), 512)
        ev = evaluate(chunk, {}, start, jax.random.PRNGKey(seed), config.evaluation,
                      config.stopping, replicas=replicas)
        x = ev.extrapolation
        honest.append((x.energy - exact) / x.error)
        flat = fkdrift._statistics.extrapolate_dt(config.eval_dts, ev.per_walker)
        naive.append((flat.energy - exact) / flat.error)
    honest, naive = np.asarray(honest), np.asarray(naive)
    # robust widths (16 replicas: Student-t tails)
    assert 1.4826 * np.median(np.abs(honest)) < 1.5, honest
    assert 1.4826 * np.median(np.abs(naive)) > 2.5, naive  # the test can see the difference
