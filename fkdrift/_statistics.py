"""Error analysis: replica means, autocorrelation times, and the dt → 0 extrapolation.

All functions are plain NumPy on host arrays (they run once per report, not in a hot loop).
The model of the dt → 0 fit is fixed in advance (quadratic whenever three or more time
steps are given), never chosen from the data: a model picked because its extra term was
"significant" reports the error of the chosen model alone and under-covers exactly when
the curvature is marginal (see docs/error-bars.md for the measured coverage).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def cluster_means(values: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Means of values: (K, W) over the walkers of each cluster label clusters: (W,).

    Walkers that share a starting point (copies of one training walker) are not
    independent; the cluster means are. Returns (K, C) for the C distinct labels."""
    labels, index = np.unique(np.asarray(clusters), return_inverse=True)
    sums = np.zeros((values.shape[0], len(labels)))
    np.add.at(sums, (slice(None), index), values)
    return sums / np.bincount(index)


MIN_INTEGRATED_TIME = 0.05
"""Floor of `integrated_time`: anticorrelation may shrink the variance of a mean at most
tenfold below the uncorrelated value."""


def integrated_time(series: np.ndarray, window_factor: float = 5.0) -> float:
    """Integrated autocorrelation time τ = ½ + Σ_{l≥1} ρ_l of series: (M,), in steps,
    with Sokal's self-consistent window (the smallest w with w ≥ window_factor·τ(w)), so
    Var(mean) = σ²·2τ/M. Batch means need blocks many times τ long; on a series of a
    few hundred intervals that leaves too few blocks (the reweighted bars came out 30–40%
    too small with 32 blocks on a series with τ ≈ 3). τ may be below ½: consecutive
    reweighting intervals share a boundary term f(r) with opposite signs, so their growths
    are anticorrelated (lag-1 ρ ≈ −0.15 on the N = 3 bosons) and their sum telescopes;
    clamping τ at ½ overstated those error bars. Floored at `MIN_INTEGRATED_TIME`."""
    x = np.asarray(series, float) - np.mean(series)
    n = len(x)
    if n < 2 or not np.any(x):
        return 0.5
    spectrum = np.fft.rfft(x, 2 * n)
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    tau = np.cumsum(acf / acf[0]) - 0.5  # τ(w) = ½ + Σ_{l=1..w} ρ_l
    window = next((w for w in range(1, n) if w >= window_factor * tau[w]), n - 1)
    return float(max(tau[window], MIN_INTEGRATED_TIME))


def chi2_sf(chi2: float, dof: int) -> float:
    """P(X ≥ chi2) for X ~ χ² with `dof` degrees of freedom (NaN without a dof)."""
    if dof < 1 or not np.isfinite(chi2):
        return float("nan")
    # regularized upper incomplete gamma Q(dof/2, chi2/2) by its series/continued fraction
    from jax.scipy.special import gammaincc

    return float(gammaincc(dof / 2.0, max(chi2, 0.0) / 2.0))


@dataclass(frozen=True)
class Extrapolation:
    """Result of the correlated dt → 0 fit.

    energy, error: the extrapolated value and its standard error (propagated through the
    chains' covariance, inflated for a covariance estimated from few samples).
    order: polynomial degree in dt (2 with three or more time steps, 1 with two; fixed in
    advance). coefficients: (K,) weights with energy = coefficients · per_dt.
    curvature, curvature_error: the dt² coefficient (NaN with two chains).
    chi2, dof, p_value: goodness of fit (NaN and 0 without spare degrees of freedom); a
    small p_value says the polynomial does not describe the per-dt values (steps too
    large for the model): the result then carries a warning.
    """

    energy: float
    error: float
    order: int
    coefficients: np.ndarray
    curvature: float
    curvature_error: float
    chi2: float
    dof: int = 0
    p_value: float = float("nan")


def gls_weights(dts: np.ndarray, cov: np.ndarray, order: int) -> np.ndarray:
    """Rows of the generalised-least-squares estimator for a polynomial in dt: (order+1, K);
    row 0 are the dt → 0 extrapolation coefficients. dts: (K,); cov: (K, K)."""
    X = np.vander(dts, order + 1, increasing=True)
    Cinv = np.linalg.inv(cov)
    A = X.T @ Cinv @ X
    return np.linalg.solve(A, X.T @ Cinv)


def extrapolate_dt(dts: np.ndarray, samples: np.ndarray, order: int | None = None
                   ) -> Extrapolation:
    """Extrapolate correlated per-replica estimates to dt → 0.

    dts: (K,) time steps; samples: (K, n) estimate of each of n independent replicas at
    each dt (chains at different dt correlated). The covariance of the means is estimated
    from the n replicas and the error accounts for that (see `fit_dt`). order: the
    polynomial's degree (default `fit_order`; 0 for estimates with no dt dependence, a
    weighted mean with a χ² check of K − 1 degrees of freedom).
    """
    samples = np.asarray(samples, float)
    n = samples.shape[1]
    return fit_dt(dts, samples.mean(axis=1), np.atleast_2d(np.cov(samples)) / n, samples=n,
                  order=order)


def fit_order(n_dts: int) -> int:
    """Polynomial degree of the dt → 0 fit through n_dts time steps: 2 from three on."""
    return min(2, n_dts - 1)


def fit_dt(dts: np.ndarray, means: np.ndarray, cov: np.ndarray,
           samples: int | None = None, order: int | None = None) -> Extrapolation:
    """Generalised-least-squares extrapolation of estimates means: (K,) with covariance
    cov: (K, K) to dt → 0 with the polynomial of degree `order` (default `fit_order(K)`;
    at most K − 1).

    samples: how many independent samples the covariance was estimated from (None: known
    exactly). GLS with an estimated covariance scatters more than its nominal error; the
    error is scaled by √((n − 1)/(n − K − 1)) (the Wishart correction), which keeps the
    pulls at unit width down to a few tens of samples.
    """
    dts = np.asarray(dts, float)
    means = np.asarray(means, float)
    K = len(dts)
    cov = np.asarray(cov, float) + np.eye(K) * 1e-12 * np.trace(cov) / K
    order = fit_order(K) if order is None else min(order, K - 1)
    W = gls_weights(dts, cov, order)
    c = W[0]
    energy = float(c @ means)
    error = float(np.sqrt(max(c @ cov @ c, 0.0)))
    if samples is not None and samples > K + 1:
        error *= math.sqrt((samples - 1) / (samples - K - 1))
    curvature = curvature_error = float("nan")
    if order == 2:
        curvature = float(W[2] @ means)
        curvature_error = float(np.sqrt(W[2] @ cov @ W[2]))
    dof = K - order - 1
    chi2 = float("nan")
    if dof > 0:
        resid = means - np.vander(dts, order + 1, increasing=True) @ (W @ means)
        chi2 = float(resid @ np.linalg.solve(cov, resid))
    return Extrapolation(energy, error, order, c, curvature, curvature_error, chi2, dof,
                         chi2_sf(chi2, dof))
