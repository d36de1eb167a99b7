"""The reweighted (drift-guided DMC) estimator against exact answers."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import fkdrift
from fkdrift._reweighting import systematic_resample

QUARTIC_E0 = 0.667986259  # −½ d²/dx² + x⁴ (checked by finite differences in test_solver)


def test_systematic_resample_keeps_count_and_follows_weights():
    log_w = jnp.array([-jnp.inf, 0.0, np.log(3.0), -jnp.inf])
    idx = np.asarray(systematic_resample(log_w, 0.3))
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


class _NumPySpy:
    """NumPy as seen by a module under test: every function call that receives a device
    array records its shape (on a CPU backend the transfer guard cannot see such copies)."""

    def __init__(self, seen: list[tuple[int, ...]]) -> None:
        self._seen = seen

    def __getattr__(self, name):
        import jax

        attr = getattr(np, name)
        if not callable(attr) or isinstance(attr, type):
            return attr

        def call(*args, **kwargs):
            self._seen.extend(x.shape for x in jax.tree_util.tree_leaves((args, kwargs))
                              if isinstance(x, jax.Array))
            return attr(*args, **kwargs)

        return call


@pytest.fixture
def host_copies(monkeypatch) -> list[tuple[int, ...]]:
    """Shapes of the device arrays that the stage's host code hands to NumPy or fetches
    with `jax.device_get`, from now on."""
    import jax

    from fkdrift import _evaluation, _reweighting, _statistics

    seen: list[tuple[int, ...]] = []
    for module in (_evaluation, _reweighting, _statistics):
        monkeypatch.setattr(module, "np", _NumPySpy(seen))
    fetch = jax.device_get

    def spy_fetch(tree):
        seen.extend(x.shape for x in jax.tree_util.tree_leaves(tree)
                    if isinstance(x, jax.Array))
        return fetch(tree)

    monkeypatch.setattr(jax, "device_get", spy_fetch)
    return seen


def test_reweighting_copies_no_walkers_to_the_host(host_copies):
    """The populations are weighted and resampled on the device: while the stage runs the
    host reads only (K,) rows (growths, spreads) and the key, also under the transfer
    guard (which enforces it on an accelerator)."""
    import jax
    from conftest import ou_chunks

    import potentials
    from fkdrift._reweighting import reweighted_energy

    system = potentials.harmonic(dim=1)
    config = fkdrift.Config(reweighted_time=2.0, eval_dts=(0.02, 0.01), drift_form="gradient")
    params, _, rw_chunk, trial = ou_chunks(system, 1.2, config)
    walkers = jax.random.normal(jax.random.PRNGKey(1), (2, 64, 1, 1))
    host_copies.clear()
    with jax.transfer_guard_device_to_host("disallow"):
        rw = reweighted_energy(rw_chunk, params, walkers, jax.random.PRNGKey(2), trial,
                               dts=config.eval_dts, burn_in_time=0.5,
                               config=config.reweighting, stopping=config.stopping)
    assert host_copies and max(np.prod(s) for s in host_copies) <= 2, set(host_copies)
    assert rw.intervals == round(2.0 / config.resample_interval)
    assert isinstance(rw.walkers, jax.Array)
    from fkdrift import _reweighting

    _reweighting.np.asarray(rw.walkers)  # the spy sees a walker copy when there is one
    assert host_copies[-1] == (2, 64, 1, 1)
