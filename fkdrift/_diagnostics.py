"""Health checks of a run: conditions that make an energy untrustworthy.

Two kinds: *fatal* ones (walkers that escape to infinity or turn non-finite: the
potential is unbounded below or the steps cross a singular core; walkers of V alone that
spread without limit: V has no bound state) raise `FkdriftError` before anything is
written; the others become one-line warnings that the CLI prints and
the result stores (`Result.info["warnings"]`). Thresholds are in `docs/error-bars.md`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
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
SPREAD_GROWTH = 32.0
"""Each round of the spread probe (`spread_rates`) runs V's own Feynman–Kac walkers for
the time in which free diffusion would add this many times their variance: some ten
relaxation times of a bound state whose variance they have (its variance σ² per coordinate
and its gap Δ have σ²Δ ≈ 0.4–0.7: harmonic ½, hydrogen 3/8, a box 0.49), so a confined
population has settled by the last half of it."""
SPREAD_RATE = 0.5
"""A mean square distance growing at more than this share of free diffusion's rate in
both of a round's last two time doublings: the walkers spread (free diffusion gives 1, a
settled bound state 0)."""
SPREAD_ROUNDS = 3
"""Rounds of the spread probe, each from where the last one ended and some 30 times
longer when they spread: walkers that spread in every round spread without limit (no
bound state); walkers that started far narrower or wider than a bound state, settle."""
ESCAPE_RATE = 4.0
"""Spread growing faster than this many times free diffusion: walkers pushed outward
by V (unbounded below), not just diffusing."""
PROBE_STEPS = 1000
"""Steps of one round of the spread probe."""
PROBE_WALKERS = 512
"""Walkers of the spread probe (the first of the trained ones)."""
PROBE_RESAMPLE = 10
"""Steps between the probe's resamplings (by the weights exp(−∫V dt))."""


def effective_walkers(log_weight_std: np.ndarray, walkers: int) -> float:
    """Effective population W·exp(−σ²) of log-normal weights with log-spread σ (the
    smallest over chains). Below one walker per interval one path carries the whole
    population: the reweighted estimate is meaningless and no result is returned."""
    return float(walkers * np.exp(-np.max(log_weight_std) ** 2))


def check_walkers(stage: str, before: np.ndarray, after: np.ndarray,
                  values: np.ndarray | None = None,
                  potential: Callable | None = None) -> None:
    """Raise FkdriftError when walkers: (..., particles, dim) or values became non-finite
    or the RMS radius grew by ESCAPE_FACTOR[stage] from `before` to `after`; given the
    `potential`, also when its own walkers, started from `after`, spread without limit
    (`check_confined`)."""
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
    if potential is not None:
        check_confined(potential, after)


def check_confined(potential: Callable, walkers: np.ndarray) -> None:
    """Raise FkdriftError when V has no bound state: its own Feynman–Kac walkers (Brownian
    paths weighted by exp(−∫V dt), resampled), started from `walkers`: (n, particles,
    dim) (the trained ones), spread like free diffusion in each of SPREAD_ROUNDS rounds
    (`spread_rates`; the later ones in steps no longer than the start walkers' variance
    per coordinate, to keep V's features resolved), or faster in one (V unbounded below).
    A constant V gave E0 = 1.07 ± 0.01 and exit 0 before; the trained drift alone cannot
    show it, since its confinement only relaxes slowly."""
    x = np.asarray(to_host(walkers), float)[:PROBE_WALKERS]
    probe = jax.jit(functools.partial(_probe, potential))
    longest = max(_variance(x) / (x.shape[-2] * x.shape[-1]), 1e-6)
    total = 0.0
    for seed in range(SPREAD_ROUNDS):
        rates, time, x = spread_rates(potential, x, probe, seed, longest)
        total += time
        check_spread(rates, total, escape_only=True)
        if min(rates) <= SPREAD_RATE:
            return
    check_spread(rates, total)


def check_spread(rates: tuple[float, float], time: float, escape_only: bool = False) -> None:
    """Raise FkdriftError when walkers (rates: see `spread_rates`, after a probe of
    duration `time`) spread (both rates above SPREAD_RATE; unless `escape_only`) or are
    pushed out (both above ESCAPE_RATE)."""
    if min(rates) > ESCAPE_RATE:
        raise FkdriftError(
            f"training: the walkers escape to infinity (under V alone their spread grows "
            f"{min(rates):.3g} times as fast as free diffusion over a time {time:.3g}); the "
            "potential is probably unbounded below, so there is no ground state. No result "
            "was written")
    if min(rates) > SPREAD_RATE and not escape_only:
        raise FkdriftError(
            f"no bound state: the walkers spread without limit (under V alone their mean "
            f"square distance grows at {min(rates):.2f}x the rate of free particles over a "
            f"time {time:.3g}; no result was written); is V confining?")


def spread_rates(potential: Callable, walkers: np.ndarray, probe: Callable | None = None,
                 seed: int = 0, longest: float = math.inf
                 ) -> tuple[tuple[float, float], float, np.ndarray]:
    """One round of the spread probe: how fast V's Feynman–Kac walkers spread, as shares
    of free diffusion's rate.

    From walkers: (n, particles, dim), Brownian steps with log-weights −V dt, resampled
    every PROBE_RESAMPLE steps, over the time T in which free diffusion adds
    SPREAD_GROWTH times their variance s² (summed over the D = particles × dim
    coordinates): T = SPREAD_GROWTH s² / D, in PROBE_STEPS steps, or more where they
    would be longer than `longest`. probe: `_probe` for `potential`, compiled (made here
    if None). Returns (`rates_of_spread` of the walkers at 0, T/4, T/2 and T, T, the
    walkers at T: (n, particles, dim)); walkers pushed outward gather on the outermost
    paths."""
    if probe is None:
        probe = jax.jit(functools.partial(_probe, potential))
    x = np.asarray(walkers, float)
    D = x.shape[-2] * x.shape[-1]
    time = SPREAD_GROWTH * max(_variance(x), 1e-6 * D) / D
    split = max(1, math.ceil(time / PROBE_STEPS / longest))  # probe calls per quarter
    step = time / PROBE_STEPS / split
    centre = x.mean(axis=0)
    keys = iter(jax.random.split(jax.random.PRNGKey(seed), 4 * split))
    snapshots, y = [x - centre], jnp.asarray(x - centre)
    for _ in range(4):
        for _ in range(split):
            y = probe(y, jnp.asarray(centre), next(keys), step)
        snapshots.append(np.asarray(y))
    snapshots = np.stack([snapshots[k] for k in (0, 1, 2, 4)])
    if not np.all(np.isfinite(snapshots)):  # walkers at V = ±inf: the other checks see it
        return (0.0, 0.0), time, x
    return (rates_of_spread(snapshots, np.array([0, 0.25, 0.5, 1.0]) * time), time,
            snapshots[-1] + centre)


def rates_of_spread(snapshots: np.ndarray, times: np.ndarray) -> tuple[float, float]:
    """How fast walker snapshots: (k, n, particles, dim) at times: (k,) (ascending, from
    the start) spread, as shares of free diffusion's rate: the growth of their mean square
    distance from the first snapshot's mean (`mean_square_distance`) over [T/4, T/2] and
    [T/2, T] (T = times[-1]; the snapshots nearest those times), per unit time and per
    coordinate (free particles: it grows by D = particles × dim per unit time). 1 for
    free particles, → 0 for a settled bound state, > 1 for walkers pushed outward."""
    spread, times = mean_square_distance(snapshots), np.asarray(times, float)
    D = int(np.prod(np.shape(snapshots)[2:]))
    at = [int(np.argmin(np.abs(times - times[-1] * f))) for f in (0.25, 0.5)] + [-1]
    return tuple(float((spread[b] - spread[a]) / (D * (times[b] - times[a])))
                 for a, b in zip(at[:-1], at[1:], strict=True))


def mean_square_distance(snapshots: np.ndarray) -> np.ndarray:
    """Mean square distance (k,) of walker snapshots: (k, n, particles, dim) from the
    mean of the first snapshot (summed over the coordinates)."""
    x = np.asarray(snapshots, float)
    x = x.reshape(len(x), x.shape[1], -1) - x[0].reshape(x.shape[1], -1).mean(axis=0)
    return np.mean(np.sum(x**2, axis=-1), axis=-1)


def _probe(potential: Callable, x: jax.Array, centre: jax.Array, key: jax.Array,
           dt: jax.Array) -> jax.Array:
    """V's Feynman–Kac walkers x: (n, particles, dim) (relative to centre: (particles,
    dim)) after a quarter of PROBE_STEPS steps `dt`, resampled every PROBE_RESAMPLE."""
    v = jax.vmap(lambda y: potential(y + centre))
    n = x.shape[0]

    def interval(x, key):
        noise_key, pick_key = jax.random.split(key)
        noise = jnp.sqrt(dt) * jax.random.normal(noise_key, (PROBE_RESAMPLE, *x.shape))

        def step(carry, dx):
            x, log_w = carry
            x = x + dx
            return (x, log_w - dt * v(x)), None

        (x, log_w), _ = jax.lax.scan(step, (x, jnp.zeros(n)), noise)
        log_w = jnp.where(jnp.isfinite(log_w), log_w, -jnp.inf)
        log_w = jnp.where(jnp.any(jnp.isfinite(log_w)), log_w, 0.0)
        w = jnp.exp(log_w - jnp.max(log_w))
        edges = jnp.cumsum(w / jnp.sum(w))
        points = (jax.random.uniform(pick_key) + jnp.arange(n)) / n  # systematic
        return x[jnp.minimum(jnp.searchsorted(edges, points), n - 1)], None

    keys = jax.random.split(key, PROBE_STEPS // (4 * PROBE_RESAMPLE))
    return jax.lax.scan(interval, x, keys)[0]


def _variance(walkers: np.ndarray) -> float:
    """Variance of walkers: (n, particles, dim) summed over the coordinates."""
    return float(np.sum(np.var(walkers.reshape(len(walkers), -1), axis=0)))


def _rms_radius(walkers: np.ndarray) -> float:
    x = np.asarray(walkers, float)
    return float(np.sqrt(np.mean(np.sum(x.reshape(-1, x.shape[-2] * x.shape[-1]) ** 2, 1))))


def fit_warnings(label: str, p_value: float, chi2: float, dof: int) -> list[str]:
    """A warning when the dt → 0 polynomial does not describe the per-dt values, or when
    it has no degree of freedom left to check that it does (as many coefficients as time
    steps: 2 or 3 Euler time steps, or a single one)."""
    if dof <= 0:
        return [f"{label} dt->0 fit: as many coefficients as time steps, no degree of "
                "freedom is left to check it and its bar does not cover a dt-dependence "
                "outside the model: give one more time step (eval_dts, reweighted_dts)"]
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
