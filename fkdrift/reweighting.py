"""The reweighted estimator of E0 itself: diffusion Monte Carlo guided by the learned drift.

Girsanov's theorem turns the Feynman–Kac average of the unguided process into
E_v[exp(−ℓ_T)] over paths of the drifted SDE, and E_v[exp(−ℓ_T + f(r_T) − f(r_0))] grows
like exp(−E0 T) for *any* function f (DESIGN §2.2 item 3). With f ≈ log φ0 (the boundary
function fitted in the variational evaluation) the weight of one resampling interval,
exp(−ℓ_τ + f(r_τ) − f(r_0)), is nearly constant, so a fixed population can be resampled
every interval with little noise: the boundary terms telescope, and the circulating part of
a non-gradient drift stays in the weights. The growth estimate of each interval,
E_i = −log⟨w⟩_i / τ, is averaged over intervals. The population is split into independent
groups (resampled only within themselves), so the group estimates are replicas whose
spread is the error bar and whose covariance across dt enters the dt → 0 fit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import jax
import numpy as np
from jaxtyping import Array, PRNGKeyArray

from .config import Config
from .errors import FkdriftError
from .evaluation import BasisFn, ChunkFn, early_stop
from .statistics import Extrapolation, extrapolate_dt, systematic_resample


@dataclass
class Reweighted:
    """Outcome of `reweighted_energy`.

    dts: (K,); energies, errors: (K,) growth estimates per dt with replica (group) errors;
    extrapolation: the dt → 0 fit; intervals: resampling intervals measured per chain;
    log_weight_std: (K,) mean spread of the log-weights per interval (a quality measure
    of the guiding drift: 0 for the exact drift); stop_reason: "reweighted_time",
    "target_error", "time_budget" or "max_eval_time"; wall_time: seconds.
    """

    dts: np.ndarray
    energies: np.ndarray
    errors: np.ndarray
    extrapolation: Extrapolation
    intervals: int
    log_weight_std: np.ndarray
    stop_reason: str
    wall_time: float


def _interval_step(
    ell: np.ndarray, f_old: np.ndarray, f_new: np.ndarray, interval: float, u: np.ndarray
) -> tuple[np.ndarray, float, np.ndarray]:
    """One resampling interval of one chain split into independent groups.

    ell, f_old, f_new: (groups, n); u: (groups,) resampling offsets. Returns the growth
    estimate of each group (groups,), the mean log-weight spread, and flat indices
    (groups * n,) that resample every group within itself.
    """
    log_w = -ell + f_new - f_old
    top = log_w.max(axis=1, keepdims=True)
    w = np.exp(log_w - top)
    growth = -(top[:, 0] + np.log(w.mean(axis=1))) / interval
    n = ell.shape[1]
    idx = np.concatenate([g * n + systematic_resample(wg, ug)
                          for g, (wg, ug) in enumerate(zip(w, u, strict=True))])
    return growth, float(log_w.std(axis=1).mean()), idx


def reweighted_energy(
    chunk: ChunkFn,
    params: dict,
    walkers: Array,
    key: PRNGKeyArray,
    config: Config,
    log_trial: BasisFn,
    on_chunk: Callable[[float, float, float], None] | None = None,
) -> Reweighted:
    """Run the guided, resampled populations at every dt and estimate E0 from their growth.

    The walkers of each chain are split into `config.reweighted_groups` populations that
    are resampled only within themselves, so their estimates are independent replicas:
    the error bar is their spread, with no assumption on time correlation, and the
    dt → 0 fit uses their covariance across chains (see `statistics.extrapolate_dt`).
    chunk: built by `make_evaluation_chunk` with chunk_time = config.resample_interval and
    uniform steps; walkers: (K, W, particles, dim) stationary walkers of each chain.
    With config.target_error > 0 it measures until the dt → 0 error bar is below it, the
    measured time reaches config.max_eval_time or the stage has run config.time_budget
    seconds, and says which in `stop_reason`.
    """
    interval = config.resample_interval
    n_burn = int(round(config.burn_in_time / interval))
    rng = np.random.default_rng(np.asarray(jax.random.key_data(key)).ravel())
    K, W = walkers.shape[:2]
    groups = config.reweighted_groups
    if 2 * groups > W:
        raise FkdriftError(
            f"reweighting needs at least 2 walkers per group: eval_walkers={W} < "
            f"2 * reweighted_groups={groups}"
        )
    W = W // groups * groups
    current = np.asarray(walkers)[:, :W]
    f_old = np.stack([log_trial(current[k]) for k in range(K)]).reshape(K, groups, -1)
    growth_sum = np.zeros((K, groups))
    spread_sum = np.zeros(K)
    adaptive = config.target_error > 0
    n_planned = max(1, round((config.max_eval_time if adaptive else config.reweighted_time)
                             / interval))
    check_every = max(1, round(1.0 / interval))
    start = time.perf_counter()
    reason, error, n_measure, i = "reweighted_time", float("nan"), 0, 0
    while n_measure < n_planned:
        current, f_old, growth, spread = _advance(
            chunk, params, current, f_old, jax.random.fold_in(key, i), log_trial, interval,
            rng.random(groups))  # one offset per group: groups must stay independent
        i += 1
        if i > n_burn:
            growth_sum += growth
            spread_sum += spread
            n_measure += 1
            if adaptive and n_measure % check_every == 0 and n_measure >= 4 * check_every:
                error = extrapolate_dt(config.eval_dts, growth_sum / n_measure).error
                if stop := early_stop(error, config, start):
                    reason = stop
                    break
        if on_chunk is not None:
            on_chunk(i * interval, (n_burn + n_planned) * interval, error)
    if adaptive and reason == "reweighted_time":
        reason = "max_eval_time"
    spread = spread_sum / n_measure
    per_group = growth_sum / n_measure
    return Reweighted(
        dts=np.asarray(config.eval_dts, float),
        energies=per_group.mean(axis=1),
        errors=per_group.std(axis=1, ddof=1) / np.sqrt(groups),
        extrapolation=extrapolate_dt(config.eval_dts, per_group),
        intervals=n_measure,
        log_weight_std=spread,
        stop_reason=reason,
        wall_time=time.perf_counter() - start,
    )


def _advance(chunk, params, walkers, f_old, key, log_trial, interval, u):
    """Move every chain one interval, weight, and resample each group within itself.

    walkers: (K, W, particles, dim); f_old: (K, groups, W/groups); u: (groups,), shared by
    the chains so that they stay correlated. Returns (walkers, f_old, growth: (K, groups),
    log-weight spread: (K,)).
    """
    new, ell, _, _ = chunk(params, walkers, key)
    K, groups = f_old.shape[:2]
    new, ell = np.array(new), np.asarray(ell).reshape(K, groups, -1)
    growth, spread = np.zeros((K, groups)), np.zeros(K)
    for k in range(K):
        f_new = log_trial(new[k]).reshape(groups, -1)
        growth[k], spread[k], idx = _interval_step(ell[k], f_old[k], f_new, interval, u)
        new[k], f_old[k] = new[k][idx], f_new.ravel()[idx].reshape(groups, -1)
    return new, f_old, growth, spread
