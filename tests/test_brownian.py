"""LatticeBrownianPath: increment law, the shared-lattice property, reproducibility."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fkdrift._brownian import LatticeBrownianPath

SHAPE = (4000, 2, 3)


def _path(spacing, substeps, key=0, shape=SHAPE):
    return LatticeBrownianPath(shape, jax.random.key(key), spacing, substeps)


@pytest.mark.parametrize(
    ("spacing", "substeps"),
    [(0.01, 1), (0.005, 4), (0.2, 3)],
    ids=["h=0.01-m=1", "h=0.005-m=4", "h=0.2-m=3"],
)
def test_increment_variance_is_dt(spacing, substeps):
    path = _path(spacing, substeps)
    dt = spacing * substeps
    dB = np.asarray(path.evaluate(7 * dt, 8 * dt))
    assert dB.shape == SHAPE
    assert dB.dtype == np.float64
    n = dB.size  # 24000 samples: the sample variance has relative error sqrt(2/n) ~ 0.9%
    assert abs(dB.mean()) < 4 * np.sqrt(dt / n)
    ratio = dB.var() / dt
    assert abs(ratio - 1.0) < 4 * np.sqrt(2 / n)  # a sqrt(m) or m mis-scaling fails by far
    # Gaussian: excess kurtosis ~ 0
    kurt = np.mean(dB**4) / dB.var() ** 2 - 3
    assert abs(kurt) < 4 * np.sqrt(24 / n)


def test_increments_of_different_steps_are_independent():
    path = _path(0.01, 2, shape=(20000,))
    a = np.asarray(path.evaluate(0.0, 0.02))
    b = np.asarray(path.evaluate(0.02, 0.04))
    c = np.asarray(_path(0.01, 2, key=1, shape=(20000,)).evaluate(0.0, 0.02))
    for other in (b, c):
        corr = np.corrcoef(a, other)[0, 1]
        assert abs(corr) < 4 / np.sqrt(len(a))


@pytest.mark.parametrize("m", [2, 3, 4, 5], ids=lambda m: f"substeps={m}")
@pytest.mark.parametrize("start", [0, 6, 1001], ids=lambda s: f"cell={s}")
def test_coarse_step_is_sum_of_fine_cells(m, start):
    h = 0.005
    coarse = _path(h, m, shape=(3, 2, 2))
    fine = _path(h, 1, shape=(3, 2, 2))
    t = start * h
    big = coarse.evaluate(t, t + m * h)
    cells = jnp.stack([fine.evaluate(t + i * h, t + (i + 1) * h) for i in range(m)])
    np.testing.assert_array_equal(np.asarray(coarse.cell_increments(start)), np.asarray(cells))
    np.testing.assert_array_equal(np.asarray(big), np.asarray(jnp.sum(cells, axis=0)))
    # and the summation order is irrelevant to working precision
    np.testing.assert_allclose(np.asarray(big), np.asarray(sum(cells)), rtol=0, atol=1e-14)


def test_step_start_is_rounded_to_the_lattice():
    """A start time a few ulps off the lattice (as accumulated times are) gives the same cell."""
    path = _path(0.01, 1, shape=(5,))
    exact = path.evaluate(0.3, 0.31)
    off = path.evaluate(0.1 + 0.2, 0.31)  # 0.30000000000000004
    np.testing.assert_array_equal(np.asarray(exact), np.asarray(off))
    assert not np.allclose(np.asarray(exact), np.asarray(path.evaluate(0.29, 0.3)))


def test_reevaluation_gives_identical_noise():
    path = _path(0.01, 2, shape=(7, 1, 3))
    first = np.asarray(path.evaluate(0.04, 0.06))
    again = np.asarray(path.evaluate(0.04, 0.06))
    evaluate = jax.jit(lambda p: p.evaluate(0.04, 0.06))
    jitted = np.asarray(evaluate(path))
    rebuilt = np.asarray(_path(0.01, 2, shape=(7, 1, 3)).evaluate(0.04, 0.06))
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(jitted, np.asarray(evaluate(path)))
    # compiled and eager code may fuse the scaling differently: equal to the last ulp
    np.testing.assert_allclose(jitted, first, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(first, rebuilt)
    other_key = np.asarray(_path(0.01, 2, key=3, shape=(7, 1, 3)).evaluate(0.04, 0.06))
    assert not np.allclose(first, other_key)


def test_noise_is_not_differentiated_through_time():
    path = _path(0.01, 1, shape=(3,))
    grad = jax.grad(lambda t: jnp.sum(path.evaluate(t, t + 0.01)))(0.05)
    assert float(grad) == 0.0


def test_evaluate_requires_an_interval():
    with pytest.raises(ValueError, match="increments"):
        _path(0.01, 1, shape=(3,)).evaluate(0.0)
