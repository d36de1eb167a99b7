"""The boundary function fitted for the reweighted estimator must keep e^f normalisable."""

from __future__ import annotations

import jax
import numpy as np

from fkdrift._control_variates import boundary_basis
from fkdrift._evaluation import decays_far_out, fit_log_trial


def basis(r: np.ndarray, powers: bool = True) -> np.ndarray:
    return boundary_basis(r, powers=powers)


def fit_for(log_phi, seed: int = 0):
    """Fit on synthetic walkers whose ℓ − E t is exactly log_phi(r_T) − log_phi(r_0)."""
    rng = np.random.default_rng(seed)
    W, t = 4000, 5.0
    r0, rT = rng.normal(size=(2, W, 1, 1))
    raw = 0.5 + (log_phi(rT) - log_phi(r0)) / t
    noise = np.zeros((W, 1, 1))
    return fit_log_trial(raw, noise, np.full(W, t), r0, rT, basis), rT


def test_decaying_quartic_fit_is_kept():
    def log_phi(r):
        return -0.5 * r[:, 0, 0] ** 2 - 0.1 * r[:, 0, 0] ** 4

    f, walkers = fit_for(log_phi)
    x = np.linspace(-3, 3, 7)[:, None, None]
    np.testing.assert_allclose(f(x) - f(np.zeros((1, 1, 1))), log_phi(x), atol=1e-8)
    assert decays_far_out(f, walkers)


def test_growing_fit_falls_back_to_the_quadratic_basis():
    # −x² + 0.05 x⁴ fits exactly with the quartic column but grows far out (e^f is not
    # normalisable and a resampled population would run away): the quadratic fit is used
    def log_phi(r):
        return -r[:, 0, 0] ** 2 + 0.05 * r[:, 0, 0] ** 4

    f, walkers = fit_for(log_phi)
    assert decays_far_out(f, walkers)
    x = np.array([10.0])[:, None, None]
    assert f(x)[0] < f(np.zeros((1, 1, 1)))[0]  # bounded: decreases far out


def test_snapshots_come_from_the_finest_chain_whatever_the_order_of_the_steps():
    """eval_dts need not be in descending order: the density snapshots (and the measured
    time and boundary fit, read the same way) follow the chain of the smallest step."""
    import jax.numpy as jnp

    from fkdrift._config import EvaluationConfig
    from fkdrift._evaluation import EvaluationState, measure_chunk

    config = EvaluationConfig(eval_dts=(0.01, 0.04, 0.02), chunk_time=0.08, sample_every=0.08)
    marks = jnp.arange(3.0)[:, None, None, None] * jnp.ones((3, 2, 1, 1))  # chain k: k

    def chunk(params, walkers, key):
        zeros = jnp.zeros((3, 2))
        return marks, zeros, zeros + 0.08, jnp.zeros_like(marks)

    zeros = jnp.zeros((3, 2))
    state = EvaluationState(marks, marks, zeros, zeros, jnp.zeros_like(marks), 0, ())
    state = measure_chunk(state, chunk, {}, jax.random.PRNGKey(0), config)
    np.testing.assert_array_equal(state.snapshots[0], np.zeros((2, 1, 1)))  # chain 0: 0.01
