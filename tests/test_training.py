"""The jitted training step: compiled once, carries the walkers, and learns a harmonic well."""

import logging

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import fkdrift
from fkdrift import Config, FkdriftError, System
from fkdrift._drift import init_drift_params
from fkdrift._guide import make_drift_model
from fkdrift._sde import integrate_window
from fkdrift._training import (
    TrainState,
    exponential_decay,
    init_walkers,
    make_optimizer,
    make_train_step,
    train,
    window_loss,
    window_loss_terms,
)

OMEGA = 2.0


def harmonic_omega2(r):
    return 0.5 * OMEGA**2 * jnp.sum(r**2)


SYSTEM = System(harmonic_omega2, particles=1, dim=1, name="harmonic_omega2", exact_energy=1.0)


def setup(config, seed=0, system=SYSTEM):
    """(model, step, state) of a free drift (its window loss is what this file tests; the
    gradient drift's step is tested in test_local_energy.py)."""
    config = config.replace(drift_form="free")
    model = make_drift_model(system, config.network, config.drift_form)
    k_init, k_walk, k_train = jax.random.split(jax.random.key(seed), 3)
    params = jax.jit(lambda k: init_drift_params(model, k, system))(k_init)
    optimizer = make_optimizer(config.learning_rate, config.grad_clip)
    step = make_train_step(model, system.potential, optimizer, dt=config.dt,
                           n_steps=config.window)
    walkers = init_walkers(k_walk, config.batch, system.shape, config.init_width)
    state = TrainState(params, optimizer.init(params), walkers, k_train, jnp.zeros((), int))
    return model, step, state


SMALL = Config(train_steps=10, batch=32, window=8, dt=0.01, width=8, depth=1,
               network_dtype="float64")


@pytest.fixture(scope="module")
def small():
    """(model, step, state) of a tiny problem; the step is compiled once for the module."""
    return setup(SMALL, seed=1)


def test_step_compiles_once(caplog):
    _, step, state = setup(SMALL, seed=3)
    with caplog.at_level(logging.WARNING, logger="jax"), jax.log_compiles():
        state, _ = step(state)
        state, _ = step(state)
        state, metrics = step(state)
    compiles = [r for r in caplog.records if "Compiling jit(train_step)" in r.getMessage()]
    assert len(compiles) == 1
    assert step._cache_size() == 1
    assert int(state.step) == 3
    assert set(metrics) >= {"loss", "energy", "energy_spread", "grad_norm"}
    assert all(np.ndim(v) == 0 and np.isfinite(float(v)) for v in metrics.values())


def test_walkers_are_replaced_by_the_windows_end_positions(small):
    model, step, state = small
    new_state, metrics = step(state)
    key, window_key = jax.random.split(state.key)

    def drift(r):
        return model.apply(state.params, r)

    @jax.jit
    def reference(r0, k):
        r_T, ell, *_ = integrate_window(drift, harmonic_omega2, r0, k, dt=SMALL.dt,
                                        n_steps=SMALL.window)
        return r_T, ell, jnp.mean(jnp.sum(drift(r_T) * r_T, axis=(-2, -1)))

    r_T, ell, v_dot_r = reference(state.walkers, window_key)
    np.testing.assert_allclose(np.asarray(new_state.walkers), np.asarray(r_T),
                               rtol=0, atol=1e-12)
    assert new_state.walkers.dtype == jnp.float64
    assert not np.allclose(np.asarray(new_state.walkers), np.asarray(state.walkers))
    # the next window uses fresh noise: the carried key is the first half of the split
    np.testing.assert_array_equal(jax.random.key_data(new_state.key), jax.random.key_data(key))
    # the training energy is mean ℓ_T/T of that same window (without the boundary term)
    T = SMALL.window * SMALL.dt
    assert float(metrics["energy"]) == pytest.approx(float(jnp.mean(ell)) / T, rel=1e-10)
    boundary = float(v_dot_r) / T
    assert float(metrics["loss"]) == pytest.approx(float(metrics["energy"]) - boundary,
                                                   rel=1e-10, abs=1e-10)
    # parameters moved
    moved = jax.tree_util.tree_map(lambda a, b: bool(jnp.any(a != b)),
                                   new_state.params, state.params)
    assert any(jax.tree_util.tree_leaves(moved))


def test_window_loss_gradient_reaches_every_parameter():
    model, _, state = setup(SMALL, seed=2)
    grads = jax.jit(jax.grad(
        lambda p: window_loss(p, model, harmonic_omega2, state.walkers, jax.random.key(3),
                              dt=SMALL.dt, n_steps=SMALL.window)[0]
    ))(state.params)
    leaves = jax.tree_util.tree_leaves(grads)
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in leaves)
    # from −r in an ω = 2 well the confinement must grow: the loss falls as c increases
    assert float(grads["params"]["confinement"][0]) < 0


def test_training_learns_the_harmonic_frequency():
    """From v = −r, a few hundred updates in V = ½·4·x² reach v ≈ −2x and a training
    energy near E0 = ω/2 = 1 (the Euler chain of the exact drift gives ω/(2 − ω dt) = 1.0101)."""
    config = Config(train_steps=300, batch=256, window=25, dt=0.01, width=16, depth=2,
                    learning_rate=1e-2, final_learning_rate=1e-3)
    model, step, state = setup(config, seed=0)
    state, history, reason = train(state, step, config.train_steps, learning_rate=exponential_decay(
        config.learning_rate, config.final_learning_rate, config.train_steps))
    assert reason == "train_steps"
    energy = history["energy"]
    assert len(energy) == config.train_steps
    assert np.all(np.diff(history["step"]) == 1)
    assert energy[:10].mean() > 1.25  # v = −r is far from optimal (stationary value 1.25)
    late = energy[-100:]
    late_err = late.std(ddof=1) / np.sqrt(len(late))
    assert abs(late.mean() - 2.0 / (2.0 - 2.0 * config.dt)) < max(4 * late_err, 0.03)
    x = np.linspace(-1.2, 1.2, 13)
    v = np.asarray(model.apply(state.params, jnp.asarray(x).reshape(-1, 1, 1))).ravel()
    slope = -float(v @ x / (x @ x))
    assert abs(slope - OMEGA) < 0.3, slope


def test_a_window_that_overflows_is_dropped_not_applied():
    """A walker on a singularity makes the loss infinite: that update is skipped (params and
    optimiser state unchanged), and training goes on from the next window."""
    wall = System(lambda r: harmonic_omega2(r) + jnp.where(jnp.abs(r[0, 0]) > 3.0, jnp.inf, 0.0),
                  particles=1, dim=1, name="walled")
    _, step, state = setup(SMALL, system=wall)
    walkers = state.walkers.at[0, 0, 0].set(5.0)  # beyond the wall: V = inf
    new, metrics = step(state._replace(walkers=walkers))
    assert float(metrics["skipped"]) == 1.0
    same = jax.tree_util.tree_map(lambda a, b: bool(jnp.all(a == b)), new.params, state.params)
    assert all(jax.tree_util.tree_leaves(same))
    assert bool(jnp.all(jnp.isfinite(new.walkers)))
    inside = state.walkers.at[:, 0, 0].set(jnp.clip(state.walkers[:, 0, 0], -1.0, 1.0))
    _, metrics = step(state._replace(walkers=inside))
    assert float(metrics["skipped"]) == 0.0


def plain_window_loss(params, model, potential, walkers, key, *, dt, n_steps):
    """`window_loss` with the cusps' Itô sum left in the plain Itô sum (what training did
    before the cusps went through Itô's formula)."""
    def drift(r):
        return model.apply(params, r)

    out = integrate_window(drift, potential, walkers, key, dt=dt, n_steps=n_steps)
    return window_loss_terms(drift, out, n_steps * dt)


def test_cusp_form_removes_the_coulomb_noise_from_the_gradient():
    """Hydrogen at the initial drift (the cusp −r̂/(1 + b r)², b = 1e-3: almost exact).
    Through the plain Itô sum the pathwise gradient carries the −dt/r spikes of V (their
    r-derivative ~ 1/r²); with the cusps' Itô sum taken through Itô's formula the rate
    is bounded and the window-to-window spread of the gradient falls by over 10×, while
    the expected gradients agree within their noise."""
    import potentials

    system = potentials.hydrogen()
    config = Config(width=8, depth=1, network_dtype="float64",
                    drift_form="free").for_system(system)
    model = make_drift_model(system, config.network, config.drift_form)
    params = jax.jit(lambda k: init_drift_params(model, k, system))(jax.random.key(0))
    walkers = 1.2 * jax.random.normal(jax.random.key(1), (64, 1, 3))

    def gradients(loss):
        @jax.jit
        def grad(key):
            g = jax.grad(lambda p: loss(p, model, system.potential, walkers, key,
                                        dt=0.005, n_steps=100)[0])(params)
            return jax.flatten_util.ravel_pytree(g)[0]

        return np.stack([np.asarray(grad(jax.random.key(10 + i))) for i in range(12)])

    plain, cusp = gradients(plain_window_loss), gradients(window_loss)
    spread_plain = np.sqrt(np.sum(plain.var(axis=0, ddof=1)))
    spread_cusp = np.sqrt(np.sum(cusp.var(axis=0, ddof=1)))
    assert spread_cusp < spread_plain / 10, (spread_cusp, spread_plain)
    diff = plain.mean(axis=0) - cusp.mean(axis=0)
    assert np.linalg.norm(diff) < 4 * spread_plain / np.sqrt(12)


def test_the_cusp_treatment_is_the_models():
    """As in evaluation, training takes a cusped drift's cusp Itô sum through Itô's
    formula; a drift without cusps has the plain Itô sum."""
    import potentials

    system = potentials.hydrogen()
    model, _, state = setup(SMALL, seed=2, system=system)
    key = jax.random.key(4)

    def loss(form, model, potential, state):
        return float(form(state.params, model, potential, state.walkers, key,
                          dt=0.01, n_steps=8)[0])

    assert loss(window_loss, model, system.potential, state) != loss(
        plain_window_loss, model, system.potential, state)
    harmonic_model, _, harmonic_state = setup(SMALL, seed=2)
    assert loss(window_loss, harmonic_model, harmonic_omega2, harmonic_state) == loss(
        plain_window_loss, harmonic_model, harmonic_omega2, harmonic_state)


def _counting_state(learning_rate: float = 0.01) -> TrainState:
    params = {"w": jnp.zeros(())}
    optimizer = make_optimizer(learning_rate)
    return TrainState(params, optimizer.init(params), jnp.zeros((1, 1, 1)),
                      jax.random.key(0), jnp.zeros((), int))


def _diverging_step(threshold: float, after: int, seen: list):
    """A stand-in train step that overflows (skipped = 1) from update `after` on while the
    learning rate is above `threshold`; records (update, lr, key) of every call."""
    def step(state: TrainState):
        lr = float(optax.tree_utils.tree_get(state.opt_state, "learning_rate"))
        bad = lr > threshold and int(state.step) >= after
        seen.append((int(state.step), lr, tuple(np.asarray(jax.random.key_data(state.key)))))
        metrics = {"loss": np.inf if bad else 1.0, "energy": 1.0, "energy_spread": 0.0,
                   "grad_norm": 0.0, "skipped": float(bad)}
        return state._replace(step=state.step + 1), metrics
    return step


def test_divergence_rewinds_to_the_last_snapshot_with_half_the_learning_rate():
    """Overflowing windows from update 60 on while lr > 0.003: training returns to update
    50 twice (lr 0.005, then 0.0025, with fresh noise each time) and then finishes; the
    history has one row per kept update and counts the rewinds."""
    seen: list = []
    state, history, reason = train(_counting_state(), _diverging_step(0.003, 60, seen), 100)
    assert reason == "train_steps"
    assert list(history["step"]) == list(range(1, 101))
    assert int(state.step) == 100
    assert history["rewinds"][-1] == 2 and history["rewinds"][49] == 0
    np.testing.assert_allclose(history["learning_rate"][[0, 49, 50, 99]],
                               [0.01, 0.01, 0.0025, 0.0025])
    assert not np.any(history["skipped"][50:])
    restarts = [key for update, _, key in seen if update == 50]
    assert len(restarts) == 3 and len(set(restarts)) == 3  # new noise after each rewind


def test_divergence_that_does_not_heal_ends_in_a_clear_error():
    seen: list = []
    with pytest.raises(FkdriftError, match=r"diverged .* after 3 rewinds"):
        train(_counting_state(), _diverging_step(0.0, 60, seen), 200)
    assert max(update for update, _, _ in seen) < 70


def test_rewinds_are_counted_in_the_result():
    result = fkdrift.solve(System(harmonic_omega2, name="h"), seed=0,
                           config=SMALL.replace(train_steps=20, eval_time=2.0,
                                                reweighted_time=2.0))
    assert result.info["rewinds"] == 0
    assert result.history["rewinds"].shape == (20,)


def test_rematerialised_window_gives_the_same_update(small):
    """Storing 3 of the 8 window steps and recomputing the rest (jax.checkpoint through
    diffrax) changes memory, not the update: same loss, same new parameters."""
    model, step, state = small
    optimizer = make_optimizer(SMALL.learning_rate, SMALL.grad_clip)
    remat = make_train_step(model, SYSTEM.potential, optimizer, dt=SMALL.dt,
                            n_steps=SMALL.window, window_checkpoints=3)
    (new, metrics), (new_remat, metrics_remat) = step(state), remat(state)
    assert float(metrics_remat["loss"]) == pytest.approx(float(metrics["loss"]), rel=1e-12)
    flat = jax.flatten_util.ravel_pytree(new.params)[0]
    flat_remat = jax.flatten_util.ravel_pytree(new_remat.params)[0]
    np.testing.assert_allclose(flat_remat, flat, rtol=1e-10, atol=1e-12)


def test_window_checkpoints_must_be_positive():
    with pytest.raises(FkdriftError, match="window_checkpoints"):
        Config(window_checkpoints=-1)
