"""Drift networks: shapes, initial drifts, permutation equivariance, Kato cusps."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import potentials
from fkdrift import Config, FkdriftError, System
from fkdrift._drift import (
    SMALLEST_CONFINEMENT,
    CuspDrift,
    MLPDrift,
    PairDrift,
    count_parameters,
    init_drift_params,
    trial_log_psi,
)
from fkdrift._guide import make_drift_model
from fkdrift._trial import (
    DistanceLogPsi,
    GradientDrift,
    MLPLogPsi,
    PairLogPsi,
    PooledLogPsi,
    pooled_pair_features,
)

SMALL = Config(width=16, depth=2)
SMALL64 = Config(width=16, depth=2, network_dtype="float64")


def quartic(r):
    return jnp.sum(r**4)


def build(system, config=SMALL, seed=0):
    """(model, params, apply) with init and apply compiled (eager flax is slow to start)."""
    model = make_drift_model(system, config.network, config.drift_form)
    params = jax.jit(lambda key: init_drift_params(model, key, system))(jax.random.key(seed))
    return model, params, jax.jit(model.apply)


def randomise(params, seed=1, scale=0.3):
    """Perturb every parameter (including the zero-initialised output layer)."""
    rng = np.random.default_rng(seed)  # NumPy: eager jax.random would compile per shape
    return jax.tree_util.tree_map(
        lambda p: jnp.asarray(np.asarray(p) + scale * rng.normal(size=p.shape), p.dtype), params
    )


SYSTEMS = {
    # name: (system, free drift network, trial network of the gradient drift)
    "quartic-1p-1d": (System(quartic, particles=1, dim=1), MLPDrift, MLPLogPsi),
    "harmonic-2p-3d": (potentials.harmonic(dim=3, particles=2), MLPDrift, MLPLogPsi),
    "bosons-3p-2d": (potentials.trapped_bosons(particles=3), PairDrift, PairLogPsi),
    "bosons-8p-2d": (potentials.trapped_bosons(particles=8), PairDrift, PooledLogPsi),
    "hydrogen": (potentials.hydrogen(), MLPDrift, DistanceLogPsi),
    "helium": (potentials.helium(), MLPDrift, DistanceLogPsi),
    "h2": (potentials.h2(), MLPDrift, DistanceLogPsi),
}


@pytest.mark.parametrize("form", ["gradient", "free"])
@pytest.mark.parametrize("name", list(SYSTEMS))
def test_model_type_and_output_shapes(name, form):
    system, free_cls, trial_cls = SYSTEMS[name]
    model, params, apply = build(system, SMALL.replace(drift_form=form))
    smooth = model.smooth if system.coulomb else model
    assert type(model) is (CuspDrift if system.coulomb else type(smooth))
    if form == "free":
        assert type(smooth) is free_cls
        net = smooth
    else:
        assert type(smooth) is GradientDrift and type(smooth.log_psi) is trial_cls
        net = smooth.log_psi
    # the cusps confine; otherwise training starts from the harmonic ground state
    assert net.confinement == (SMALLEST_CONFINEMENT if system.coulomb else 1.0)
    assert count_parameters(params) > 0
    r = jnp.asarray(np.random.default_rng(2).normal(size=(5, system.particles, system.dim)))
    v = apply(params, r)
    assert v.shape == r.shape
    assert v.dtype == jnp.float64  # walkers stay double even with a float32 network
    assert bool(jnp.all(jnp.isfinite(v)))
    # extra leading axes (chains × walkers) are mapped over
    r2 = jnp.stack([r, 2 * r])
    v2 = apply(params, r2)
    assert v2.shape == r2.shape
    np.testing.assert_allclose(np.asarray(v2[0]), np.asarray(v), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    ("shape", "dtype"), [((1, 1), "float32"), ((2, 3), "float64")],
    ids=["1p-1d-float32", "2p-3d-float64"],
)
def test_mlp_drift_starts_as_minus_r(shape, dtype):
    system = System(quartic, particles=shape[0], dim=shape[1])
    _, params, apply = build(system, Config(width=16, depth=2, network_dtype=dtype))
    r = jnp.asarray(3.0 * np.random.default_rng(3).normal(size=(8, *shape)))
    np.testing.assert_array_equal(np.asarray(apply(params, r)), -np.asarray(r))


@pytest.mark.parametrize("network", ["pair", "pooled"])
@pytest.mark.parametrize("form", ["gradient", "free"])
@pytest.mark.parametrize("particles", [2, 4])
def test_boson_drifts_are_permutation_equivariant(particles, form, network):
    system = potentials.trapped_bosons(particles=particles)
    config = SMALL64.replace(drift_form=form, boson_network=network)
    model, params, apply = build(system, config)
    params = randomise(params)
    r = jnp.asarray(np.random.default_rng(4).normal(size=(6, particles, 2)))
    v = np.asarray(apply(params, r))
    assert np.abs(v + np.asarray(r)).max() > 1e-2  # the network part is switched on
    rng = np.random.default_rng(0)
    for _ in range(3):
        perm = rng.permutation(particles)
        while np.array_equal(perm, np.arange(particles)):
            perm = rng.permutation(particles)
        v_perm = np.asarray(apply(params, r[:, perm]))
        np.testing.assert_allclose(v_perm, v[:, perm], rtol=1e-12, atol=1e-12)


def _rotation(rng, axis=None):
    """A random 3D orthogonal matrix with determinant −1 (a rotation and a reflection),
    or, with `axis`, a random rotation about that axis followed by a reflection through a
    plane containing it."""
    if axis is None:
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        return q * (-1 if np.linalg.det(q) > 0 else 1)
    a = rng.uniform(0, 2 * np.pi)
    turn = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    return np.diag([1.0, -1.0, 1.0]) @ turn


@pytest.mark.parametrize(("name", "axis"), [("helium", None), ("h2", 2)],
                         ids=["helium-any-rotation", "h2-about-its-axis"])
def test_distance_log_psi_is_invariant_under_the_isometries_that_fix_the_nuclei(name, axis):
    """The distance network's log ψ (cusps included) is unchanged by every rotation and
    reflection that fixes the nuclei; the coordinate network is not, and the distance
    network of H2 does change under a rotation that moves its nuclei."""
    system = getattr(potentials, name)()
    rng = np.random.default_rng(5)
    r = rng.normal(size=(6, 2, 3))
    rotated = r @ _rotation(rng, axis).T
    moved = r @ _rotation(rng).T  # a generic rotation: moves H2's nuclei
    values = {}
    for features in ("distances", "coordinates"):
        model, params, _ = build(system, SMALL64.replace(drift_form="gradient",
                                                         features=features))
        log_psi = jax.jit(trial_log_psi(model))
        params = randomise(params)
        values[features] = [np.asarray(log_psi(params, jnp.asarray(x)))
                            for x in (r, rotated, moved)]
    same, turned, other = values["distances"]
    np.testing.assert_allclose(turned, same, rtol=1e-12, atol=1e-12)
    assert np.abs(values["coordinates"][1] - values["coordinates"][0]).max() > 1e-3
    if axis is not None:
        assert np.abs(other - same).max() > 1e-3


def test_distance_features_need_nuclei():
    with pytest.raises(FkdriftError, match="features='distances' needs"):
        make_drift_model(potentials.harmonic(dim=3, particles=2),
                         Config(features="distances").network, "gradient")


def test_bosons_with_nuclei_read_the_nuclei_and_stay_equivariant():
    """Two electrons of a singlet declared as bosons around two nuclei (H2): the whole
    drift, cusps included, is exchange-equivariant, and the network sees the nuclei."""
    system = dataclasses.replace(potentials.h2(), statistics="bosons")
    model, params, apply = build(system, SMALL64)
    trial = model.smooth.log_psi
    assert type(trial) is PairLogPsi and len(trial.centres) == 2
    params = randomise(params)
    r = jnp.asarray(np.random.default_rng(5).normal(size=(6, 2, 3)))
    v = np.asarray(apply(params, r))
    np.testing.assert_allclose(np.asarray(apply(params, r[:, ::-1])), v[:, ::-1],
                               rtol=1e-12, atol=1e-12)
    moved = dataclasses.replace(trial, centres=((0.0, 0.0, -2.0), (0.0, 0.0, 2.0)))
    trial_params = {"params": params["params"]["smooth"]["log_psi"]}
    assert not np.allclose(np.asarray(moved.apply(trial_params, r)),
                           np.asarray(trial.apply(trial_params, r)), atol=1e-3)


def test_mlp_drift_is_not_equivariant():
    """Control for the test above: the distinguishable-particle network is not."""
    system = potentials.harmonic(dim=2, particles=2)
    model, params, apply = build(system, SMALL64)
    params = randomise(params)
    r = jnp.asarray(np.random.default_rng(4).normal(size=(6, 2, 2)))
    v = np.asarray(apply(params, r))
    v_perm = np.asarray(apply(params, r[:, ::-1]))
    assert not np.allclose(v_perm, v[:, ::-1], atol=1e-3)


def pade(diff, a, b):
    """a r̂ / (1 + b r)² for diff: (..., dim)."""
    d = np.linalg.norm(diff, axis=-1, keepdims=True)
    return a * diff / (d * (1 + b * d) ** 2)


@pytest.mark.parametrize("Z", [1.0, 2.0])
def test_hydrogen_cusp_drift_at_init(Z):
    """v = −Z r̂ / (1 + b r)² − c r, b the initial nuclear range and c the small initial
    linear confinement: Kato's cusp 2μ q Z/(d−1) = −Z at the nucleus (μ = 1, d = 3), and a
    smooth network that starts at zero."""
    system = potentials.hydrogen(Z=Z)
    model, params, apply = build(system)
    b = model.nuclear_range
    assert b > 0
    scales = np.array([0.01, 1.0, 10.0])[np.arange(50) % 3, None, None]  # near, mid, far
    r = jnp.asarray(np.random.default_rng(5).normal(size=(50, 1, 3)) * scales)
    v = np.asarray(apply(params, r))
    expected = pade(np.asarray(r), -Z, b) - SMALLEST_CONFINEMENT * np.asarray(r)
    np.testing.assert_allclose(v, expected, rtol=1e-6, atol=0)
    dist = np.linalg.norm(np.asarray(r), axis=-1)
    radial = np.sum(v * np.asarray(r), axis=-1) / dist
    np.testing.assert_allclose(radial, -Z / (1 + b * dist) ** 2 - SMALLEST_CONFINEMENT * dist,
                               rtol=1e-6)
    # radially inward: no tangential component
    np.testing.assert_allclose(np.linalg.norm(v, axis=-1), np.abs(radial), rtol=1e-10)
    # at contact the drift is exactly the cusp, −Z r̂
    tiny = jnp.array([[[1e-9, 0.0, 0.0]]])
    np.testing.assert_allclose(np.asarray(apply(params, tiny)), [[[-Z, 0.0, 0.0]]],
                               rtol=1e-7)


def test_helium_cusp_drift_at_init():
    """Two electrons, nucleus Z = 2: v_i = −2 r̂_i/(1 + b r_i)² + ½ r̂_ij/(1 + c r_ij)²
    (pair cusp q²/(d−1) = ½ with reduced mass ½), b and c the initial ranges."""
    system = potentials.helium()
    model, params, apply = build(system)
    b, c = model.nuclear_range, model.pair_range
    r = np.random.default_rng(6).normal(size=(20, 2, 3))
    v = np.asarray(apply(params, jnp.asarray(r)))
    pair = pade(r[:, 0] - r[:, 1], 0.5, c)
    expected = pade(r, -2.0, b) + np.stack([pair, -pair], axis=1) - SMALLEST_CONFINEMENT * r
    np.testing.assert_allclose(v, expected, rtol=1e-6, atol=1e-12)


def test_h2_cusp_drift_sums_both_nuclei():
    system = potentials.h2(R=1.4)
    model, params, apply = build(system)
    r = np.random.default_rng(7).normal(size=(10, 2, 3))
    v = np.asarray(apply(params, jnp.asarray(r)))
    nuclei = np.array([[0, 0, -0.7], [0, 0, 0.7]])
    nuclear = sum(pade(r - R, -1.0, model.nuclear_range) for R in nuclei)
    pair = pade(r[:, 0] - r[:, 1], 0.5, model.pair_range)
    expected = nuclear + np.stack([pair, -pair], axis=1) - SMALLEST_CONFINEMENT * r
    np.testing.assert_allclose(v, expected, rtol=1e-6, atol=1e-12)


def test_helium_pair_diagonal_gives_no_nan_and_finite_gradients():
    system = potentials.helium()
    model, params, apply = build(system)
    params = randomise(params, scale=0.1)
    r = jnp.asarray(np.random.default_rng(8).normal(size=(16, 2, 3)))

    def loss(p, r):
        v = apply(p, r)
        return jnp.mean(jnp.sum(v**2, axis=(-2, -1)))

    value, grads = jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))(params, r)
    assert np.isfinite(float(value))
    for leaf in jax.tree_util.tree_leaves(grads):
        assert bool(jnp.all(jnp.isfinite(leaf)))
    g_params = jax.tree_util.tree_leaves(grads[0])
    assert any(float(jnp.abs(g).max()) > 0 for g in g_params)
    # the learnable ranges are trained too
    cusp_params = params["params"]
    assert {"nuclear_range", "pair_range"} <= set(cusp_params)
    assert float(jnp.abs(grads[0]["params"]["pair_range"])) > 0
    assert float(jnp.abs(grads[0]["params"]["nuclear_range"]).max()) > 0


CUSP_SYSTEMS = {
    "hydrogen": potentials.hydrogen(),
    "helium": potentials.helium(),
    "h2": potentials.h2(),
    "helium-2d": System(lambda r: 0.0, particles=2, dim=2, nuclei=[[0.0, 0.0]],
                        nuclear_charges=[2.0], particle_charge=-1.0),
}


@pytest.mark.parametrize("name", list(CUSP_SYSTEMS))
def test_cusp_terms_are_a_log_its_gradient_and_laplacian(name):
    """`CuspDrift.cusp_terms` = (f_c, ∇f_c, Δf_c): checked against autodiff of f_c, and
    ∇f_c is the analytic part of the drift (the rest is the smooth network)."""
    system = CUSP_SYSTEMS[name]
    model, params, apply = build(system, SMALL64)
    params = randomise(params, scale=0.2)
    r = jnp.asarray(np.random.default_rng(9).normal(size=(7, system.particles, system.dim)))
    terms = jax.jit(lambda p, r: model.apply(p, r, method="cusp_terms"))
    log, drift, laplacian = terms(params, r)

    def f(x):  # one configuration
        return terms(params, x[None])[0][0]

    np.testing.assert_allclose(np.asarray(drift), np.asarray(jax.vmap(jax.grad(f))(r)),
                               rtol=1e-9, atol=1e-12)
    hessian = jax.vmap(jax.hessian(f))(r).reshape(len(r), r[0].size, r[0].size)
    np.testing.assert_allclose(np.asarray(laplacian),
                               np.asarray(jnp.trace(hessian, axis1=1, axis2=2)), rtol=1e-9)
    smooth = model.smooth.apply({"params": params["params"]["smooth"]}, r)
    np.testing.assert_allclose(np.asarray(apply(params, r) - smooth), np.asarray(drift),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["hydrogen", "helium", "helium-2d"])
def test_cusp_laplacian_cancels_the_coulomb_singularities(name):
    """Kato: −½Δf_c + V stays bounded where V diverges, at a nucleus and at coalescence."""
    system = CUSP_SYSTEMS[name]
    if name == "helium-2d":
        system = System(lambda r: -2.0 * jnp.sum(1 / jnp.linalg.norm(r, axis=-1))
                        + 1 / jnp.linalg.norm(r[0] - r[1]),
                        particles=2, dim=2, nuclei=[[0.0, 0.0]], nuclear_charges=[2.0],
                        particle_charge=-1.0)
    model, params, _ = build(system, SMALL64)
    rng = np.random.default_rng(10)
    base = rng.normal(size=(system.particles, system.dim))
    near = []
    for eps in (1e-4, 1e-7):
        r = base.copy()
        r[0] = eps * base[0] / np.linalg.norm(base[0])  # electron 0 at the nucleus
        near.append(r)
        if system.particles > 1:
            r = base.copy()
            r[1] = r[0] + eps * base[1] / np.linalg.norm(base[1])  # electrons coalesce
            near.append(r)
    r = jnp.asarray(np.stack(near))
    _, _, laplacian = model.apply(params, r, method="cusp_terms")
    V = jax.vmap(system.potential)(r)
    assert float(jnp.max(jnp.abs(V))) > 1e4  # really at the singularities
    assert float(jnp.max(jnp.abs(V - 0.5 * laplacian))) < 50


def test_pooled_pair_features_are_the_sum_over_the_other_particles():
    """S_im = Σ_{j≠i} exp(−|x_i − x_j|² w_m), against a plain double loop (the plane
    layout and the subtracted diagonal must not change the function)."""
    rng = np.random.default_rng(11)
    x, w = rng.normal(size=(3, 5, 2)), np.array([0.1, 1.0, 16.0])
    expected = np.zeros((3, 5, 3))
    for b in range(3):
        for i in range(5):
            for j in range(5):
                if j != i:
                    expected[b, i] += np.exp(-np.sum((x[b, i] - x[b, j]) ** 2) * w)
    np.testing.assert_allclose(np.asarray(pooled_pair_features(jnp.asarray(x),
                                                               jnp.asarray(w))),
                               expected, rtol=1e-12, atol=1e-14)
