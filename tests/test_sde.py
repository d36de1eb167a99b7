"""integrate_window against a hand-written Euler–Maruyama loop, and the exact Euler chain
of the harmonic well."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fkdrift._brownian import LatticeBrownianPath
from fkdrift._sde import integrate_window

integrate_window_jit = eqx.filter_jit(integrate_window)


def window_with_moments(drift, potential, r0, key, *, jit=False, **kw):
    """(r_T, ell, q, t) of a window: its end also holds the elapsed time t and the noise
    moments q = Σ(ΔB² − dt)."""
    run = integrate_window_jit if jit else integrate_window
    end = run(drift, potential, r0, key, **kw)
    return end.r, end.ell, end.q, end.t


A = jnp.array([0.7, 1.3, 0.9])  # per-axis confinement of the linear test drift
B = jnp.array([0.2, -0.1, 0.05])  # and its offset
K = 1.7  # V = ½ K |r|²


def linear_drift(r):
    return -A * r + B


def quadratic_potential(r):  # one configuration (particles, dim)
    return 0.5 * K * jnp.sum(r**2)


def reference_euler(drift, potential, r0, key, dt, n_steps, substeps):
    """Plain Itô Euler–Maruyama with the increments rebuilt from the lattice cells."""
    path = LatticeBrownianPath(r0.shape, key, dt / substeps, substeps)
    firsts = substeps * jnp.arange(n_steps)
    increments = np.asarray(jax.vmap(path.cell_increments)(firsts).sum(axis=1))
    r = np.asarray(r0, float)
    ell = np.zeros(r.shape[0])
    q = np.zeros_like(r)
    t = np.zeros(r.shape[0])
    for dB in increments:
        h = np.full((r.shape[0], 1, 1), dt)
        v = np.asarray(drift(jnp.asarray(r)))
        V = np.asarray(jax.vmap(potential)(jnp.asarray(r)))
        rate = 0.5 * np.sum(v**2, axis=(-2, -1)) + V
        ell = ell + rate * h[:, 0, 0] + np.sum(v * dB, axis=(-2, -1))
        q = q + dB**2 - h
        t = t + h[:, 0, 0]
        r = r + v * h + dB
    return r, ell, q, t


@pytest.mark.parametrize(
    ("dt", "n_steps", "substeps"),
    [(0.01, 25, 1), (0.05, 7, 3)],
    ids=["dt=0.01-m=1", "dt=0.05-m=3"],
)
def test_matches_hand_written_euler_maruyama(dt, n_steps, substeps):
    key = jax.random.key(11)
    r0 = jax.random.normal(jax.random.key(1), (6, 2, 3))
    r_T, ell, q, t = window_with_moments(
        linear_drift, quadratic_potential, r0, key, jit=True,
        dt=dt, n_steps=n_steps, substeps=substeps,
    )
    r_ref, ell_ref, q_ref, _ = reference_euler(
        linear_drift, quadratic_potential, r0, key, dt, n_steps, substeps
    )
    assert r_T.shape == r0.shape and ell.shape == (6,) and q.shape == r0.shape
    assert r_T.dtype == ell.dtype == q.dtype == jnp.float64
    np.testing.assert_allclose(np.asarray(r_T), r_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(ell), ell_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(q), q_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(t), n_steps * dt, rtol=1e-13)


def test_chains_at_different_dt_share_the_brownian_path():
    """With zero drift r_T − r_0 is the Brownian increment over the window: identical for a
    chain of steps m·h and one of steps h when both use the same key."""
    key = jax.random.key(21)
    r0 = jnp.zeros((50, 1, 2))
    zero = jnp.zeros_like
    h, T_cells = 0.005, 24
    ends = [
        integrate_window_jit(zero, quadratic_potential, r0, key,
                             dt=m * h, n_steps=T_cells // m, substeps=m)[0]
        for m in (1, 3, 4)
    ]
    for other in ends[1:]:
        np.testing.assert_allclose(np.asarray(other), np.asarray(ends[0]), rtol=0, atol=1e-13)
    var = float(jnp.var(ends[0]))
    assert 0.5 * T_cells * h < var < 2.0 * T_cells * h
    # and a different key gives a different path
    other_key = integrate_window_jit(zero, quadratic_potential, r0, jax.random.key(22),
                                     dt=h, n_steps=T_cells, substeps=1)[0]
    assert not np.allclose(np.asarray(other_key), np.asarray(ends[0]))


@pytest.mark.parametrize("checkpoints", [15, 4, None], ids=["every-step", "four", "default"])
def test_ell_gradient_is_pathwise_with_the_ito_sum_detached(checkpoints):
    """d mean ℓ_T / d a for v = −a r equals a central difference of the path integral of
    the rate ½|v|² + V along the Euler path (the Itô sum Σ v·ΔB is zero-mean for every a
    and is detached from the gradient by design), and its value is unchanged."""
    key = jax.random.key(4)
    r0 = jax.random.normal(jax.random.key(9), (8, 1, 1))
    dt, n = 0.02, 15
    dB = LatticeBrownianPath(r0.shape, key, dt, n).cell_increments(0)

    def mean_ell(a):
        ell = integrate_window(lambda r: -a * r, quadratic_potential, r0, key,
                               dt=dt, n_steps=n, checkpoints=checkpoints).ell
        return jnp.mean(ell)

    def mean_rate_integral(a):
        r, total = r0, 0.0
        for k in range(n):
            v = -a * r
            total = total + (0.5 * jnp.sum(v**2, (1, 2)) + jax.vmap(quadratic_potential)(r)) * dt
            r = r + v * dt + dB[k]
        return jnp.mean(total)

    value_and_grad = jax.jit(jax.value_and_grad(mean_ell))
    _, g = value_and_grad(1.1)
    eps = 1e-5
    fd = (mean_rate_integral(1.1 + eps) - mean_rate_integral(1.1 - eps)) / (2 * eps)
    assert np.isfinite(float(g))
    assert float(g) == pytest.approx(float(fd), rel=1e-6)
    full_fd = (value_and_grad(1.1 + eps)[0] - value_and_grad(1.1 - eps)[0]) / (2 * eps)
    assert abs(float(full_fd) - float(g)) > 1e-3  # the Itô sum's derivative is really gone


@pytest.mark.parametrize(
    ("omega", "dt"), [(1.0, 0.1), (2.0, 0.05)], ids=["omega=1-dt=0.1", "omega=2-dt=0.05"]
)
def test_exact_drift_gives_the_euler_chain_energy(omega, dt):
    """For v = −ω r and V = ½ω² r² in 1D, the Euler chain r' = (1 − ω dt) r + ΔB has the
    stationary variance s = 1/(ω(2 − ω dt)) and E[ℓ_T]/T = ω² s = ω/(2 − ω dt) exactly
    (E0 = ω/2 only as dt → 0)."""
    walkers, n_steps = 16384, 40
    s = 1.0 / (omega * (2.0 - omega * dt))
    r0 = np.sqrt(s) * jax.random.normal(jax.random.key(0), (walkers, 1, 1))
    r_T, ell, q, _ = window_with_moments(
        lambda r: -omega * r,
        lambda r: 0.5 * omega**2 * jnp.sum(r**2),
        r0, jax.random.key(1), jit=True, dt=dt, n_steps=n_steps,
    )
    T = n_steps * dt
    per_walker = np.asarray(ell) / T
    # Σ(ΔB² − dt) is an exactly zero-mean control variate: use it to sharpen the test
    control = np.asarray(q).reshape(walkers) / T
    beta = np.cov(per_walker, control)[0, 1] / np.var(control, ddof=1)
    corrected = per_walker - beta * control
    mean = corrected.mean()
    err = corrected.std(ddof=1) / np.sqrt(walkers)
    exact_chain = omega / (2.0 - omega * dt)
    assert abs(mean - exact_chain) < 4 * err
    # the test resolves the time-step bias: the continuum value ω/2 is far outside
    assert abs(mean - omega / 2) > 8 * err
    assert abs(np.mean(np.asarray(q))) < 4 * np.sqrt(2 * n_steps) * dt / np.sqrt(walkers)
    # the walkers stay in the Euler chain's stationary law
    var_T = float(np.var(np.asarray(r_T)))
    assert var_T == pytest.approx(s, rel=4 * np.sqrt(2 / walkers))


def hydrogen_cusp(r):
    """f = −|r|, ∇f = −r̂, Δf = −2/|r| (3D) for r: (walkers, 1, 3)."""
    dist = jnp.linalg.norm(r, axis=-1)  # (walkers, 1)
    return -dist[:, 0], -r / dist[..., None], -2.0 / dist[:, 0]


def coulomb(r):
    return -1.0 / jnp.linalg.norm(r)


@pytest.mark.parametrize("dt", [0.05, 0.005], ids=["dt=0.05", "dt=0.005"])
def test_cusp_form_of_ell_is_exact_for_the_hydrogen_ground_state(dt):
    """With the cusp part taken through Itô's formula, the exact hydrogen drift v = −r̂
    gives the rate ½ − 1 + 1/r − 1/r = −½ and no noise term in every step: ℓ is exactly
    −½T − (|r_T| − |r_0|) on every path and at every dt, however close a walker comes to
    the nucleus. The plain form has the −dt/|r| spikes of V and the Itô sum instead."""
    r0 = 0.7 * jax.random.normal(jax.random.key(3), (256, 1, 3))
    n_steps = round(0.5 / dt)

    def drift(r):
        return hydrogen_cusp(r)[1]

    kw = dict(dt=dt, n_steps=n_steps)
    r_T, ell, *_ = integrate_window_jit(drift, coulomb, r0, jax.random.key(8), cusp=hydrogen_cusp,
                                    **kw)
    T = n_steps * dt
    boundary = np.linalg.norm(np.asarray(r_T), axis=-1)[:, 0] - np.linalg.norm(
        np.asarray(r0), axis=-1)[:, 0]
    np.testing.assert_allclose(np.asarray(ell), -0.5 * T - boundary, rtol=0, atol=1e-10)
    r_plain, ell_plain, *_ = integrate_window_jit(drift, coulomb, r0, jax.random.key(8), **kw)
    np.testing.assert_array_equal(np.asarray(r_plain), np.asarray(r_T))  # same path
    assert np.std(np.asarray(ell_plain) + boundary) > 10 * np.std(np.asarray(ell) + boundary)


def test_cusp_form_matches_a_hand_written_loop():
    """The rewritten rate ½|v|² − v_c·v − ½Δf_c + V and noise (v − v_c)·ΔB, plus the
    boundary f_c(r_T) − f_c(r_0), for a drift with a smooth non-gradient part."""
    key = jax.random.key(13)
    r0 = jax.random.normal(jax.random.key(7), (6, 1, 3))
    dt, n_steps = 0.02, 9

    def drift(r):
        return hydrogen_cusp(r)[1] + linear_drift(r)

    _, ell, *_ = integrate_window_jit(drift, coulomb, r0, key, dt=dt, n_steps=n_steps,
                                  cusp=hydrogen_cusp)
    dB = np.asarray(jax.vmap(LatticeBrownianPath(r0.shape, key, dt, 1).cell_increments)(
        jnp.arange(n_steps)).sum(axis=1))
    r, ref = np.asarray(r0, float), -np.asarray(hydrogen_cusp(r0)[0])
    for step in dB:
        f, v_c, lap = (np.asarray(x) for x in hydrogen_cusp(jnp.asarray(r)))
        v = np.asarray(drift(jnp.asarray(r)))
        V = -1.0 / np.linalg.norm(r, axis=(-2, -1))
        rate = 0.5 * np.sum(v**2, (1, 2)) - np.sum(v_c * v, (1, 2)) - 0.5 * lap + V
        ref = ref + rate * dt + np.sum((v - v_c) * step, (1, 2))
        r = r + v * dt + step
    ref = ref + np.asarray(hydrogen_cusp(jnp.asarray(r))[0])
    np.testing.assert_allclose(np.asarray(ell), ref, rtol=0, atol=1e-11)
