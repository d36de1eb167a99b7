"""Error analysis: replica means, blocking of correlated series, correlated dt → 0 fits."""

import numpy as np
import pytest
from scipy.signal import lfilter

from fkdrift._statistics import (
    chi2_sf,
    cluster_means,
    extrapolate_dt,
    fit_order,
    gls_weights,
    integrated_time,
)

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


FOUR = np.array([0.04, 0.02, 0.01, 0.005])


@pytest.mark.parametrize(("dts", "order"), [(DTS[:2], 1), (DTS, 2), (FOUR, 2)],
                         ids=["two-steps", "three-steps", "four-steps"])
def test_fit_order_is_fixed_by_the_number_of_steps(dts, order):
    """The model never depends on the data: a line through two steps, a parabola from
    three on, whatever the curvature."""
    rng = np.random.default_rng(1)
    for curvature in (0.0, 400.0):
        fit = extrapolate_dt(dts, correlated_replicas(rng, 4000, 1.0, curvature, dts))
        assert fit.order == order == fit_order(len(dts))
        if order == 2 or curvature == 0:
            assert abs(fit.energy - E0) < 4 * fit.error
        assert fit.error == pytest.approx(true_gls_error(order, 4000, dts), rel=0.1)
    assert fit.dof == len(dts) - order - 1
    assert np.isfinite(fit.chi2) == (fit.dof > 0)


def test_fit_weights_are_an_unbiased_extrapolator():
    """energy = c·means with Σc = 1, Σ c·dt = 0 and Σ c·dt² = 0 (exact for a parabola)."""
    fit = extrapolate_dt(FOUR, correlated_replicas(np.random.default_rng(2), 500, 1.0, 0.0,
                                                    FOUR))
    c = fit.coefficients
    assert c.sum() == pytest.approx(1.0, abs=1e-10)
    assert c @ FOUR == pytest.approx(0.0, abs=1e-12)
    assert c @ FOUR**2 == pytest.approx(0.0, abs=1e-12)


def chains(rng, reps, n, rho, curvature_sigmas, dts=FOUR):
    """reps × (K, n) replicas of chains correlated at rho whose mean bends with a
    curvature of `curvature_sigmas` standard errors of the fitted dt² coefficient."""
    K = len(dts)
    cov = np.full((K, K), rho) + (1 - rho) * np.eye(K)
    W = gls_weights(dts, cov / n, 2)
    curvature = curvature_sigmas * np.sqrt(W[2] @ (cov / n) @ W[2])
    L = np.linalg.cholesky(cov)
    mean = E0 + 3.0 * dts + curvature * dts**2
    return mean[None, :, None] + np.einsum("ij,rjn->rin", L, rng.normal(size=(reps, K, n)))


@pytest.mark.parametrize("rho", [0.5, 0.9], ids=lambda r: f"rho={r}")
@pytest.mark.parametrize("curvature_sigmas", [0, 1, 2, 5], ids=lambda c: f"curvature={c}sigma")
def test_extrapolation_pulls_are_unit_normal(curvature_sigmas, rho):
    """Coverage of the dt → 0 error bar over 2000 synthetic runs, for curvatures the old
    2σ model selection got wrong (mean pull −1.4 to −1.7 at 1–2σ). A bar 25% too small
    gives a pull width of 1.25, a 1σ bias a mean of 1: both fail by > 10 standard errors."""
    rng = np.random.default_rng(int(10 * rho) + curvature_sigmas)
    pulls = np.array([(f.energy - E0) / f.error for f in
                      (extrapolate_dt(FOUR, x) for x in chains(rng, 2000, 64, rho,
                                                               curvature_sigmas))])
    assert abs(pulls.mean()) < 0.08, pulls.mean()
    assert 0.92 < pulls.std() < 1.08, pulls.std()
    assert 0.64 < np.mean(np.abs(pulls) < 1) < 0.72


@pytest.mark.parametrize("n", [16, 32], ids=lambda n: f"{n}-replicas")
def test_few_replicas_get_the_wishart_correction(n):
    """GLS with a covariance estimated from n replicas scatters more than its nominal error
    (pull width 1.14–1.28 for 16 replicas uncorrected); the corrected bars have width 1."""
    rng = np.random.default_rng(n)
    pulls = np.array([(f.energy - E0) / f.error for f in
                      (extrapolate_dt(FOUR, x) for x in chains(rng, 3000, n, 0.5, 1))])
    assert abs(pulls.mean()) < 0.06
    assert 0.93 < pulls.std() < 1.07, pulls.std()


def test_chi2_flags_a_model_that_does_not_fit():
    """A cubic dt dependence far beyond the parabola gives p < 0.01; a parabola passes
    (p uniform: below 0.01 in about 1% of runs)."""
    rng = np.random.default_rng(7)
    good = [extrapolate_dt(FOUR, x).p_value for x in chains(rng, 1000, 400, 0.5, 1)]
    assert 0.002 < np.mean(np.array(good) < 0.01) < 0.025
    assert 0.45 < np.mean(np.array(good) < 0.5) < 0.55
    bent = correlated_replicas(rng, 4000, 1.0, 0.0, FOUR) + (3e5 * FOUR**3)[:, None]
    assert extrapolate_dt(FOUR, bent).p_value < 1e-3


def test_chi2_survival_function_matches_scipy():
    from scipy.stats import chi2

    for x, k in [(0.5, 1), (3.84, 1), (7.0, 2), (12.0, 5)]:
        assert chi2_sf(x, k) == pytest.approx(chi2.sf(x, k), rel=1e-6)
    assert np.isnan(chi2_sf(1.0, 0))


def test_cluster_means_average_each_label():
    values = np.array([[1.0, 2.0, 3.0, 5.0]])
    np.testing.assert_allclose(cluster_means(values, np.array([0, 1, 0, 1])), [[2.0, 3.5]])


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
def test_integrated_time_matches_ar1_theory(rho, seed):
    """AR(1): τ = ½ + Σ ρ^l = (1 + ρ)/(2(1 − ρ)); the naive error would be far too small."""
    x = ar1(np.random.default_rng(seed), 2**16, rho, 1.5)
    assert integrated_time(x) == pytest.approx((1 + rho) / (2 * (1 - rho)), rel=0.15)


def test_integrated_time_sees_anticorrelation():
    """x_t = e_t − θ e_{t−1} (a boundary term shared by neighbours with opposite signs):
    ρ_1 = −θ/(1 + θ²), τ = ½ + ρ_1 = 0.1 at θ = ½: the variance of the mean is 5× below
    the uncorrelated value, and clamping τ at ½ would overstate the error √5 times."""
    e = np.random.default_rng(3).normal(size=2**16 + 1)
    x = e[1:] - 0.5 * e[:-1]
    assert integrated_time(x) == pytest.approx(0.1, abs=0.02)


def test_integrated_time_of_a_constant_series():
    assert integrated_time(np.full(100, 2.0)) == 0.5
