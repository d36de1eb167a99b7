"""Error analysis: replica means, blocking of correlated series, correlated dt → 0 fits."""

import numpy as np
import pytest
from scipy.signal import lfilter

from fkdrift.statistics import blocking_error, extrapolate_dt, replica_mean

DTS = np.array([0.02, 0.01, 0.005])
E0 = -0.75


def correlated_replicas(rng, n, slope, curvature=0.0, dts=DTS):
    """(K, n) per-replica estimates E0 + slope·dt + curvature·dt² + noise, the noise of one
    replica strongly correlated across dt (one shared path), as in the evaluation."""
    common = rng.normal(size=n)  # shared by all dt: large, cancels in the differences
    own = rng.normal(size=(len(dts), n))
    noise = 0.5 * common + 0.05 * np.sqrt(dts / dts.min())[:, None] * own
    mean = E0 + slope * dts + curvature * dts**2
    return mean[:, None] + noise


def true_gls_error(order, n, dts=DTS):
    """Standard error of the GLS intercept for the exact covariance of `correlated_replicas`."""
    cov = 0.25 + np.diag(0.0025 * dts / dts.min())
    X = np.vander(dts, order + 1, increasing=True)
    Cinv = np.linalg.inv(cov)
    c = np.linalg.solve(X.T @ Cinv @ X, X.T @ Cinv)[0]
    return float(np.sqrt(c @ cov @ c / n))


def test_replica_mean():
    mean, err = replica_mean(np.array([1.0, 2.0, 3.0, 4.0]))
    assert mean == 2.5
    assert err == pytest.approx(np.sqrt(5.0 / 3.0) / 2.0, rel=1e-14)  # s²=5/3, n=4
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=10000)
    mean, err = replica_mean(x)
    assert err == pytest.approx(2.0 / 100.0, rel=0.05)
    assert abs(mean - 3.0) < 4 * err


@pytest.mark.parametrize(
    ("slope", "curvature", "order"),
    [(1.1, 0.0, 1), (-3.0, 0.0, 1), (1.1, 400.0, 2)],
    ids=["linear", "linear-negative-slope", "quadratic"],
)
def test_extrapolation_recovers_intercept(slope, curvature, order):
    rng = np.random.default_rng(1)
    fit = extrapolate_dt(DTS, correlated_replicas(rng, 4000, slope, curvature))
    assert fit.order == order
    assert abs(fit.energy - E0) < 3 * fit.error
    # the error bar is the GLS error for the true covariance of the synthetic replicas
    assert fit.error == pytest.approx(true_gls_error(order, 4000), rel=0.1)
    assert fit.coefficients.shape == (3,)
    assert np.isfinite(fit.curvature) and np.isfinite(fit.curvature_error)
    if order == 2:
        assert abs(fit.curvature - curvature) < 3 * fit.curvature_error


def test_linear_fit_weights_are_an_unbiased_extrapolator():
    """energy = c·means with Σc = 1 and Σ c·dt = 0 (exact for any straight line)."""
    rng = np.random.default_rng(2)
    samples = correlated_replicas(rng, 500, 1.0)
    fit = extrapolate_dt(DTS, samples, significance=np.inf)
    assert fit.order == 1
    assert fit.coefficients.sum() == pytest.approx(1.0, abs=1e-10)
    assert fit.coefficients @ DTS == pytest.approx(0.0, abs=1e-12)
    assert fit.energy == pytest.approx(fit.coefficients @ samples.mean(axis=1), abs=1e-14)
    c = fit.coefficients
    assert fit.error == pytest.approx(np.sqrt(c @ np.cov(samples) @ c / 500), rel=1e-6)
    assert np.isfinite(fit.chi2) and fit.chi2 >= 0


def test_two_chains_fit_a_line_through_both():
    rng = np.random.default_rng(3)
    dts = np.array([0.02, 0.01])
    samples = correlated_replicas(rng, 500, 2.0, dts=dts)
    fit = extrapolate_dt(dts, samples)
    means = samples.mean(axis=1)
    assert fit.order == 1
    assert np.isnan(fit.curvature) and np.isnan(fit.chi2)
    assert fit.energy == pytest.approx(2 * means[1] - means[0], abs=1e-12)  # Richardson
    np.testing.assert_allclose(fit.coefficients, [-1.0, 2.0], atol=1e-12)


@pytest.mark.parametrize(
    ("curvature", "n"), [(0.0, 400), (400.0, 400)], ids=["linear", "quadratic"]
)
def test_extrapolation_error_bar_has_nominal_coverage(curvature, n):
    """Over 200 synthetic repetitions |energy − E0| < error about 68% of the time."""
    rng = np.random.default_rng(4)
    reps = 200
    hits, orders = 0, []
    z = []
    for _ in range(reps):
        fit = extrapolate_dt(DTS, correlated_replicas(rng, n, 1.1, curvature))
        hits += abs(fit.energy - E0) < fit.error
        orders.append(fit.order)
        z.append((fit.energy - E0) / fit.error)
    coverage = hits / reps
    assert 0.55 <= coverage <= 0.80, coverage
    assert abs(np.mean(z)) < 4 / np.sqrt(reps)  # no bias in units of the error bar
    if curvature:
        assert np.mean(np.array(orders) == 2) > 0.95


def test_error_bar_uses_the_cross_dt_covariance():
    """Anticorrelated vs correlated chains change the extrapolation error as GLS predicts."""
    rng = np.random.default_rng(5)
    n = 2000
    base = rng.normal(size=n)
    together = np.stack([base, base + 0.01 * rng.normal(size=n)])
    apart = np.stack([base, rng.normal(size=n)])
    dts = np.array([0.02, 0.01])
    # Richardson 2·E(0.01) − E(0.02): correlated noise mostly cancels
    assert extrapolate_dt(dts, together).error == pytest.approx(1 / np.sqrt(n), rel=0.1)
    assert extrapolate_dt(dts, apart).error == pytest.approx(np.sqrt(5 / n), rel=0.1)


def ar1(rng, n, rho, sigma):
    """Stationary AR(1) series with marginal standard deviation sigma."""
    eps = rng.normal(size=n) * sigma * np.sqrt(1 - rho**2)
    eps[0] = sigma * rng.normal()  # stationary start
    return lfilter([1.0], [1.0, -rho], eps)  # x_t = rho x_{t-1} + eps_t


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9], ids=lambda r: f"rho={r}")
@pytest.mark.parametrize("seed", [0, 1])
def test_blocking_error_matches_ar1_theory(rho, seed):
    rng = np.random.default_rng(seed)
    n, sigma = 2**18, 1.5
    x = ar1(rng, n, rho, sigma) + 4.0
    mean, err = blocking_error(x)
    exact = sigma / np.sqrt(n) * np.sqrt((1 + rho) / (1 - rho))
    assert err == pytest.approx(exact, rel=0.25)
    assert mean == pytest.approx(x.mean(), rel=1e-14)
    assert abs(mean - 4.0) < 5 * exact
    if rho > 0:  # a naive standard error would be far too small
        assert x.std(ddof=1) / np.sqrt(n) < 0.7 * exact


def test_blocking_error_of_a_too_short_series_is_nan():
    mean, err = blocking_error(np.arange(10.0))
    assert mean == 4.5
    assert np.isnan(err)
