"""The reweighted estimator of E0 itself: diffusion Monte Carlo guided by the learned drift.

Girsanov's theorem turns the Feynman–Kac average of the unguided process into
E_v[exp(−ℓ_T)] over paths of the drifted SDE, and E_v[exp(−ℓ_T + f(r_T) − f(r_0))] grows
like exp(−E0 T) for *any* function f (DESIGN §2.2 item 3). With f ≈ log φ0 (the boundary
function fitted in the variational evaluation) the weight of one resampling interval,
exp(−ℓ_τ + f(r_τ) − f(r_0)), is nearly constant, so a fixed population can be resampled
every interval with little noise: the boundary terms telescope, and the circulating part of
a non-gradient drift stays in the weights. The growth estimate of each interval,
E_i = −log⟨w⟩_i / τ, is averaged over intervals, its error from 10 batch means; chains at several
dt are extrapolated to dt → 0 (treated as independent, which is conservative because
shared noise correlates them positively).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import jax
import numpy as np
from jaxtyping import Array, PRNGKeyArray

from .config import Config
from .evaluation import BasisFn, ChunkFn
from .statistics import Extrapolation, batch_means, fit_dt

BATCHES = 10


@dataclass
class Reweighted:
    """Outcome of `reweighted_energy`.

    dts: (K,); energies, errors: (K,) growth estimates per dt with batch-means errors;
    extrapolation: the dt → 0 fit; intervals: resampling intervals measured per chain;
    log_weight_std: (K,) mean spread of the log-weights per interval (a quality measure
    of the guiding drift: 0 for the exact drift); wall_time: seconds.
    """

    dts: np.ndarray
    energies: np.ndarray
    errors: np.ndarray
    extrapolation: Extrapolation
    intervals: int
    log_weight_std: np.ndarray
    wall_time: float


def systematic_resample(weights: np.ndarray, u: float) -> np.ndarray:
    """Indices of a systematic resample of len(weights) walkers; u ∈ [0, 1)."""
    n = len(weights)
    cdf = np.cumsum(weights / weights.sum())
    return np.minimum(np.searchsorted(cdf, (u + np.arange(n)) / n), n - 1)


def _interval_step(
    ell: np.ndarray, f_old: np.ndarray, f_new: np.ndarray, interval: float, u: float
) -> tuple[float, float, np.ndarray]:
    """Growth estimate, log-weight spread and resampling indices for one chain. ell: (W,)."""
    log_w = -ell + f_new - f_old
    top = log_w.max()
    w = np.exp(log_w - top)
    growth = -(top + np.log(w.mean())) / interval
    return growth, float(log_w.std()), systematic_resample(w, u)


def reweighted_energy(
    chunk: ChunkFn,
    params: dict,
    walkers: Array,
    key: PRNGKeyArray,
    config: Config,
    log_trial: BasisFn,
    on_chunk: Callable[[float, float, float], None] | None = None,
) -> Reweighted:
    """Run the guided, resampled population at every dt and estimate E0 from its growth.

    chunk: built by `make_evaluation_chunk` with chunk_time = config.resample_interval and
    uniform steps; walkers: (K, W, particles, dim) stationary walkers of each chain.
    """
    interval = config.resample_interval
    n_burn = int(round(config.burn_in_time / interval))
    n_measure = max(BATCHES, int(round(config.reweighted_time / interval)))
    rng = np.random.default_rng(np.asarray(jax.random.key_data(key)).ravel())
    K = walkers.shape[0]
    current = np.asarray(walkers)
    f_old = np.stack([log_trial(current[k]) for k in range(K)])
    series = np.zeros((K, n_measure))
    spread = np.zeros(K)
    start = time.perf_counter()
    for i in range(n_burn + n_measure):
        new, ell, _, _ = chunk(params, current, jax.random.fold_in(key, i))
        new, ell = np.array(new), np.asarray(ell)
        u = rng.random()  # common to all chains: keeps them correlated
        for k in range(K):
            f_new = log_trial(new[k])
            growth, std, idx = _interval_step(ell[k], f_old[k], f_new, interval, u)
            new[k], f_old[k] = new[k][idx], f_new[idx]
            if i >= n_burn:
                series[k, i - n_burn] = growth
                spread[k] += std / n_measure
        current = new
        if on_chunk is not None:
            on_chunk((i + 1) * interval, (n_burn + n_measure) * interval, float("nan"))
    stats = [batch_means(series[k], BATCHES) for k in range(K)]
    energies = np.array([m for m, _ in stats])
    errors = np.array([e for _, e in stats])
    return Reweighted(
        dts=np.asarray(config.eval_dts, float),
        energies=energies,
        errors=errors,
        extrapolation=fit_dt(config.eval_dts, energies, np.diag(errors**2)),
        intervals=n_measure,
        log_weight_std=spread,
        wall_time=time.perf_counter() - start,
    )
