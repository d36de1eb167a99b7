"""Error analysis: replica means, blocking, and the dt → 0 extrapolation.

All functions are plain NumPy on host arrays (they run once per report, not in a hot loop).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def replica_mean(samples: np.ndarray) -> tuple[float, float]:
    """Mean and standard error of independent replicas. samples: (n,)."""
    x = np.asarray(samples, float)
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(len(x)))


def blocking_error(series: np.ndarray, min_blocks: int = 16) -> tuple[float, float]:
    """Mean and standard error of a time-correlated series by Flyvbjerg–Petersen blocking.

    Blocks are halved until fewer than `min_blocks` remain; the error is the largest
    estimate of the plateau (conservative when the series is positively correlated).
    series: (n_times,).
    """
    x = np.asarray(series, float)
    mean = float(x.mean())
    errors = []
    while len(x) >= min_blocks:
        errors.append(x.std(ddof=1) / np.sqrt(len(x)))
        x = 0.5 * (x[: len(x) // 2 * 2 : 2] + x[1 : len(x) // 2 * 2 : 2])
    if not errors:
        return mean, float("nan")
    return mean, float(max(errors))


def systematic_resample(weights: np.ndarray, u: float) -> np.ndarray:
    """Indices of a systematic resample of len(weights) walkers; u ∈ [0, 1)."""
    n = len(weights)
    cdf = np.cumsum(weights / weights.sum())
    return np.minimum(np.searchsorted(cdf, (u + np.arange(n)) / n), n - 1)


@dataclass(frozen=True)
class Extrapolation:
    """Result of the correlated dt → 0 fit.

    energy, error: the extrapolated value and its standard error (the fit's statistical
    error, propagated through the chains' covariance). order: polynomial degree in dt that
    was used (1 = linear, 2 = quadratic). coefficients: (K,) weights with
    energy = coefficients · per_dt. curvature, curvature_error: the dt² coefficient of the
    quadratic fit (NaN with two chains); it decides the order. chi2: goodness of the
    chosen fit (NaN when it has no degrees of freedom).
    """

    energy: float
    error: float
    order: int
    coefficients: np.ndarray
    curvature: float
    curvature_error: float
    chi2: float


def _gls_weights(dts: np.ndarray, cov: np.ndarray, order: int) -> np.ndarray:
    """Rows of the generalised-least-squares estimator for a polynomial in dt. (order+1, K)"""
    X = np.vander(dts, order + 1, increasing=True)
    Cinv = np.linalg.inv(cov)
    A = X.T @ Cinv @ X
    return np.linalg.solve(A, X.T @ Cinv)


def extrapolate_dt(
    dts: np.ndarray, samples: np.ndarray, significance: float = 2.0
) -> Extrapolation:
    """Extrapolate correlated per-replica estimates to dt → 0.

    dts: (K,) time steps; samples: (K, n) estimate of each replica at each dt (replicas
    independent, chains at different dt correlated). A linear fit is used unless the
    quadratic term is resolved at `significance` standard errors (needs K >= 3).
    """
    samples = np.asarray(samples, float)
    n = samples.shape[1]
    return fit_dt(dts, samples.mean(axis=1), np.atleast_2d(np.cov(samples)) / n, significance)


def fit_dt(
    dts: np.ndarray, means: np.ndarray, cov: np.ndarray, significance: float = 2.0
) -> Extrapolation:
    """Generalised-least-squares extrapolation of estimates means: (K,) with covariance
    cov: (K, K) to dt → 0 (linear, or quadratic when its curvature is significant)."""
    dts = np.asarray(dts, float)
    means = np.asarray(means, float)
    K = len(dts)
    cov = np.asarray(cov, float) + np.eye(K) * 1e-12 * np.trace(cov) / K
    curvature = curvature_error = float("nan")
    order = 1
    if K >= 3:
        W2 = _gls_weights(dts, cov, 2)
        curvature = float(W2[2] @ means)
        curvature_error = float(np.sqrt(W2[2] @ cov @ W2[2]))
        if abs(curvature) > significance * curvature_error:
            order = 2
    W = _gls_weights(dts, cov, order)
    c = W[0]
    energy = float(c @ means)
    error = float(np.sqrt(max(c @ cov @ c, 0.0)))
    fit = np.vander(dts, order + 1, increasing=True) @ (W @ means)
    resid = means - fit
    chi2 = float(resid @ np.linalg.solve(cov, resid)) if order + 1 < K else float("nan")
    return Extrapolation(energy, error, order, c, curvature, curvature_error, chi2)
