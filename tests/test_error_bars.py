"""Coverage of the reported error bars over many seeds (DESIGN: honest error bars).

A fixed Ornstein–Uhlenbeck drift v = −a x (a ≠ ω) on the 1D harmonic well has a known
continuum variational energy (a² + ω²)/(4a) and the known E0 = ω/2, so both estimators
can be checked for coverage without training noise: about 68% of the runs within 1σ and
nearly all within 3σ.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import fkdrift
import potentials
from fkdrift.drift import _softplus_inverse, init_drift_params, make_drift_model
from fkdrift.evaluation import evaluate, make_evaluation_chunk
from fkdrift.reweighting import reweighted_energy
from fkdrift.solver import control_basis

A, OMEGA = 1.4, 1.0
VARIATIONAL_EXACT = (A**2 + OMEGA**2) / (4 * A)
SEEDS = range(20)


@pytest.fixture(scope="module")
def runs() -> list[tuple[float, float, float, float]]:
    system = potentials.harmonic(dim=1, omega=OMEGA)
    config = fkdrift.Config(eval_walkers=512, eval_time=8.0, burn_in_time=3.0,
                            reweighted_time=40.0).for_system(system)
    model = make_drift_model(system, config)
    params = init_drift_params(model, jax.random.PRNGKey(0), system)
    raw = _softplus_inverse(A)  # c = softplus(parameter)
    params["params"]["confinement"] = jnp.full_like(params["params"]["confinement"], raw)
    chunk = make_evaluation_chunk(model, system.potential, config)
    rw_chunk = make_evaluation_chunk(model, system.potential,
                                     config.replace(chunk_time=config.resample_interval))
    out = []
    for seed in SEEDS:
        key = jax.random.PRNGKey(1000 + seed)
        k_start, k_var, k_rw = jax.random.split(key, 3)
        start = jax.random.normal(k_start, (config.eval_walkers, 1, 1)) / np.sqrt(2 * A)
        ev = evaluate(chunk, params, start, k_var, config, control_basis(system))
        rw = reweighted_energy(rw_chunk, params, jnp.asarray(ev.walkers), k_rw, config,
                               ev.log_trial)
        out.append((ev.extrapolation.energy, ev.extrapolation.error,
                    rw.extrapolation.energy, rw.extrapolation.error))
    return out


def _coverage(values: np.ndarray, errors: np.ndarray, exact: float) -> tuple[int, int]:
    z = np.abs(values - exact) / errors
    return int(np.sum(z < 1)), int(np.sum(z < 3))


@pytest.mark.parametrize("estimator", ["variational", "reweighted"])
def test_error_bars_cover_the_exact_value(runs, estimator):
    data = np.asarray(runs)
    if estimator == "variational":
        values, errors, exact = data[:, 0], data[:, 1], VARIATIONAL_EXACT
    else:
        values, errors, exact = data[:, 2], data[:, 3], OMEGA / 2
    within1, within3 = _coverage(values, errors, exact)
    # binomial(20, 0.68): mean 13.6, sd 2.1 -> [9, 18] is about ±2.2 sd
    assert 9 <= within1 <= 18, (within1, values - exact, errors)
    assert within3 >= 19, (within3, values - exact, errors)
    # and the bars are neither inflated nor optimistic: they match the actual scatter
    assert 0.6 < np.std(values) / np.mean(errors) < 1.6


