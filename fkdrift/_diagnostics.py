"""Health checks of a run: conditions that make an energy untrustworthy.

Two kinds: *fatal* ones (walkers that escape to infinity or turn non-finite: the
potential is unbounded below or the steps cross a singular core) raise `FkdriftError`
before anything is written; the others become one-line warnings that the CLI prints and
the result stores (`Result.info["warnings"]`). Thresholds are in `docs/error-bars.md`.
"""

from __future__ import annotations

import numpy as np

from ._errors import FkdriftError
from ._sharding import to_host

P_VALUE = 0.01
"""A dt → 0 fit with a χ² p-value below this does not describe its per-dt values."""
LOG_WEIGHT_SPREAD = 1.0
"""Spread of the log-weights per resampling interval above which the guide is poor."""
ESCAPE_FACTOR = {"training": 20.0, "evaluation": 1.25, "reweighting": 2.0}
"""Growth of the walkers' RMS radius that means escape: during training from the initial
Gaussian; during evaluation, which starts from the stationary training walkers (a
stationary law keeps its radius; free diffusion alone grows it like √t); and from the
evaluation's walkers to the reweighted population (whose mixed law φ0·ψ may be wider
than ψ², by √1.5 for a drift three times too strong on a harmonic well)."""
TAIL_SHARE = 0.25
"""A replica that carries this share of the variance of all replicas makes the error bar
uncertain (heavy tails: one rare path dominates)."""
FATAL_TAIL_SIGMAS = 200.0
"""A replica this many robust standard deviations from the median means paths that cross
a singular core (an inverse-power repulsion): no estimate is returned."""
FATAL_DRIFT_SIGMAS = 6.0
"""A reweighted growth that changes by this many standard errors between the halves of
the run has no stationary state (walkers escaping: a potential unbounded below)."""


def effective_walkers(log_weight_std: np.ndarray, walkers: int) -> float:
    """Effective population W·exp(−σ²) of log-normal weights with log-spread σ (the
    smallest over chains). Below one walker per interval one path carries the whole
    population: the reweighted estimate is meaningless and no result is returned."""
    return float(walkers * np.exp(-np.max(log_weight_std) ** 2))


def check_walkers(stage: str, before: np.ndarray, after: np.ndarray,
                  values: np.ndarray | None = None) -> None:
    """Raise FkdriftError when walkers: (..., particles, dim) or values became non-finite
    or the RMS radius grew by ESCAPE_FACTOR[stage] from `before` to `after`."""
    before, after, values = to_host((before, after, values))
    if not np.all(np.isfinite(after)) or (values is not None
                                          and not np.all(np.isfinite(values))):
        raise FkdriftError(
            f"{stage}: walkers or path integrals became non-finite; the potential may be "
            "unbounded below or singular (a repulsive core the steps cross). No result "
            "was written")
    r0, r1 = _rms_radius(before), _rms_radius(after)
    if r1 > ESCAPE_FACTOR.get(stage, np.inf) * max(r0, 1e-3):
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


def _robust_distance(x: np.ndarray) -> float:
    """Largest |x − median| in units of the normal-consistent median absolute deviation."""
    mad = 1.4826 * np.median(np.abs(x - np.median(x)))
    spread = np.max(np.abs(x - np.median(x)))
    return float(spread / mad) if mad > 0 else (0.0 if spread == 0 else float("inf"))


def check_estimates(per_replica: np.ndarray, log_weight_std: np.ndarray | None,
                    drift_sigmas: float = 0.0, walkers: int = 1) -> None:
    """Raise FkdriftError when the estimates are meaningless: a replica FATAL_TAIL_SIGMAS
    robust σ out, a reweighted growth that drifts (FATAL_DRIFT_SIGMAS), or reweighting
    weights that degenerate (`effective_walkers` below one). per_replica: (n,) the finest
    chain's replica estimates; log_weight_std: (K,) or None; walkers: population size."""
    distance = _robust_distance(np.asarray(per_replica, float))
    if distance > FATAL_TAIL_SIGMAS:
        raise FkdriftError(
            f"evaluation: one replica lies {distance:.3g} robust sigma from the others: paths "
            "cross a singular region of the potential (an inverse-power core?), so no "
            "energy can be trusted; soften the core or smaller steps. No result was written")
    if abs(drift_sigmas) > FATAL_DRIFT_SIGMAS:
        raise FkdriftError(
            f"reweighting: the growth rate drifts by {drift_sigmas:+.3g} sigma between the "
            "halves of the run, so the population has no stationary state: the potential "
            "is probably unbounded below (or burn_in_time is far too short). No result "
            "was written")
    if log_weight_std is not None and effective_walkers(log_weight_std, walkers) < 1:
        raise FkdriftError(
            f"reweighting: the log-weights spread by {np.max(log_weight_std):.3g} per "
            f"resampling interval, so one walker of {walkers} carries the population and its "
            "growth is no estimate; the potential may be unbounded below or singular, or "
            "the drift needs training. No result was written")


def heavy_tail_warnings(label: str, per_replica: np.ndarray) -> list[str]:
    """A warning when one replica carries TAIL_SHARE of the replicas' variance.
    per_replica: (n,) the finest chain's per-replica estimates."""
    x = np.asarray(per_replica, float)
    squares = (x - x.mean()) ** 2
    share = float(squares.max() / squares.sum()) if squares.sum() > 0 else 0.0
    if share > TAIL_SHARE:
        return [f"{label}: one of {len(x)} replicas carries {share:.0%} of the variance "
                "(heavy tails): the error bar itself is uncertain; measure longer"]
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
