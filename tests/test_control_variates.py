"""Cross-fitted control variates: unbiased, variance-reducing; the boundary basis."""

import numpy as np
import pytest

from fkdrift._control_variates import boundary_basis, cross_fitted_correction


def in_sample_correction(values, controls):
    """The naive estimator the cross-fitting avoids: coefficients fitted on the same walkers."""
    X = controls - controls.mean(axis=0)
    coef, *_ = np.linalg.lstsq(X, values - values.mean(), rcond=None)
    return values - controls @ coef


@pytest.mark.parametrize("folds", [2, 3])
def test_correction_is_unbiased_where_in_sample_fitting_is_not(folds):
    """values = x² with x the zero-mean control: E[values] = 1. Fitting the coefficient on
    the same walkers correlates it with their controls and biases the mean by ≈ −3/W;
    cross-fitting must not."""
    rng = np.random.default_rng(0)
    reps, W = 3000, 24
    x = rng.normal(size=(reps, W, 1))
    values = x[..., 0] ** 2
    raw = values.mean(axis=1)
    corrected = np.array([cross_fitted_correction(v, c, folds).mean()
                          for v, c in zip(values, x, strict=True)])
    naive = np.array([in_sample_correction(v, c).mean() for v, c in zip(values, x, strict=True)])
    err = corrected.std(ddof=1) / np.sqrt(reps)
    assert abs(corrected.mean() - 1.0) < 4 * err
    assert abs(raw.mean() - 1.0) < 4 * raw.std(ddof=1) / np.sqrt(reps)
    # the test has the power to see the in-sample bias
    naive_err = naive.std(ddof=1) / np.sqrt(reps)
    assert naive.mean() - 1.0 < -5 * naive_err


def test_mean_is_kept_for_correlated_controls():
    """Over repetitions the corrected mean equals the raw mean (and the truth) within error."""
    rng = np.random.default_rng(1)
    reps, W, M = 400, 200, 4
    beta = np.array([2.0, -1.0, 0.5, 0.0])
    diffs = []
    for _ in range(reps):
        c = rng.normal(size=(W, M))
        v = 1.5 + c @ beta + 0.3 * rng.normal(size=W) * (1 + c[:, 0] ** 2)
        diffs.append(cross_fitted_correction(v, c).mean() - v.mean())
    diffs = np.asarray(diffs)
    # raw − corrected is (mean controls)·coef: zero-mean
    assert abs(diffs.mean()) < 4 * diffs.std(ddof=1) / np.sqrt(reps)


@pytest.mark.parametrize("M", [1, 5], ids=lambda m: f"controls={m}")
def test_variance_is_reduced_for_correlated_controls(M):
    rng = np.random.default_rng(2)
    W = 4000
    c = rng.normal(size=(W, M))
    beta = np.linspace(1.0, 2.0, M)
    v = 0.5 + c @ beta + 0.2 * rng.normal(size=W)
    out = cross_fitted_correction(v, c)
    assert out.shape == (W,)
    assert np.var(out) == pytest.approx(0.04, rel=0.1)  # only the uncorrelated part is left
    assert np.var(out) < 0.05 * np.var(v)
    assert abs(out.mean() - 0.5) < 4 * 0.2 / np.sqrt(W)


def test_uncorrelated_controls_do_not_add_variance():
    rng = np.random.default_rng(3)
    W = 4000
    c = rng.normal(size=(W, 3))
    v = rng.normal(size=W)
    out = cross_fitted_correction(v, c)
    assert np.var(out) < 1.01 * np.var(v)


@pytest.mark.parametrize(
    ("shape", "nuclei", "pairs", "M"),
    [
        ((7, 1, 1), None, False, 1 + 1 + 2),  # x, x², x³, x⁴
        ((7, 1, 3), None, False, 3 + 6 + 6),
        ((7, 2, 3), None, False, 6 + 21 + 12),
        ((7, 1, 3), np.zeros((1, 3)), False, 3 + 6 + 6 + 1),
        ((7, 2, 3), np.array([[0, 0, -0.7], [0, 0, 0.7]]), True, 6 + 21 + 12 + 4 + 1),
        ((7, 3, 2), None, True, 6 + 21 + 12 + 3),
        ((7, 1, 2), None, True, 2 + 3 + 4),  # one particle: no pair distances
    ],
    ids=["1p-1d", "1p-3d", "2p-3d", "hydrogen", "h2-pairs", "3bosons-2d", "1p-pairs"],
)
def test_boundary_basis_shapes(shape, nuclei, pairs, M):
    r = np.random.default_rng(4).normal(size=shape)
    f = boundary_basis(r, nuclei, pairs)
    assert f.shape == (shape[0], M)
    assert np.all(np.isfinite(f))


def test_boundary_basis_columns():
    r = np.random.default_rng(5).normal(size=(4, 2, 3))
    nuclei = np.array([[0.0, 0.0, 1.0]])
    f = boundary_basis(r, nuclei, pairs=True)
    x = r.reshape(4, 6)
    np.testing.assert_array_equal(f[:, :6], x)
    i, j = np.triu_indices(6)
    np.testing.assert_allclose(f[:, 6:27], x[:, i] * x[:, j])
    np.testing.assert_allclose(f[:, 27:33], x**3)
    np.testing.assert_allclose(f[:, 33:39], x**4)
    np.testing.assert_allclose(f[:, 39:41], np.linalg.norm(r - nuclei, axis=-1))
    np.testing.assert_allclose(f[:, 41], np.linalg.norm(r[:, 0] - r[:, 1], axis=-1))
