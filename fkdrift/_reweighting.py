"""The reweighted estimator of E0 itself: diffusion Monte Carlo guided by the learned drift.

Girsanov's theorem turns the Feynman–Kac average of the unguided process into
E_v[exp(−ℓ_T)] over paths of the drifted SDE, and E_v[exp(−ℓ_T + f(r_T) − f(r_0))] grows
like exp(−E0 T) for *any* function f whose e^f is normalisable (docs/method.md §4). With
f ≈ log φ0 (the boundary function fitted in the variational evaluation) the weight of one
resampling interval, w = exp(−ℓ_τ + f(r_τ) − f(r_0)), is nearly constant, so one fixed
population per time step is resampled every interval with little noise: the boundary
terms telescope, and the circulating part of a non-gradient drift stays in the weights.

Estimator. With systematic resampling the product of the interval means,
Ẑ_T = Π_i ⟨w⟩_i, is an unbiased estimate of the Feynman–Kac normalisation for any
population size (the particle-filter identity), so the population-control bias of the
growth estimate ḡ = −log Ẑ_T / T = mean_i(−log⟨w⟩_i / τ) is Jensen's alone:
E[ḡ] − E0 ≈ Var(log Ẑ_T) / (2T) = T·Var(ḡ)/2. It is measured from the data and
subtracted. The whole population enters every interval's mean (a population split into G
groups has a G times larger bias); the error bar comes from the series over time with its
integrated autocorrelation time (`statistics.integrated_time`), and the covariance of the
K chains feeds the dt → 0 fit.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, PRNGKeyArray

from ._config import ReweightingConfig, StoppingConfig
from ._evaluation import ChunkFn, TrialFunction, run_stage
from ._sharding import to_host
from ._statistics import Extrapolation, fit_dt, fit_order, gls_weights, integrated_time


@dataclass
class Reweighted:
    """Outcome of `reweighted_energy`.

    dts: (K,); energies, errors: (K,) growth estimates per dt (population-bias corrected)
    with their batch-means errors; extrapolation: the dt → 0 fit;
    population_bias: (K,) the Jensen bias T·Var(ḡ)/2 that was subtracted;
    independent_samples: M/(2τ), the effective count behind the covariance;
    intervals: resampling intervals measured;
    log_weight_std: (K,) mean spread of the log-weights per interval (a quality measure
    of the guiding drift: 0 for the exact drift); drift_sigmas: change of the dt → 0
    growth between the halves of the run, in standard errors (see `drift_sigmas`);
    stop_reason: "reweighted_time",
    "target_error", "time_budget" or "max_eval_time"; wall_time: seconds;
    walkers: (K, W, particles, dim) the final populations (a device array).
    """

    dts: np.ndarray
    energies: np.ndarray
    errors: np.ndarray
    extrapolation: Extrapolation
    population_bias: np.ndarray
    independent_samples: int
    intervals: int
    log_weight_std: np.ndarray
    drift_sigmas: float
    stop_reason: str
    wall_time: float
    walkers: Array


@dataclass
class GrowthEstimate:
    """Per-dt growth estimates from a series of interval growths (see `growth_estimate`)."""

    energies: np.ndarray
    errors: np.ndarray
    population_bias: np.ndarray
    samples: int
    extrapolation: Extrapolation
    drift_sigmas: float


def growth_estimate(dts: np.ndarray, series: np.ndarray, interval: float,
                    order: int | None = None) -> GrowthEstimate:
    """E0 per dt and at dt → 0 from interval growths series: (M, K), one row per
    resampling interval of length `interval`, one column per chain.

    Means are over all M intervals, minus the Jensen bias T·Var(ḡ)/2 (T = M·interval).
    Variances of the means carry the integrated autocorrelation time (`integrated_time`)
    of each chain's series; the covariance of the chains, scaled by that of the dt → 0
    combination, feeds the fit, whose error is then that of the combination's series.
    order: the degree of the dt → 0 polynomial (default `statistics.fit_order`)."""
    series = np.asarray(series, float)
    dts = np.asarray(dts, float)
    M, K = series.shape
    naive = np.atleast_2d(np.cov(series.T)) / M + 1e-30 * np.eye(K)
    order = fit_order(K) if order is None else min(order, K - 1)
    combination = gls_weights(dts, naive, order)[0]
    tau = integrated_time(series @ combination)
    variances = np.diag(naive) * 2 * np.array([integrated_time(x) for x in series.T])
    bias = 0.5 * M * interval * variances
    energies = series.mean(axis=0) - bias
    samples = max(int(M / (2 * tau)), K + 2)
    return GrowthEstimate(energies, np.sqrt(variances), bias, samples,
                          fit_dt(dts, energies, naive * 2 * tau, samples=samples,
                                 order=order),
                          drift_sigmas(series @ combination))


def drift_sigmas(series: np.ndarray) -> float:
    """(second-half mean − first-half mean) of series: (M,) in standard errors (each half's
    with its own integrated autocorrelation time): about N(0, 1) for a stationary
    population, large when it has no stationary state (escaping walkers)."""
    half = len(series) // 2
    parts = (series[:half], series[half:])
    if half < 4:
        return 0.0
    error = np.sqrt(sum(np.var(x) * 2 * integrated_time(x) / len(x) for x in parts))
    return float((parts[1].mean() - parts[0].mean()) / error) if error > 0 else 0.0


class Population(NamedTuple):
    """The guided populations on the device: walkers: (K, W, particles, dim), one population
    per time step; f: (K, W) their boundary function f(r)."""

    walkers: Array
    f: Array


class Interval(NamedTuple):
    """What one interval measured, per chain: growth −log⟨w⟩/τ: (K,) and the spread of
    the log-weights: (K,). The only numbers the host reads while the stage runs."""

    growth: Array
    spread: Array


def systematic_resample(log_w: Array, u: Array) -> Array:
    """Indices: (W,) of a systematic resample of W walkers with log-weights log_w: (W,);
    u ∈ [0, 1) the offset of the comb."""
    n = log_w.shape[0]
    w = jnp.exp(log_w - log_w.max())
    cdf = jnp.cumsum(w / w.sum())
    return jnp.minimum(jnp.searchsorted(cdf, (u + jnp.arange(n)) / n), n - 1)


@functools.lru_cache(maxsize=16)  # a fitted boundary is a new function each run
def _weighing(log_trial: Callable[[Any, Array], Array], interval: float):
    """The jitted weigh-measure-resample half of `make_population_step` (cached per
    boundary function and interval)."""
    boundary = jax.vmap(log_trial, in_axes=(None, 0))  # over the K chains

    @jax.jit
    def init(trial_params: Any, walkers: Array) -> Population:
        walkers = jnp.asarray(walkers)
        return Population(walkers, boundary(trial_params, walkers))

    @jax.jit
    def weigh(trial_params: Any, f_old: Array, new: Array, ell: Array, u: Array
              ) -> tuple[Population, Interval]:
        f_new = boundary(trial_params, new)
        log_w = -ell + f_new - f_old
        top = log_w.max(axis=1)
        growth = -(top + jnp.log(jnp.mean(jnp.exp(log_w - top[:, None]), axis=1))) / interval
        idx = jax.vmap(systematic_resample, in_axes=(0, None))(log_w, u)
        picked = Population(jnp.take_along_axis(new, idx[:, :, None, None], axis=1),
                            jnp.take_along_axis(f_new, idx, axis=1))
        return picked, Interval(growth, log_w.std(axis=1))

    return init, weigh


def make_population_step(chunk: ChunkFn, log_trial: Callable[[Any, Array], Array],
                         interval: float):
    """The reweighted stage as a pure `(init, update)` pair of device computations.

    init(trial_params, walkers: (K, W, particles, dim)) -> Population
    update(params, trial_params, population, key, index, u) -> (Population, Interval):
        move every chain one interval with the compiled `chunk` (key fold_in(key, index)),
        then, in one jitted step, weight each walker by w = exp(−ℓ_τ + f(r_τ) − f(r_0)),
        measure, and resample each chain's population with the shared comb offset u (so
        the chains stay correlated).
    Walkers never leave the device. The chunk is the one the variational stage already
    compiled; only the small weighing step compiles here (once per boundary function).
    """
    init, weigh = _weighing(log_trial, interval)

    def update(params: dict, trial_params: Any, population: Population, key: PRNGKeyArray,
               index: int, u: float) -> tuple[Population, Interval]:
        new, ell, _, _ = chunk(params, population.walkers, jax.random.fold_in(key, index))
        return weigh(trial_params, population.f, new, ell, u)

    return init, update


class ReweightingState(NamedTuple):
    """Where a reweighted run stands (checkpointed between intervals).

    walkers: (K, W, particles, dim) the populations and f_old: (K, W) their boundary
    function (device arrays while running; host arrays from a checkpoint); intervals:
    intervals run (burn-in included); series, spreads: the measured interval growths and
    log-weight spreads, one (K,) host row per interval (tuples, appended without copying;
    (M, K) arrays after a checkpoint); error: the last checked dt → 0 error bar;
    stop_reason: "" while running; seconds: wall time spent.
    """

    walkers: Array
    f_old: Array
    intervals: int
    series: tuple[np.ndarray, ...] | np.ndarray
    spreads: tuple[np.ndarray, ...] | np.ndarray
    error: float = float("nan")
    stop_reason: str = ""
    seconds: float = 0.0


def _offsets(key: PRNGKeyArray, skip: int) -> np.random.Generator:
    """The generator of the resampling offsets (one per interval), after `skip` draws."""
    rng = np.random.default_rng(jax.device_get(jax.random.key_data(key)).ravel())
    if skip:
        rng.random(skip)
    return rng


def reweighted_energy(
    chunk: ChunkFn,
    params: dict,
    walkers: Array,
    key: PRNGKeyArray,
    log_trial: TrialFunction,
    *,
    dts: tuple[float, ...],
    burn_in_time: float,
    config: ReweightingConfig,
    stopping: StoppingConfig,
    on_chunk: Callable[[float, float, float], None] | None = None,
    deadline: float = math.inf,
    state: ReweightingState | None = None,
    on_state: Callable[[ReweightingState], None] | None = None,
    order: int | None = None,
) -> Reweighted:
    """Run one guided, resampled population per dt and estimate E0 from its growth.

    chunk: built by `make_evaluation_chunk` with chunk_time = config.resample_interval and
    the steps `dts`: (K,); walkers: (K, W, particles, dim) stationary walkers of each
    chain; log_trial: the boundary function f ≈ log φ0 (a `TrialFunction`: the gradient
    drift's log ψ or the fit of the variational stage); burn_in_time: time run before
    measuring. The populations stay on the device (`make_population_step`); per interval
    the host reads the (K,) growths and spreads and draws the comb offset.
    The chains share the Brownian path and the resampling offsets, so they stay
    correlated and the dt → 0 fit is precise. With stopping.target_error > 0 or a
    `deadline` (perf_counter seconds) it measures until the dt → 0 error bar is below the
    target, the measured time reaches stopping.max_eval_time or the deadline passes (checked
    once 64 intervals are measured, the fewest that give the error bar), and says which in
    `stop_reason`. state: a `ReweightingState` to continue from (a checkpoint; same key and
    config); on_state(state) is called at the start, after every interval and at the end
    (before `on_chunk`, which may raise an interrupt). order: the degree of the dt → 0
    fit (default `statistics.fit_order`; 1 for Metropolis-adjusted moves).
    """
    interval = config.resample_interval
    n_burn = int(round(burn_in_time / interval))
    init, update = make_population_step(chunk, log_trial.apply, interval)
    trial_params = jax.device_put(log_trial.params)  # once, not every interval
    if state is None:
        population = init(trial_params, walkers)
        state = ReweightingState(population.walkers, population.f, 0, (), ())
        if on_state is not None:
            on_state(state)
    rng = _offsets(key, state.intervals)
    adaptive = stopping.target_error > 0 or math.isfinite(deadline)
    n_planned = max(1, round((stopping.max_eval_time if adaptive else config.reweighted_time)
                             / interval))
    check_every = max(1, round(1.0 / interval))

    def advance(state: ReweightingState) -> ReweightingState:
        population, measured = update(params, trial_params,
                                      Population(state.walkers, state.f_old), key,
                                      state.intervals, rng.random())
        series, spreads = state.series, state.spreads
        if state.intervals >= n_burn:
            growth, spread = to_host(measured)
            series, spreads = (*series, growth), (*spreads, spread)
        return state._replace(walkers=population.walkers, f_old=population.f,
                              intervals=state.intervals + 1, series=series, spreads=spreads)

    def check(state: ReweightingState) -> float | None:
        n = len(state.series)
        if (adaptive and state.intervals > n_burn and n % check_every == 0
                and n >= max(64, 4 * check_every)):
            return growth_estimate(dts, state.series, interval, order).extrapolation.error
        return None

    def report(state: ReweightingState) -> None:
        if on_chunk is not None:
            on_chunk(state.intervals * interval, (n_burn + n_planned) * interval, state.error)

    state = run_stage(state, advance, check, lambda s: len(s.series) >= n_planned,
                      stopping.target_error, deadline, on_state, report,
                      "max_eval_time" if adaptive else "reweighted_time", check_every)
    return summarize_reweighting(state, dts, interval, order)


def summarize_reweighting(state: ReweightingState, dts: tuple[float, ...],
                          interval: float, order: int | None = None) -> Reweighted:
    """The `Reweighted` estimate of a finished (or stopped) run with steps dts: (K,),
    resampling `interval` and dt → 0 fit of degree `order`."""
    est = growth_estimate(dts, state.series, interval, order)
    return Reweighted(
        dts=np.asarray(dts, float),
        energies=est.energies,
        errors=est.errors,
        extrapolation=est.extrapolation,
        population_bias=est.population_bias,
        independent_samples=est.samples,
        intervals=len(state.series),
        log_weight_std=np.mean(state.spreads, axis=0),
        drift_sigmas=est.drift_sigmas,
        stop_reason=state.stop_reason,
        wall_time=state.seconds,
        walkers=state.walkers,
    )
