"""Gradient drifts v = ∇ log ψ: the trial networks, local energies against closed forms,
and the local-energy training step (fkdrift/_trial.py, local_energy.py, training.py)."""

from __future__ import annotations

import logging

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import fkdrift
import potentials
from fkdrift import Config, System
from fkdrift._drift import init_drift_params, trial_log_psi
from fkdrift._guide import make_drift_model
from fkdrift._local_energy import bind, feature_terms, local_energies, log_psi_terms
from fkdrift._training import (
    TrainState,
    exponential_decay,
    init_walkers,
    make_local_energy_step,
    make_optimizer,
    train,
)

QUARTIC_E0 = 0.667986259  # −½ d²/dx² + x⁴ (checked by finite differences in test_solver)
SMALL64 = Config(width=16, depth=2, network_dtype="float64", drift_form="gradient")


def randomised(system, config=SMALL64, seed=0, scale=0.3):
    """(model, params) of the gradient drift for system with every parameter perturbed."""
    model = make_drift_model(system, config.network, config.drift_form)
    params = init_drift_params(model, jax.random.key(seed), system)
    rng = np.random.default_rng(seed)
    params = jax.tree_util.tree_map(
        lambda p: jnp.asarray(np.asarray(p) + scale * rng.normal(size=p.shape), p.dtype), params)
    return model, params


def harmonic_trial(a):
    return lambda r: -0.5 * a * jnp.sum(r**2, axis=(-2, -1))


def hydrogen_trial(alpha):
    return lambda r: -alpha * jnp.linalg.norm(r[..., 0, :], axis=-1)


CLOSED_FORMS = {
    # name: (V, log ψ, E_L(r) in closed form)
    "harmonic-3d-a0.7": (lambda r: 0.5 * jnp.sum(r**2), harmonic_trial(0.7),
                         lambda r: 0.7 * 3 / 2 + (1 - 0.7**2) * np.sum(r**2, (-2, -1)) / 2),
    "hydrogen-alpha0.8": (lambda r: -1 / jnp.linalg.norm(r[0]), hydrogen_trial(0.8),
                          lambda r: -0.8**2 / 2 + (0.8 - 1) / np.linalg.norm(r[:, 0], axis=-1)),
}


@pytest.mark.parametrize("name", list(CLOSED_FORMS))
def test_local_energy_matches_its_closed_form(name):
    V, log_psi, exact = CLOSED_FORMS[name]
    r = np.random.default_rng(1).normal(size=(7, 1, 3))
    np.testing.assert_allclose(np.asarray(local_energies(log_psi, V, jnp.asarray(r))),
                               exact(r), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["helium", "h2", "bosons-3p-2d", "quartic-1p-1d"])
def test_gradient_drift_is_the_gradient_of_its_log_psi(name):
    """v = ∇ log ψ (central differences of trial_log_psi), cusps included; log ψ, ∇ and
    Δ of `log_psi_terms` agree with the drift and with differences of the gradient."""
    system = {"helium": potentials.helium(), "h2": potentials.h2(),
              "bosons-3p-2d": potentials.trapped_bosons(particles=3),
              "quartic-1p-1d": System(lambda r: jnp.sum(r**4), particles=1, dim=1)}[name]
    model, params = randomised(system)
    log_psi = trial_log_psi(model)
    r = jnp.asarray(np.random.default_rng(2).normal(size=(4, system.particles, system.dim)))
    v = np.asarray(model.apply(params, r))
    value, grad, laplacian = (np.asarray(x) for x in log_psi_terms(
        lambda x: log_psi(params, x), r))
    np.testing.assert_allclose(grad, v, rtol=1e-10, atol=1e-12)
    h = 1e-5
    flat = np.asarray(r).reshape(4, -1)
    numeric = np.zeros_like(flat)
    second = np.zeros(4)
    for k in range(flat.shape[1]):
        step = np.zeros_like(flat)
        step[:, k] = h
        up, down = (jnp.asarray((flat + s).reshape(r.shape)) for s in (step, -step))
        above, below = np.asarray(log_psi(params, up)), np.asarray(log_psi(params, down))
        numeric[:, k] = (above - below) / (2 * h)
        second += (above - 2 * value + below) / h**2
    np.testing.assert_allclose(numeric.reshape(v.shape), v, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(second, laplacian, rtol=1e-3, atol=1e-3)


def test_boson_trial_is_permutation_invariant():
    system = potentials.trapped_bosons(particles=4)
    model, params = randomised(system)
    log_psi = trial_log_psi(model)
    r = jnp.asarray(np.random.default_rng(3).normal(size=(5, 4, 2)))
    permuted = r[:, [2, 0, 3, 1]]
    np.testing.assert_allclose(np.asarray(log_psi(params, permuted)),
                               np.asarray(log_psi(params, r)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.asarray(model.apply(params, permuted)),
                               np.asarray(model.apply(params, r))[:, [2, 0, 3, 1]],
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("where", ["electron-at-nucleus", "electrons-together"])
def test_cusps_keep_the_helium_local_energy_finite_at_coalescence(where):
    """Kato's cusps cancel −2/r and +1/r12 in E_L for any network parameters: E_L stays
    bounded as a distance goes to 0 (without the cusps it would grow like 1/distance)."""
    system = potentials.helium()
    model, params = randomised(system)
    log_psi = trial_log_psi(model)
    base = np.array([[0.6, -0.2, 0.3], [-0.4, 0.5, 0.1]])
    direction = np.array([0.3, 0.4, -0.2])
    values = []
    for d in (1e-2, 1e-4, 1e-6):
        r = base.copy()
        if where == "electron-at-nucleus":
            r[0] = d * direction
        else:
            r[1] = r[0] + d * direction
        values.append(float(local_energies(lambda x: log_psi(params, x), system.potential,
                                           jnp.asarray(r[None]))[0]))
    assert np.all(np.isfinite(values))
    assert abs(values[2] - values[1]) < 1e-2 and abs(values[1] - values[0]) < 0.5, values


def setup(system, config, seed=0):
    model = make_drift_model(system, config.network, config.drift_form)
    k_init, k_walk, k_train = jax.random.split(jax.random.key(seed), 3)
    params = init_drift_params(model, k_init, system)
    optimizer = make_optimizer(config.learning_rate, config.grad_clip)
    step = make_local_energy_step(model, system.potential, optimizer, dt=config.dt,
                                  n_steps=config.window)
    walkers = init_walkers(k_walk, config.batch, system.shape, config.init_width)
    return model, step, TrainState(params, optimizer.init(params), walkers, k_train,
                                   jnp.zeros((), int))


def test_local_energy_training_learns_the_quartic_ground_state(caplog):
    """From ψ = exp(−x²/2) (walkers of width 1, not yet stationary), 300 updates bring the
    walkers' mean local energy within 2e-3 of E0 = 0.66799 (a variational quantity: not
    below E0 beyond its noise), and the step compiles once."""
    system = System(lambda r: jnp.sum(r**4), particles=1, dim=1, name="quartic")
    config = Config(train_steps=300, batch=256, width=16, depth=2,
                    drift_form="gradient").for_system(system)
    _, step, state = setup(system, config)
    with caplog.at_level(logging.WARNING, logger="jax._src.dispatch"):
        jax.config.update("jax_log_compiles", True)
        try:
            state, history, _ = train(state, step, 300, learning_rate=exponential_decay(
                1e-2, 1e-3, 300))
        finally:
            jax.config.update("jax_log_compiles", False)
    compiled = [r for r in caplog.records if "train_step" in r.getMessage()
                and "Finished XLA compilation" in r.getMessage()]
    assert len(compiled) == 1
    energy = history["energy"]
    assert energy[:5].mean() > QUARTIC_E0 + 0.1
    late = energy[-100:]
    error = late.std(ddof=1) / np.sqrt(len(late))
    assert abs(late.mean() - QUARTIC_E0) < 2e-3 + 3 * error, (late.mean(), error)


@pytest.mark.slow  # long: CI runs it with the slow set
def test_helium_to_a_target_error_with_the_default_gradient_drift():
    """The default pipeline on helium: a gradient drift with exact cusps, trained to its
    second plateau, then the reweighted stage guided by its own log ψ: within 3σ of the
    exact E0 with an error bar at the target."""
    result = fkdrift.solve("helium", seed=0, config=Config(target_error=2e-3))
    assert result.config.drift_form == "gradient"
    assert result.energy_error < 2e-3
    exact = result.system.exact_energy
    assert abs(result.energy - exact) < 3 * result.energy_error, result.summary()
    variational = result.estimates["variational"]
    assert variational.extrapolated - exact > -3 * variational.extrapolated_error


@pytest.mark.slow  # long: CI runs it with the slow set
def test_hutchinson_laplacian_is_unbiased_with_the_predicted_spread():
    """Rademacher probes zᵀHz: their mean over 4096 probes per walker lies within 4.5
    standard errors of the exact Laplacian, the error being the exact one,
    √(2 Σ_{i≠j} H_ij² / probes); the gradient is exact. Eight bosons, pooled network."""
    from fkdrift._local_energy import hutchinson_terms

    system = potentials.trapped_bosons(particles=8)
    model, params = randomised(system, SMALL64.replace(boson_network="pooled"))
    log_psi = trial_log_psi(model)

    def f(x):
        return log_psi(params, x)

    r = jnp.asarray(np.random.default_rng(5).normal(size=(3, 8, 2)))
    _, grad, laplacian = log_psi_terms(f, r)
    probes = 4096
    v, estimate = hutchinson_terms(f, r, jax.random.key(7), probes)
    np.testing.assert_allclose(np.asarray(v), np.asarray(grad), rtol=1e-10, atol=1e-12)
    hessians = jax.vmap(jax.hessian(lambda y: f(y.reshape(8, 2)[None])[0]))(r.reshape(3, -1))
    off = np.asarray(hessians) * (1 - np.eye(16))
    error = np.sqrt(2 * np.sum(off**2, axis=(1, 2)) / probes)
    assert np.all(error > 0)
    assert np.all(np.abs(np.asarray(estimate) - np.asarray(laplacian)) < 4.5 * error), (
        estimate, laplacian, error)


def test_feature_terms_are_the_chain_rule_of_the_full_hessian():
    """log ψ = F(φ(x)) with smooth features φ: the chain rule through the features gives
    the value, gradient and Laplacian of the full forward-over-reverse Hessian."""
    def features(x):  # (3, 2) -> (4,)
        d2 = jnp.sum((x[:, None] - x[None]) ** 2, -1)
        return jnp.log1p(jnp.stack([d2[0, 1], d2[0, 2], d2[1, 2], jnp.sum(x**2)]))

    w = jnp.asarray(np.random.default_rng(1).normal(size=(4, 4)))

    def network(f):
        return jnp.sum(jnp.tanh(w @ f) ** 2) + jnp.sin(f[0] * f[3])

    r = jnp.asarray(np.random.default_rng(2).normal(size=(7, 3, 2)))
    fast = feature_terms(network, features, r)
    full = log_psi_terms(jax.vmap(lambda x: network(features(x))), r)
    for a, b in zip(fast, full, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("name", ["hydrogen", "helium", "h2"])
def test_a_distance_guide_gives_its_local_energy_terms_through_its_features(name):
    """The distance network's fast terms (features, confinement and cusps in closed
    form) equal the generic autodiff terms of its log ψ."""
    system = getattr(potentials, name)()
    model, params = randomised(system, SMALL64.replace(features="distances"))
    log_psi = trial_log_psi(model)
    assert log_psi.terms is not None
    r = jnp.asarray(np.random.default_rng(3).normal(size=(16, *system.shape)))
    fast = jax.jit(lambda x: log_psi_terms(bind(log_psi, params), x))(r)
    generic = jax.jit(lambda x: log_psi_terms(lambda y: log_psi(params, y), x))(r)
    for a, b in zip(fast, generic, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-11, atol=1e-11)
