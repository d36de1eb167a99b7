"""Health checks of a run: conditions that make an energy untrustworthy.

Two kinds: *fatal* ones (walkers that escape to infinity or turn non-finite: the
potential is unbounded below or the steps cross a singular core) raise `FkdriftError`
before anything is written; the others become one-line warnings that the CLI prints and
the result stores (`Result.info["warnings"]`). Thresholds are in `docs/error-bars.md`.
"""

from __future__ import annotations

import numpy as np

from .errors import FkdriftError

P_VALUE = 0.01
"""A dt → 0 fit with a χ² p-value below this does not describe its per-dt values."""
LOG_WEIGHT_SPREAD = 1.0
"""Spread of the log-weights per resampling interval above which the guide is poor."""
ESCAPE_FACTOR = 20.0
"""Walkers whose RMS radius grows by this factor during evaluation are escaping."""
TAIL_SIGMAS = 12.0
"""A replica farther than this many robust standard deviations from the median makes the
estimate heavy-tailed (one rare path dominating the mean)."""


def check_walkers(stage: str, before: np.ndarray, after: np.ndarray,
                  values: np.ndarray | None = None) -> None:
    """Raise FkdriftError when walkers: (..., particles, dim) or values became non-finite
    or the RMS radius grew by ESCAPE_FACTOR from `before` to `after`."""
    if not np.all(np.isfinite(after)) or (values is not None
                                          and not np.all(np.isfinite(values))):
        raise FkdriftError(
            f"{stage}: walkers or path integrals became non-finite; the potential may be "
            "unbounded below or singular (a repulsive core the steps cross). No result "
            "was written")
    r0, r1 = _rms_radius(before), _rms_radius(after)
    if r1 > ESCAPE_FACTOR * max(r0, 1.0):
        raise FkdriftError(
            f"{stage}: the walkers escape to infinity (RMS radius {r0:.3g} -> {r1:.3g}); "
            "the potential is probably unbounded below, so there is no ground state. "
            "No result was written")


def _rms_radius(walkers: np.ndarray) -> float:
    x = np.asarray(walkers, float)
    return float(np.sqrt(np.mean(np.sum(x.reshape(-1, x.shape[-2] * x.shape[-1]) ** 2, 1))))


def fit_warnings(label: str, p_value: float, chi2: float, dof: int) -> list[str]:
    """A warning when the dt → 0 polynomial does not describe the per-dt values."""
    if np.isfinite(p_value) and p_value < P_VALUE:
        return [f"{label} dt->0 fit: chi2 = {chi2:.1f} for {dof} dof (p = {p_value:.1e}); "
                "the per-dt values are not quadratic in dt: use smaller eval_dts"]
    return []


def heavy_tail_warnings(label: str, per_replica: np.ndarray) -> list[str]:
    """A warning when one replica lies TAIL_SIGMAS robust σ from the median.
    per_replica: (n,) the finest chain's per-replica estimates."""
    x = np.asarray(per_replica, float)
    mad = 1.4826 * np.median(np.abs(x - np.median(x)))
    if mad > 0 and np.max(np.abs(x - np.median(x))) > TAIL_SIGMAS * mad:
        worst = float(np.max(np.abs(x - np.median(x))) / mad)
        return [f"{label}: heavy-tailed replicas (one lies {worst:.0f} robust sigma from "
                "the median); the error bar may not be reliable (singular potential?)"]
    return []


def reweighting_warnings(variational: tuple[float, float], reweighted: tuple[float, float],
                         log_weight_std: np.ndarray, population_bias: np.ndarray,
                         errors: np.ndarray) -> list[str]:
    """Warnings on the reweighted estimate: above the variational bound beyond its errors,
    a poor guide, a population bias as large as the error bar."""
    out = []
    (ev, sv), (er, sr) = variational, reweighted
    z = (er - ev) / np.hypot(sv, sr)
    if z > 2:
        out.append(f"the reweighted E0 lies {z:.1f} sigma above the variational upper "
                   "bound: one of the two estimates is biased")
    if np.max(log_weight_std) > LOG_WEIGHT_SPREAD:
        out.append(f"log-weight spread {np.max(log_weight_std):.2f} per resampling interval: "
                   "the drift guides the population poorly (train longer)")
    if np.any(np.abs(population_bias) > errors):
        out.append("the population-control correction exceeds the error bar: use more "
                   "eval_walkers")
    return out
