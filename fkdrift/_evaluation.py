"""Forward-only evaluation on stationary walkers, at several correlated time steps.

Each chain k runs with step dt_k on one shared Brownian lattice (spacing min dt), so the
differences between chains are resolved cheaply and the dt → 0 extrapolation is precise.
Each walker is an independent replica: its time-averaged ℓ/T is one sample, so the spread
over walkers gives a standard error that already contains all time correlation.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, PRNGKeyArray

from ._config import EvaluationConfig, StoppingConfig
from ._control_variates import cross_fitted_correction, fit_coefficients
from ._distributed import agreed_now
from ._drift import analytic_cusps
from ._sde import PotentialFn, integrate_window
from ._sharding import to_host
from ._statistics import Extrapolation, cluster_means, extrapolate_dt

ChunkFn = Callable[[dict, Array, PRNGKeyArray], tuple[Array, Array, Array, Array]]
BasisFn = Callable[..., np.ndarray]
"""f(r): (W, particles, dim) -> (W, M), basis of boundary control variates (with a keyword
`powers` to leave out its cubic and quartic columns, see `control_variates`); NumPy in,
NumPy out, and traceable by JAX."""


class TrialFunction(NamedTuple):
    """The boundary function f(r) ≈ log φ0(r) + const that guides the reweighted stage, as
    a pure function and its arrays: apply(params, r: (W, particles, dim)) -> (W,).

    For a gradient drift apply is its log ψ and params the network's parameters; for a
    free drift apply is the boundary basis times params, the coefficients fitted in the
    variational stage (`fit_log_trial`). Calling it evaluates f(r)."""

    apply: Callable[[Any, Array], Array]
    params: Any

    def __call__(self, r: Array) -> Array:
        return self.apply(self.params, r)


def _fitted_boundary(basis: BasisFn, powers: bool, coef: Array, r: Array) -> Array:
    """basis(r) · coef: (W,) for r: (W, particles, dim)."""
    return basis(r, powers=powers) @ coef


def make_evaluation_chunk(
    model: nn.Module, potential: PotentialFn, dts: tuple[float, ...], chunk_time: float,
    cusp: Callable[[dict, Array], tuple[Array, Array, Array]] | None = None,
) -> ChunkFn:
    """Build the jitted chunk: chain k advances `chunk_time` with step dts[k], all on one
    shared Brownian lattice of spacing min(dts) (each step a whole number of cells).

    chunk(params, walkers: (K, W, particles, dim), key) -> (walkers, ell: (K, W),
        t: (K, W) elapsed time, q: (K, W, particles, dim) noise moments).
    cusp(params, r) -> (f_c, ∇f_c, Δf_c) (see `sde.CuspFn`) has its Itô sum taken through
    Itô's formula, which keeps ℓ free of the Coulomb spikes of V; it defaults to the
    analytic cusps of a `CuspDrift` model. Any f_c gives the same ℓ as dt → 0.
    """
    lattice = min(dts)
    if cusp is None:
        cusp = analytic_cusps(model)

    @jax.jit
    def chunk(params: dict, walkers: Array, key: PRNGKeyArray) -> tuple[Array, ...]:
        def drift(r: Array) -> Array:
            return model.apply(params, r)

        def cusp_terms(r: Array) -> tuple[Array, Array, Array]:
            return cusp(params, r)

        outs = [
            integrate_window(
                drift, potential, walkers[k], key,
                dt=dt, n_steps=round(chunk_time / dt), substeps=round(dt / lattice),
                cusp=None if cusp is None else cusp_terms,
            )
            for k, dt in enumerate(dts)
        ]
        return tuple(jnp.stack(parts) for parts in zip(*outs, strict=True))

    return chunk


@dataclass
class Evaluation:
    """Outcome of `evaluate`.

    dts: (K,); energies, errors: (K,) variational estimate at each dt;
    raw_energies, raw_errors: (K,) the same without the boundary control variates;
    extrapolation: the dt → 0 fit (over replica means); per_walker: (K, W) time-averaged
    ℓ/T per walker (control variates applied); per_replica: (K, n) their means over each
    replica (the independent samples behind the error bars);
    measured_time: mean physical time per walker that was averaged (finest chain);
    samples: (n, particles, dim) snapshots of the finest chain;
    walkers: (K, W, particles, dim) final positions (a device array);
    stop_reason: "eval_time", "target_error" or "time_budget"; wall_time: seconds;
    log_trial: the fitted boundary function f ≈ log φ0 (ℓ − E t ≈ f(r_T) − f(r_0)), a
    `TrialFunction` of r: (W, particles, dim) -> (W,), or None without a basis.
    """

    dts: np.ndarray
    energies: np.ndarray
    errors: np.ndarray
    raw_energies: np.ndarray
    raw_errors: np.ndarray
    extrapolation: Extrapolation
    per_walker: np.ndarray
    per_replica: np.ndarray
    measured_time: float
    samples: np.ndarray
    walkers: Array
    stop_reason: str
    wall_time: float
    log_trial: TrialFunction | None = None


def early_stop(error: float, target: float, deadline: float, step: float = 0.0) -> str | None:
    """"target_error" once `error` is below `target`, "time_budget" once the agreed clock
    (`distributed.agreed_now`) would pass a finite `deadline` before the next check,
    `step` seconds from now, else None."""
    if error < target:
        return "target_error"
    if math.isfinite(deadline) and agreed_now() + step > deadline:
        return "time_budget"
    return None


CHECK_TIME = 1.6
"""Measured time between the error-bar checks of an anytime variational stage."""


def _chunks(span: float, chunk_time: float) -> int:
    return max(1, math.ceil(span / chunk_time - 1e-9))


def _per_walker(sums: np.ndarray, noise: np.ndarray, times: np.ndarray, walkers0: np.ndarray,
                walkers: np.ndarray, basis: BasisFn | None, replicas: np.ndarray,
                reference: int) -> np.ndarray:
    """(K, W) per-walker ℓ/t with control variates: the noise moments (K, W, M') and,
    when a basis is given, the boundary differences of the basis. times: (K, W).
    One set of coefficients, cross-fitted over folds of whole replicas on the chain
    `reference` (the finest), corrects every chain (see `cross_fitted_correction`)."""
    raw = sums / times
    K, W = raw.shape
    controls = [noise.reshape(K, W, -1) / times[..., None]]
    if basis is not None:
        controls.append(np.stack([basis(walkers[k]) - basis(walkers0[k]) for k in range(K)])
                        / times[..., None])
    return cross_fitted_correction(raw, np.concatenate(controls, axis=2), groups=replicas,
                                   reference=reference)


def fit_log_trial(
    raw: np.ndarray, noise: np.ndarray, times: np.ndarray, walkers0: np.ndarray,
    walkers: np.ndarray, basis: BasisFn | None,
) -> TrialFunction | None:
    """f(r) = basis(r)·c with c from regressing one chain's ℓ/t on its control variates.

    raw, times: (W,); noise, walkers0, walkers: (W, particles, dim). At the optimum
    ℓ − E0 t = log φ0(r_T) − log φ0(r_0), so f approximates log φ0 up to a constant.
    Two bases are tried, with and without the cubic and quartic columns
    (`basis(r, powers=...)`): the powers are used only where they lower the cross-fitted
    residual variance by `POWERS_GAIN` (they help a double well and only add noise to a
    harmonic well: a 20-seed coverage check of the reweighted error bars failed with them
    always on). The
    reweighted populations are resampled towards large f, so e^f must decay far out: a
    fit that grows there (a positive quartic term, seen on H2, sent the population to
    infinity) is not used while the other one decays (see `decays_far_out`).
    """
    if basis is None:
        return None
    t = times[:, None]
    moments = noise.reshape(len(raw), -1) / t
    candidates = []
    for powers in (True, False):
        controls = np.concatenate([moments, (basis(walkers, powers=powers)
                                             - basis(walkers0, powers=powers)) / t], 1)
        coef = fit_coefficients(raw, controls)[moments.shape[1]:]
        log_trial = TrialFunction(functools.partial(_fitted_boundary, basis, powers), coef)
        residual = float(np.var(cross_fitted_correction(raw, controls)))
        if powers:
            residual *= POWERS_GAIN  # the extra columns must earn their place
        candidates.append((not decays_far_out(log_trial, walkers), residual, log_trial))
    return min(candidates, key=lambda c: c[:2])[2]


POWERS_GAIN = 1.25
"""Factor by which the cubic and quartic columns must lower the residual variance of the
boundary fit to be used for the reweighting guide."""


def decays_far_out(log_trial: TrialFunction, walkers: np.ndarray, scale: float = 4.0) -> bool:
    """Whether f falls when the outer half of the walkers (radius of the configuration
    above the median) is pushed `scale` times farther from the origin.
    walkers: (W, particles, dim)."""
    radius = np.linalg.norm(walkers.reshape(len(walkers), -1), axis=1)
    outer = walkers[radius >= np.median(radius)]
    return bool(np.all(log_trial(scale * outer) < log_trial(outer)))


class EvaluationState(NamedTuple):
    """Where a variational evaluation stands (checkpointed between chunks). The arrays
    live on the device while the stage runs (host arrays when read from a checkpoint).

    walkers: (K, W, particles, dim) now; start: (K, W, particles, dim) after the burn-in;
    sums, times: (K, W) accumulated ℓ and physical time; noise: (K, W, particles, dim)
    accumulated noise moments; chunks: measured chunks done; snapshots: the density
    snapshots so far, one (W, particles, dim) block each (a tuple, appended without
    copying; an array of blocks after a checkpoint); error: the last checked
    dt → 0 error bar (NaN before the first check); stop_reason: "" while measuring;
    seconds: wall time spent measuring.
    """

    walkers: Array
    start: Array
    sums: Array
    times: Array
    noise: Array
    chunks: int
    snapshots: tuple[Array, ...] | np.ndarray
    error: float = float("nan")
    stop_reason: str = ""
    seconds: float = 0.0


def burn_in(chunk: ChunkFn, params: dict, start: Array, key: PRNGKeyArray,
            config: EvaluationConfig) -> EvaluationState:
    """Run every chain `config.burn_in_time` from start: (W, particles, dim) and return
    the state before the first measured chunk."""
    K = len(config.eval_dts)
    burn_key, _ = jax.random.split(key)
    walkers = jnp.broadcast_to(jnp.asarray(start), (K, *start.shape))
    for i in range(_chunks(config.burn_in_time, config.chunk_time) if config.burn_in_time else 0):
        walkers, *_ = chunk(params, walkers, jax.random.fold_in(burn_key, i))
    zeros = jnp.zeros((K, start.shape[0]), walkers.dtype)
    return EvaluationState(walkers, walkers, zeros, zeros, jnp.zeros_like(walkers), 0, ())


@jax.jit
def _accumulate(totals: tuple[Array, ...], parts: tuple[Array, ...]) -> tuple[Array, ...]:
    return tuple(a + b for a, b in zip(totals, parts, strict=True))


def measure_chunk(state: EvaluationState, chunk: ChunkFn, params: dict, key: PRNGKeyArray,
                  config: EvaluationConfig) -> EvaluationState:
    """One measured chunk on every chain, accumulated (and a density snapshot of the
    finest chain every `config.sample_every`)."""
    _, key = jax.random.split(key)
    walkers, ell, t, q = chunk(params, state.walkers, jax.random.fold_in(key, state.chunks))
    sums, times, noise = _accumulate((state.sums, state.times, state.noise), (ell, t, q))
    done = state.chunks + 1
    snapshots = state.snapshots
    if done % max(1, round(config.sample_every / config.chunk_time)) == 0:
        snapshots = (*snapshots, walkers[int(np.argmin(config.eval_dts))])
    return state._replace(walkers=walkers, sums=sums, times=times, noise=noise, chunks=done,
                          snapshots=snapshots)


def run_stage(state: NamedTuple, advance: Callable, check: Callable, done: Callable,
              target: float, deadline: float, on_state: Callable | None,
              report: Callable, finished: str, check_every: int = 1) -> NamedTuple:
    """The loop both evaluation stages share: advance(state) until done(state) or a stop.

    The state (a NamedTuple with fields error, stop_reason and seconds) gets, after each
    advance, check(state) -> the current dt → 0 error bar or None (no check due), the
    stop rule of `early_stop` (target error, perf_counter deadline, which it stops short of
    when the next check, `check_every` advances on at the pace since the last one, would
    come after it) and its wall time; then on_state(state) (checkpoints) and report(state)
    (progress, may raise an interrupt). A stage that ran its plan ends with stop_reason
    `finished`."""
    start = agreed_now() - state.seconds  # agreed: the stop rule must be every process's
    checked, advances = state.seconds, 0
    while not state.stop_reason and not done(state):
        state = advance(state)
        advances += 1
        error = check(state)
        if error is not None:
            now = agreed_now() - start
            step = (now - checked) / advances * check_every
            state = state._replace(error=error,
                                   stop_reason=early_stop(error, target, deadline, step) or "")
            checked, advances = now, 0
        state = state._replace(seconds=agreed_now() - start)
        if on_state is not None:
            on_state(state)
        report(state)
    if not state.stop_reason:
        state = state._replace(stop_reason=finished)
        if on_state is not None:
            on_state(state)
    return state


def evaluate(
    chunk: ChunkFn,
    params: dict,
    start: Array,
    key: PRNGKeyArray,
    config: EvaluationConfig,
    stopping: StoppingConfig,
    basis: BasisFn | None = None,
    on_chunk: Callable[[float, float, float], None] | None = None,
    replicas: np.ndarray | None = None,
    deadline: float = math.inf,
    state: EvaluationState | None = None,
    on_state: Callable[[EvaluationState], None] | None = None,
    order: int | None = None,
) -> Evaluation:
    """Burn in, then measure ℓ/T on every chain until the configured stop.

    start: (W, particles, dim) stationary-ish walkers (e.g. the training batch tiled).
    replicas: (W,) labels of walkers that share a start (copies of one training walker):
        the error bars and the dt → 0 fit use the means over each label, which are
        independent whatever the mixing time; None = every walker its own replica.
    basis: boundary control-variate basis (see `control_variates`), or None.
    on_chunk(measured_time, planned_time, current_error) is called after each chunk.
    config: the evaluation settings (steps, burn-in, chunk length, eval_time, snapshots).
    deadline: perf_counter time by which the stage stops (see `anytime`). With a deadline
    or stopping.target_error the stage measures until the error bar is below the target,
    the deadline passes or stopping.max_eval_time is measured; otherwise config.eval_time.
    state: an `EvaluationState` to continue from (a checkpoint; same key and config), in
    place of the burn-in; on_state(state) is called after the burn-in, after every chunk
    and when the stage ends (before `on_chunk`, which may raise an interrupt).
    order: the degree of the dt → 0 fit (default `statistics.fit_order`; 0 for the
    Metropolis-adjusted chunk, whose estimate has no dt dependence).
    """
    replicas = np.arange(start.shape[0]) if replicas is None else np.asarray(replicas)
    finest = int(np.argmin(config.eval_dts))
    if state is None:
        state = burn_in(chunk, params, start, key, config)
        if on_state is not None:
            on_state(state)
    adaptive = stopping.target_error > 0 or math.isfinite(deadline)
    planned = stopping.max_eval_time if adaptive else config.eval_time
    n_planned = _chunks(planned, config.chunk_time)
    check_every = _chunks(CHECK_TIME, config.chunk_time)

    def check(state: EvaluationState) -> float | None:
        if not adaptive or (state.chunks % check_every and state.chunks != n_planned):
            return None
        # the accumulators (no snapshots) come to the host once per CHECK_TIME
        host = to_host((state.sums, state.noise, state.times, state.start, state.walkers))
        current = _per_walker(*host, basis, replicas, finest)
        return extrapolate_dt(config.eval_dts, cluster_means(current, replicas),
                              order).error

    def report(state: EvaluationState) -> None:
        if on_chunk is not None:
            on_chunk(state.chunks * config.chunk_time, n_planned * config.chunk_time,
                     state.error)

    state = run_stage(state, lambda s: measure_chunk(s, chunk, params, key, config), check,
                      lambda s: s.chunks >= n_planned, stopping.target_error, deadline,
                      on_state, report, "max_eval_time" if adaptive else "eval_time",
                      check_every)
    return summarize(state, config, basis, replicas, order)


def summarize(state: EvaluationState, config: EvaluationConfig, basis: BasisFn | None,
              replicas: np.ndarray, order: int | None = None) -> Evaluation:
    """The `Evaluation` of a finished (or stopped) stage: control variates, replica
    means, the dt → 0 fit, the snapshots and the fitted boundary function."""
    finest = int(np.argmin(config.eval_dts))
    walkers = state.walkers
    state = to_host(state)
    measured = float(state.times[finest].mean())
    raw = state.sums / state.times
    per_walker = _per_walker(state.sums, state.noise, state.times, state.start,
                             state.walkers, basis, replicas, finest)
    per_replica = cluster_means(per_walker, replicas)
    raw_per_replica = cluster_means(raw, replicas)
    n = per_replica.shape[1]
    samples = np.concatenate(list(state.snapshots) or [state.walkers[finest]])
    return Evaluation(
        dts=np.asarray(config.eval_dts, float),
        energies=per_replica.mean(axis=1),
        errors=per_replica.std(axis=1, ddof=1) / np.sqrt(n),
        raw_energies=raw_per_replica.mean(axis=1),
        raw_errors=raw_per_replica.std(axis=1, ddof=1) / np.sqrt(n),
        extrapolation=extrapolate_dt(config.eval_dts, per_replica, order),
        per_walker=per_walker,
        per_replica=per_replica,
        measured_time=measured,
        samples=samples,
        walkers=walkers,
        stop_reason=state.stop_reason,
        wall_time=state.seconds,
        log_trial=fit_log_trial(raw[finest], state.noise[finest], state.times[finest],
                                state.start[finest], state.walkers[finest], basis),
    )
