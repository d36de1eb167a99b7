"""The reweighted (drift-guided DMC) estimator against exact answers."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import fkdrift
from fkdrift._statistics import systematic_resample

QUARTIC_E0 = 0.667986259  # −½ d²/dx² + x⁴ (checked by finite differences in test_solver)


def test_systematic_resample_keeps_count_and_follows_weights():
    w = np.array([0.0, 1.0, 3.0, 0.0])
    idx = systematic_resample(w, 0.3)
    assert len(idx) == 4 and set(idx) <= {1, 2}
    assert np.sum(idx == 2) == 3


@pytest.fixture(scope="module")
def undertrained_quartic() -> fkdrift.Result:
    system = fkdrift.System(potential=lambda r: jnp.sum(r**4), name="quartic")
    config = fkdrift.Config(train_steps=50, reweighted_time=120.0)
    return fkdrift.solve(system, seed=0, config=config)


def test_reweighted_beats_variational_on_an_undertrained_drift(undertrained_quartic):
    r = undertrained_quartic
    var = r.estimates["variational"]
    rw = r.estimates["reweighted"]
    assert r.estimator.startswith("reweighted") and r.energy == rw.extrapolated
    # the variational bound of a 50-update drift is far above E0 ...
    assert var.extrapolated - QUARTIC_E0 > 10 * var.extrapolated_error
    # ... while the reweighted estimate is E0 within its error bar (and much closer)
    assert abs(rw.extrapolated - QUARTIC_E0) < 3 * rw.extrapolated_error
    assert abs(rw.extrapolated - QUARTIC_E0) < 0.2 * (var.extrapolated - QUARTIC_E0)


def test_reweighted_estimates_are_stored_and_round_trip(undertrained_quartic, tmp_path):
    path = tmp_path / "q.h5"
    undertrained_quartic.save(path)
    again = fkdrift.load(path)
    rw, rw2 = undertrained_quartic.estimates["reweighted"], again.estimates["reweighted"]
    np.testing.assert_array_equal(rw.energies, rw2.energies)
    assert again.energy == undertrained_quartic.energy
    assert again.estimator == undertrained_quartic.estimator


def test_variational_estimator_can_be_chosen():
    config = fkdrift.Config(train_steps=20, batch=64, window=10, eval_walkers=128,
                            eval_time=1.0, burn_in_time=0.5, estimator="variational")
    r = fkdrift.solve("harmonic", seed=0, config=config)
    assert "reweighted" not in r.estimates
    assert r.energy == r.estimates["variational"].extrapolated


def test_answer_does_not_move_with_population_size():
    """Jensen's bias of −log Π⟨w⟩/T grows like 1/W: with 8 walkers and a poor guide
    (v = −3x on x²/2) it is about 4 error bars. After the measured correction T·Var(ḡ)/2
    the 8-walker answer agrees with E0 and with 512 walkers; uncorrected it would not."""
    import jax
    from conftest import ou_chunks

    import potentials
    from fkdrift._evaluation import evaluate
    from fkdrift._reweighting import reweighted_energy
    from fkdrift._solver import control_basis

    system, a = potentials.harmonic(dim=1), 3.0
    config = fkdrift.Config(eval_walkers=512, eval_time=4.0, burn_in_time=2.0,
                            reweighted_time=150.0, eval_dts=(0.02, 0.01))
    params, chunk, rw_chunk, boundary = ou_chunks(system, a, config)
    k_start, k_var, k_rw = jax.random.split(jax.random.PRNGKey(5), 3)
    start = jax.random.normal(k_start, (512, 1, 1)) / np.sqrt(2 * a)
    ev = evaluate(chunk, params, start, k_var, config.evaluation, config.stopping,
                  control_basis(system))
    small, large = (reweighted_energy(rw_chunk, params, jnp.asarray(ev.walkers[:, :W]), k_rw,
                                      boundary or ev.log_trial, dts=config.eval_dts,
                                      burn_in_time=config.burn_in_time,
                                      config=config.reweighting, stopping=config.stopping)
                    for W in (8, 512))
    for rw in (small, large):
        assert np.all(np.abs(rw.energies - 0.5) < 3 * rw.errors), rw.energies
    assert abs(small.energies[-1] - large.energies[-1]) < 3 * np.hypot(small.errors[-1],
                                                                       large.errors[-1])
    uncorrected = small.energies[-1] + small.population_bias[-1]
    assert uncorrected - 0.5 > 2 * small.errors[-1]  # the correction is what makes it agree
    assert small.population_bias[-1] > 10 * large.population_bias[-1]
