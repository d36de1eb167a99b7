"""Independent diffusion Monte Carlo check of trapped 2D bosons (no fkdrift code used).

    H = Σ_i ½(−∇_i² + r_i²) + Σ_{i<j} g/(π s²)·exp(−r_ij²/s²),  s = 0.5, ħ = m = ω = 1.

    python benchmarks/bosons_dmc.py --N 4 --g 3          # one system, printed
    python benchmarks/bosons_dmc.py --all                # N = 2, 3, 4 × g = 3, 16 and
                                                         # results/bosons_dmc/README.md
    python benchmarks/bosons_dmc.py --N 3 --g 16 --seed 1 --json FILE   # one replica, saved
    python benchmarks/bosons_dmc.py --pool FILE...       # replace that (N, g) entry of
                                                         # results.json by pooled replicas

Method (all written out below, in jax.numpy, jitted and vectorised over walkers):

* Trial function log ψ_T = Σ_i (−α r_i²/2 − β r_i⁴/4) + Σ_{i<j} u(r_ij) with
  u(r) = −b₁ exp(−r²/w₁²) − b₂ exp(−r²/w₂²) + γ r²: nodeless for every parameter set, so for
  bosons the fixed-node constraint is no constraint and DMC is exact up to time-step and
  population-control bias. Drift ∇ log ψ_T and local energy
  E_L = −½ Σ_i (∇_i² log ψ_T + |∇_i log ψ_T|²) + V are analytic.
* Parameters: a few rounds of correlated-sampling energy minimisation (L-BFGS-B on
  reweighted VMC samples), then one independent VMC run whose ⟨E_L⟩ is a rigorous
  variational upper bound with no time-step error.
* DMC: drift–diffusion move R' = R + dt·F(R) + √dt·χ with a Metropolis accept/reject
  (Reynolds et al. 1982; Umrigar, Nightingale & Runge 1993), so the sampled distribution
  is exactly ψ_T² when branching is switched off; the branching factor is
  exp(−dt_eff·(½(E_L(R) + E_L(R_new)) − E_T)) with dt_eff = dt·(accepted/proposed mean
  squared displacement). Variable population with comb branching (copies drawn with one
  uniform number for all walkers) in a fixed-capacity array; E_T = E_avg − ln(M/M₀)/τ_fb
  is the mild population feedback. The mixed estimator Σ w E_L / Σ w per step is averaged
  over the production steps; its error comes from blocking (batch means) of that series.
* Runs at three time steps, weighted linear fit E(dt) = E₀ + k·dt, and one run at a
  quarter of the population (largest dt) to show the population-control bias. As checks,
  a quadratic fit (≥ 3 time steps) and a linear fit without the largest dt (≥ 4) are
  printed and stored under "dt_to_zero_checks".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import NamedTuple

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from scipy.optimize import minimize  # noqa: E402

from potentials.bosons import MUJAL_E0  # noqa: E402

DIM = 2
WIDTH = 0.5
CHUNK = 250  # DMC steps per jitted call (one compilation per system and dt)
OUT = Path(__file__).resolve().parent.parent / "results" / "bosons_dmc"

# the exact-diagonalisation table of Mujal et al. (PRA 96, 043614 (2017), s = 0.5), kept
# with the built-in potential: MUJAL[N][g]
MUJAL = MUJAL_E0
# N = 2 exact (relative motion on a grid, tests/test_bosons_exact.py): 2.3119825 at g = 3;
# at g = 16 the table minus its measured truncation error 2.3e-4.
EXACT_N2 = {3.0: 2.3119825, 16.0: 2.7303763 - 2.3e-4}


# ---------------------------------------------------------------- Hamiltonian and trial


class Trial(NamedTuple):
    """ψ_T parameters: log ψ_T = Σ_i (−α r_i²/2 − β r_i⁴/4) + Σ_{i<j} u(r_ij) with the Jastrow
    u(r) = −b₁ exp(−r²/w₁²) − b₂ exp(−r²/w₂²) + γ r². With α = 1 the γ term changes only the
    relative motion: Σ_i r_i² = N R_cm² + Σ_{i<j} r_ij²/N. The defaults are the g = 0 ground
    state."""

    alpha: float = 1.0
    b1: float = 0.0
    w1: float = 1.0
    b2: float = 0.0
    w2: float = 1.0
    beta: float = 0.0
    gamma: float = 0.0


def _pairs(R: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Pair differences d_ij = r_i − r_j (..., N, N, 2), squared distances ρ_ij (..., N, N)
    and the off-diagonal mask (N, N) for positions R: (..., N, 2)."""
    d = R[..., :, None, :] - R[..., None, :, :]
    rho = jnp.sum(d * d, axis=-1)
    n = R.shape[-2]
    return d, rho, ~jnp.eye(n, dtype=bool)


def potential(R: jax.Array, g: float, s: float = WIDTH) -> jax.Array:
    """V = ½ Σ r_i² + Σ_{i<j} g/(π s²) exp(−r_ij²/s²); R: (..., N, 2) -> (...)."""
    _, rho, off = _pairs(R)
    pair = jnp.where(off, g / (jnp.pi * s**2) * jnp.exp(-rho / s**2), 0.0)
    return 0.5 * jnp.sum(R * R, axis=(-1, -2)) + 0.5 * jnp.sum(pair, axis=(-1, -2))


def _jastrow(rho: jax.Array, off: jax.Array, trial: Trial
             ) -> tuple[jax.Array, jax.Array, jax.Array]:
    """u, du/dρ and d²u/dρ² as functions of ρ = r², zero on the diagonal; each (..., N, N)."""
    e1 = jnp.where(off, jnp.exp(-rho / trial.w1**2), 0.0)
    e2 = jnp.where(off, jnp.exp(-rho / trial.w2**2), 0.0)
    u = -trial.b1 * e1 - trial.b2 * e2 + jnp.where(off, trial.gamma * rho, 0.0)
    u1 = trial.b1 / trial.w1**2 * e1 + trial.b2 / trial.w2**2 * e2 + jnp.where(off, trial.gamma,
                                                                                0.0)
    u2 = -trial.b1 / trial.w1**4 * e1 - trial.b2 / trial.w2**4 * e2
    return u, u1, u2


def log_psi(R: jax.Array, trial: Trial) -> jax.Array:
    """log ψ_T; R: (..., N, 2) -> (...)."""
    _, rho, off = _pairs(R)
    u, _, _ = _jastrow(rho, off, trial)
    r2 = jnp.sum(R * R, axis=-1)
    one_body = -0.5 * trial.alpha * r2 - 0.25 * trial.beta * r2**2
    return jnp.sum(one_body, axis=-1) + 0.5 * jnp.sum(u, axis=(-1, -2))


def drift_and_local_energy(R: jax.Array, trial: Trial, g: float,
                           s: float = WIDTH) -> tuple[jax.Array, jax.Array]:
    """F = ∇ log ψ_T (..., N, 2) and E_L = −½ Σ(∇² log ψ_T + |F|²) + V (...) at R: (..., N, 2).

    For any f(ρ) of ρ = |x|² in DIM dimensions, ∇f = 2f′x and ∇²f = 2·DIM·f′ + 4ρf″. The
    one-body term has f′ = −α/2 − βρ/2, f″ = −β/2; for the Jastrow ∇_i u(ρ_ij) = 2u′ d_ij and
    each ordered pair (i, j), i ≠ j, contributes 2·DIM·u′ + 4ρu″ to the Laplacian.
    """
    d, rho, off = _pairs(R)
    _, u1, u2 = _jastrow(rho, off, trial)
    r2 = jnp.sum(R * R, axis=-1)
    F = (-(trial.alpha + trial.beta * r2))[..., None] * R + 2.0 * jnp.sum(u1[..., None] * d,
                                                                          axis=-2)
    lap = (jnp.sum(-DIM * (trial.alpha + trial.beta * r2) - 2.0 * trial.beta * r2, axis=-1)
           + jnp.sum(2.0 * DIM * u1 + 4.0 * rho * u2, axis=(-1, -2)))
    kinetic = -0.5 * (lap + jnp.sum(F * F, axis=(-1, -2)))
    return F, kinetic + potential(R, g, s)


# ---------------------------------------------------------------- Langevin Metropolis move


class Move(NamedTuple):
    """Result of one drift–diffusion–Metropolis step for M walkers."""

    R: jax.Array  # (M, N, 2) positions after accept/reject
    F: jax.Array  # (M, N, 2) drift there
    E: jax.Array  # (M,) local energy there
    p: jax.Array  # (M,) acceptance probability
    proposed_sq: jax.Array  # (M,) |R' − R|²


def langevin_move(key: jax.Array, R: jax.Array, F: jax.Array, E: jax.Array, trial: Trial,
                  g: float, dt: float | jax.Array) -> Move:
    """Propose R' = R + dt F + √dt χ and accept with the Metropolis–Hastings probability
    min(1, ψ²(R') G(R←R') / (ψ²(R) G(R'←R))), G(b←a) ∝ exp(−|b − a − dt F(a)|²/(2dt)).
    R, F: (M, N, 2), E: (M,)."""
    k_noise, k_acc = jax.random.split(key)
    chi = jax.random.normal(k_noise, R.shape, R.dtype)
    Rp = R + dt * F + jnp.sqrt(dt) * chi
    Fp, Ep = drift_and_local_energy(Rp, trial, g)
    back = R - Rp - dt * Fp
    log_ratio = (2.0 * (log_psi(Rp, trial) - log_psi(R, trial))
                 - jnp.sum(back * back, axis=(-1, -2)) / (2.0 * dt)
                 + 0.5 * jnp.sum(chi * chi, axis=(-1, -2)))
    p = jnp.exp(jnp.minimum(log_ratio, 0.0))
    accept = jax.random.uniform(k_acc, p.shape) < p
    pick = accept[:, None, None]
    return Move(R=jnp.where(pick, Rp, R), F=jnp.where(pick, Fp, F),
                E=jnp.where(accept, Ep, E), p=p,
                proposed_sq=jnp.sum((Rp - R) ** 2, axis=(-1, -2)))


# ---------------------------------------------------------------- statistics


@dataclass(frozen=True)
class Estimate:
    """Mean of a correlated series with its blocking error and integrated correlation time
    (in steps, from error² = var·2τ/n)."""

    mean: float
    error: float
    tau: float


def blocking(series: np.ndarray, min_blocks: int = 32) -> Estimate:
    """Flyvbjerg–Petersen blocking of series: (n,). The error is the largest batch-means
    error over the levels that still have ≥ min_blocks blocks (conservative plateau)."""
    x = np.asarray(series, dtype=float)
    n, mean = x.size, float(np.mean(x))
    naive = float(np.std(x, ddof=1) / np.sqrt(n))
    errors = [naive]
    while x.size // 2 >= min_blocks:
        x = 0.5 * (x[: 2 * (x.size // 2) : 2] + x[1 : 2 * (x.size // 2) : 2])
        errors.append(float(np.std(x, ddof=1) / np.sqrt(x.size)))
    error = max(errors)
    return Estimate(mean, error, 0.5 * (error / naive) ** 2 if naive > 0 else 0.0)


def polynomial_extrapolation(dts: Sequence[float], values: Sequence[float],
                             errors: Sequence[float], degree: int = 1
                             ) -> tuple[float, float, float, float]:
    """Weighted least squares E = E₀ + k·dt (+ c·dt² for degree 2, ...); returns
    (E₀, σ(E₀), k, χ²/dof), with χ²/dof = χ² when there are no degrees of freedom left."""
    x, y, s = (np.asarray(a, dtype=float) for a in (dts, values, errors))
    A = np.stack([x**k for k in range(degree + 1)], axis=1) / s[:, None]
    cov = np.linalg.inv(A.T @ A)
    coef = cov @ A.T @ (y / s)
    chi2 = float(np.sum(((A @ coef) - y / s) ** 2))
    dof = max(x.size - degree - 1, 1)
    return float(coef[0]), float(np.sqrt(cov[0, 0])), float(coef[1]), chi2 / dof


def linear_extrapolation(dts: Sequence[float], values: Sequence[float],
                         errors: Sequence[float]) -> tuple[float, float, float, float]:
    """Weighted least squares E = E₀ + k·dt; returns (E₀, σ(E₀), k, χ²/dof)."""
    return polynomial_extrapolation(dts, values, errors, 1)


# ---------------------------------------------------------------- VMC and trial optimisation


@partial(jax.jit, static_argnames=("blocks", "thin"))
def _vmc_scan(key: jax.Array, R: jax.Array, trial: Trial, g: float, dt: float, blocks: int,
              thin: int) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """blocks × thin Langevin–Metropolis moves of all walkers R: (M, N, 2). Returns the final
    positions, the per-step mean E_L (blocks·thin,), mean acceptance (blocks·thin,) and the
    configurations at the end of each block (blocks, M, N, 2)."""
    F, E = drift_and_local_energy(R, trial, g)

    def step(carry: tuple, k: jax.Array) -> tuple:
        R, F, E = carry
        mv = langevin_move(k, R, F, E, trial, g, dt)
        return (mv.R, mv.F, mv.E), (jnp.mean(mv.E), jnp.mean(mv.p))

    def block(carry: tuple, k: jax.Array) -> tuple:
        carry, (energy, acc) = jax.lax.scan(step, carry, jax.random.split(k, thin))
        return carry, (energy, acc, carry[0])

    (R, _, _), (energy, acc, path) = jax.lax.scan(block, (R, F, E),
                                                  jax.random.split(key, blocks))
    return R, energy.reshape(-1), acc.reshape(-1), path


def vmc(key: jax.Array, trial: Trial, N: int, g: float, walkers: int = 512, steps: int = 2000,
        equilibrate: int = 200, dt: float = 0.3, thin: int = 10
        ) -> tuple[Estimate, float, np.ndarray]:
    """VMC energy of ψ_T (blocked), the mean acceptance and samples (K, N, 2) after
    equilibration, one every `thin` steps of each walker."""
    k0, k1, k2 = jax.random.split(key, 3)
    R = jax.random.normal(k0, (walkers, N, DIM)) / np.sqrt(trial.alpha)
    R, _, _, _ = _vmc_scan(k1, R, trial, g, dt, 1, equilibrate)
    _, energy, acc, path = _vmc_scan(k2, R, trial, g, dt, steps // thin, thin)
    samples = np.asarray(path).reshape(-1, N, DIM)
    return blocking(np.asarray(energy)), float(np.mean(acc)), samples


def _reweighted_energy(params: jax.Array, base: jax.Array, R: jax.Array, g: float
                       ) -> jax.Array:
    """Correlated-sampling energy of Trial(*params) from samples R: (K, N, 2) of ψ_base²,
    plus a stiff penalty that keeps the effective sample size above 80 % of K: stiff
    enough to outweigh any energy a trial could fake from samples it barely weighs (with
    a 1e3 penalty and attractive Jastrows allowed, at N = 16 the optimiser ran to the
    bounds, a trial whose VMC energy was −24485; see `optimise_trial`)."""
    trial, ref = Trial(*params), Trial(*base)
    logw = 2.0 * (log_psi(R, trial) - log_psi(R, ref))
    w = jnp.exp(logw - jnp.max(logw))
    _, E = drift_and_local_energy(R, trial, g)
    ess = jnp.sum(w) ** 2 / jnp.sum(w * w) / w.size
    return jnp.sum(w * E) / jnp.sum(w) + 1e6 * jnp.maximum(0.0, 0.8 - ess) ** 2


_reweighted_value_and_grad = jax.jit(jax.value_and_grad(_reweighted_energy))


def optimise_trial(key: jax.Array, N: int, g: float, rounds: int = 4,
                   start: Trial | None = None) -> Trial:
    """Correlated-sampling energy minimisation: each round draws VMC samples of the current
    ψ_T and minimises their reweighted energy over the parameters (L-BFGS-B, jax gradient).
    Bounds keep the Jastrow repulsive (b ≥ 0; g > 0) with widths ≥ 0.3, β ≥ 0 and
    γ < α/(2N) (normalisable ψ_T): an attractive narrow Jastrow has local energies
    unbounded below, which at N = 16 the correlated-sampling objective exploited."""
    trial = start or Trial(alpha=1.0, b1=0.4 * np.log1p(g), w1=0.6, b2=0.0, w2=1.5)
    bounds = [(0.3, 2.0), (0.0, 5.0), (0.3, 3.0), (0.0, 5.0), (0.3, 4.0), (0.0, 0.5),
              (-0.5, 0.3 / N)]
    for k in jax.random.split(key, rounds):
        _, _, samples = vmc(k, trial, N, g, walkers=256, steps=800, equilibrate=200, thin=8)
        R, base = jnp.asarray(samples), jnp.asarray(trial)

        def objective(x: np.ndarray, R: jax.Array = R, base: jax.Array = base
                      ) -> tuple[float, np.ndarray]:
            value, grad = _reweighted_value_and_grad(jnp.asarray(x), base, R, g)
            return float(value), np.asarray(grad)

        res = minimize(objective, np.asarray(trial), jac=True, method="L-BFGS-B",
                       bounds=bounds, options={"maxiter": 60})
        trial = Trial(*(float(v) for v in res.x))
    return trial


# ---------------------------------------------------------------- DMC


class DMCState(NamedTuple):
    """Walker array of fixed capacity C; the first `count` rows are alive."""

    R: jax.Array  # (C, N, 2)
    F: jax.Array  # (C, N, 2)
    E: jax.Array  # (C,)
    count: jax.Array  # () int
    E_T: jax.Array  # () trial (reference) energy
    E_avg: jax.Array  # () running average of the estimator (time constant τ_E)


class DMCTrace(NamedTuple):
    """Per-step records, each (steps,)."""

    energy: jax.Array  # mixed estimator Σ w E_L / Σ w
    population: jax.Array  # walkers alive before branching
    acceptance: jax.Array  # mean acceptance probability
    dt_eff: jax.Array  # effective time step
    overflow: jax.Array  # True if branching wanted more than C walkers


def comb_branch(key: jax.Array, weights: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Integer copies by a comb with one uniform offset: walker i gets
    ⌊S_i + u⌋ − ⌊S_{i−1} + u⌋ copies, S = cumsum(weights), so E[copies] = weight and the
    total is ⌊ΣW + u⌋. Returns the source index of each of the C output slots (C,) and the
    new population (uncapped). weights: (C,), zero for dead walkers."""
    u = jax.random.uniform(key, ())
    teeth = jnp.floor(jnp.cumsum(weights) + u)
    slots = jnp.arange(weights.size)
    source = jnp.searchsorted(teeth, slots, side="right")
    return jnp.minimum(source, weights.size - 1), teeth[-1].astype(jnp.int64)


def dmc_step(state: DMCState, key: jax.Array, trial: Trial, g: float, dt: float,
             target: int, tau_feedback: float, tau_energy: float
             ) -> tuple[DMCState, tuple[jax.Array, ...]]:
    """One importance-sampled DMC step: Metropolis drift–diffusion, weights, comb branching
    and the population feedback on E_T."""
    k_move, k_branch = jax.random.split(key)
    C = state.E.shape[0]
    alive = jnp.arange(C) < state.count
    mv = langevin_move(k_move, state.R, state.F, state.E, trial, g, dt)
    dt_eff = dt * (jnp.sum(jnp.where(alive, mv.p * mv.proposed_sq, 0.0))
                   / jnp.sum(jnp.where(alive, mv.proposed_sq, 0.0)))
    s = 0.5 * (state.E + mv.E) - state.E_T
    w = jnp.where(alive, jnp.exp(-dt_eff * s), 0.0)
    estimate = jnp.sum(w * mv.E) / jnp.sum(w)
    source, wanted = comb_branch(k_branch, w)
    count = jnp.minimum(wanted, C)
    E_avg = state.E_avg + (dt / tau_energy) * (estimate - state.E_avg)
    E_T = E_avg - jnp.log(count / target) / tau_feedback
    new = DMCState(R=mv.R[source], F=mv.F[source], E=mv.E[source], count=count, E_T=E_T,
                   E_avg=E_avg)
    return new, (estimate, state.count, jnp.mean(jnp.where(alive, mv.p, 0.0)) * C / state.count,
                 dt_eff, wanted > C)


@partial(jax.jit, static_argnames=("steps", "target"))
def _dmc_scan(key: jax.Array, state: DMCState, trial: Trial, g: float, dt: float, steps: int,
              target: int, tau_feedback: float, tau_energy: float) -> tuple[DMCState, DMCTrace]:
    """`steps` DMC steps under lax.scan."""
    def body(st: DMCState, k: jax.Array) -> tuple[DMCState, tuple]:
        return dmc_step(st, k, trial, g, dt, target, tau_feedback, tau_energy)

    state, rec = jax.lax.scan(body, state, jax.random.split(key, steps))
    return state, DMCTrace(*rec)


@dataclass
class DMCResult:
    """One DMC run: blocked mixed-estimator energy and run diagnostics."""

    dt: float
    walkers: int
    steps: int
    energy: float
    error: float
    tau_steps: float
    acceptance: float
    dt_eff: float
    mean_population: float
    overflows: int
    seconds: float


def dmc(key: jax.Array, trial: Trial, N: int, g: float, dt: float, walkers: int,
        time_total: float, time_equilibrate: float = 4.0, start: np.ndarray | None = None,
        tau_feedback: float = 1.0, tau_energy: float = 1.0, capacity_factor: float = 1.25
        ) -> tuple[DMCResult, np.ndarray]:
    """DMC at time step dt with target population `walkers`, `time_equilibrate` of imaginary
    time discarded and `time_total` of production. start: (≥ walkers, N, 2) VMC samples of
    ψ_T² (else Gaussian). Returns the result and the per-step estimator series."""
    t0 = time.perf_counter()
    k_init, k_eq, k_run = jax.random.split(key, 3)
    C = int(np.ceil(capacity_factor * walkers))
    if start is None:
        start = np.asarray(jax.random.normal(k_init, (walkers, N, DIM))) / np.sqrt(trial.alpha)
    else:
        pick = jax.random.choice(k_init, start.shape[0], (walkers,), replace=False)
        start = np.asarray(start)[np.asarray(pick)]
    R = jnp.asarray(np.concatenate([start, start[: C - walkers]]))
    F, E = drift_and_local_energy(R, trial, g)
    E0 = jnp.mean(E[:walkers])
    state = DMCState(R=R, F=F, E=E, count=jnp.asarray(walkers, jnp.int64), E_T=E0, E_avg=E0)
    n_eq = int(np.ceil(time_equilibrate / dt / CHUNK))
    n_run = int(np.ceil(time_total / dt / CHUNK))
    for k in jax.random.split(k_eq, n_eq):
        state, _ = _dmc_scan(k, state, trial, g, dt, CHUNK, walkers, tau_feedback, tau_energy)
    chunks = []
    for k in jax.random.split(k_run, n_run):
        state, part = _dmc_scan(k, state, trial, g, dt, CHUNK, walkers, tau_feedback,
                                tau_energy)
        chunks.append(jax.tree.map(np.asarray, part))
    trace = DMCTrace(*(np.concatenate(parts) for parts in zip(*chunks, strict=True)))
    series = trace.energy
    est = blocking(series)
    return DMCResult(
        dt=dt, walkers=walkers, steps=series.size, energy=est.mean, error=est.error,
        tau_steps=est.tau, acceptance=float(np.mean(trace.acceptance)),
        dt_eff=float(np.mean(trace.dt_eff)), mean_population=float(np.mean(trace.population)),
        overflows=int(np.sum(trace.overflow)), seconds=time.perf_counter() - t0), series


# ---------------------------------------------------------------- one system, the table


@dataclass
class SystemResult:
    """Everything measured for one (N, g); the dt → 0 fit is derived from `runs`."""

    N: int
    g: float
    trial: Trial
    vmc: Estimate
    vmc_acceptance: float
    runs: list[DMCResult]
    population_check: DMCResult
    seconds: float
    # Set when this entry pools independent replicas (see pool_replicas): per replica its seed,
    # trial, VMC, dt → 0 fit and population bias; None for a single run.
    replicas: list[dict] | None = None
    # The single-run entry that a pooled one replaced in results.json: its seed, per-dt runs
    # and dt → 0 fit (kept for the record); None otherwise.
    replaced: dict | None = None

    def fit_with(self, degree: int = 1, max_dt: float | None = None
                 ) -> tuple[float, float, float, float]:
        """(E₀, σ(E₀), slope, χ²/dof) of a polynomial dt → 0 fit of the given degree over the
        runs with dt ≤ max_dt (all if None); σ is scaled by √(χ²/dof) when that exceeds 1
        (Birge ratio), so a scatter larger than the error bars widens the result."""
        runs = [r for r in self.runs if max_dt is None or r.dt <= max_dt * (1 + 1e-9)]
        e0, s0, slope, chi2 = polynomial_extrapolation(
            [r.dt for r in runs], [r.energy for r in runs], [r.error for r in runs], degree)
        return e0, s0 * max(1.0, float(np.sqrt(chi2))), slope, chi2

    @property
    def fit(self) -> tuple[float, float, float, float]:
        """The reported dt → 0 fit: linear over all runs (see fit_with)."""
        return self.fit_with(1)

    def alternative_fits(self) -> dict[str, dict[str, float]]:
        """Cross-checks of the dt → 0 extrapolation: quadratic over all runs (≥ 3 time
        steps) and linear without the largest dt (≥ 3 time steps left)."""
        dts = sorted(r.dt for r in self.runs)
        keys = ("energy", "error", "slope", "chi2_dof")
        out = {}
        if len(dts) >= 3:
            out["quadratic_all"] = dict(zip(keys, self.fit_with(2), strict=True))
        if len(dts) >= 4:
            out[f"linear_dt_le_{dts[-2]:g}"] = dict(zip(keys, self.fit_with(1, dts[-2]),
                                                        strict=True))
        return out

    @property
    def population_bias(self) -> tuple[float, float]:
        """Population-control bias at the full population, from E(M/4) − E(M) at the same dt
        and a bias ∝ 1/M: (E(M/4) − E(M))/3 ± its error."""
        full = next(r for r in self.runs if r.dt == self.population_check.dt)
        d = self.population_check.energy - full.energy
        return d / 3, float(np.hypot(self.population_check.error, full.error)) / 3

    @property
    def table(self) -> float | None:
        return MUJAL.get(self.N, {}).get(self.g)

    @property
    def exact(self) -> float | None:
        return EXACT_N2.get(self.g) if self.N == 2 else None


def key_for(seed: int, N: int, g: float) -> jax.Array:
    """A reproducible key per (seed, N, g)."""
    return jax.random.fold_in(jax.random.PRNGKey(seed), zlib.crc32(f"{N}:{g:g}".encode()))


def run_system(N: int, g: float, seed: int = 0, dts: Sequence[float] = (0.04, 0.02, 0.01),
               walkers: int = 1000, time_total: float = 60.0, verbose: bool = True,
               trial: Trial | None = None, start: Trial | None = None) -> SystemResult:
    """Optimise ψ_T (from `start`, or the default start), or take `trial` as it is; run
    VMC, DMC at each dt, the population check and the dt → 0 fit."""
    t0 = time.perf_counter()
    k_opt, k_vmc, k_dmc = jax.random.split(key_for(seed, N, g), 3)
    say = print if verbose else (lambda *a, **k: None)
    trial = optimise_trial(k_opt, N, g, start=start) if trial is None else trial
    say(f"N={N} g={g:g}: trial " + " ".join(f"{k}={v:.4f}" for k, v in trial._asdict().items()))
    E_vmc, acc, samples = vmc(k_vmc, trial, N, g, walkers=500, steps=4000, thin=20)
    say(f"  VMC {E_vmc.mean:.5f} ± {E_vmc.error:.5f} (acceptance {acc:.3f})")
    runs = []
    for i, dt in enumerate(sorted(dts, reverse=True)):
        res, _ = dmc(jax.random.fold_in(k_dmc, i), trial, N, g, dt, walkers, time_total,
                     start=samples)
        runs.append(res)
        say(f"  DMC dt={dt:<6g} {res.energy:.5f} ± {res.error:.5f}  τ={res.tau_steps:.0f} steps"
            f"  acc={res.acceptance:.4f}  pop={res.mean_population:.0f}  {res.seconds:.0f}s")
    pop, _ = dmc(jax.random.fold_in(k_dmc, 99), trial, N, g, max(dts), walkers // 4,
                 time_total, start=samples)
    say(f"  DMC dt={max(dts):<6g} M={walkers // 4}: {pop.energy:.5f} ± {pop.error:.5f}")
    result = SystemResult(N=N, g=float(g), trial=trial, vmc=E_vmc, vmc_acceptance=acc,
                          runs=runs, population_check=pop, seconds=time.perf_counter() - t0)
    e0, s0, slope, chi2 = result.fit
    table = result.table
    say(f"  dt→0 {e0:.5f} ± {s0:.5f} (slope {slope:.4f}, χ²/dof {chi2:.2f})"
        + (f"; table {table:.6f}, table − DMC = {table - e0:+.5f}" if table else ""))
    for name, f in result.alternative_fits().items():
        say(f"  dt→0 {name}: {f['energy']:.5f} ± {f['error']:.5f} (slope {f['slope']:.4f},"
            f" χ²/dof {f['chi2_dof']:.2f})")
    return result


def _pool_runs(runs: Sequence[DMCResult]) -> DMCResult:
    """Equal-weight mean of independent runs at one dt (so that pooled E(dt) stays linear in
    dt when each replica's is), error √(Σσ²)/n; steps, overflows and seconds summed."""
    n = len(runs)
    assert len({(r.dt, r.walkers) for r in runs}) == 1, "replicas differ in dt or walkers"
    return DMCResult(
        dt=runs[0].dt, walkers=runs[0].walkers, steps=sum(r.steps for r in runs),
        energy=float(np.mean([r.energy for r in runs])),
        error=float(np.sqrt(np.sum([r.error**2 for r in runs])) / n),
        tau_steps=float(np.mean([r.tau_steps for r in runs])),
        acceptance=float(np.mean([r.acceptance for r in runs])),
        dt_eff=float(np.mean([r.dt_eff for r in runs])),
        mean_population=float(np.mean([r.mean_population for r in runs])),
        overflows=sum(r.overflows for r in runs), seconds=sum(r.seconds for r in runs))


def pool_replicas(systems: Sequence[SystemResult], seeds: Sequence[int],
                  files: Sequence[str]) -> SystemResult:
    """One entry from independent replicas of the same (N, g), dts and walkers (each with its
    own seed and optimised trial): per dt the equal-weight mean of the replicas, so the
    linear dt → 0 fit of the pooled points is the mean of the replicas' fits. The trial
    shown is the first replica's; each replica's own is kept in `replicas`."""
    first = systems[0]
    assert all((s.N, s.g, [r.dt for r in s.runs]) == (first.N, first.g,
                                                        [r.dt for r in first.runs])
               for s in systems), "replicas differ in N, g or dts"
    n = len(systems)
    keys = ("energy", "error", "slope", "chi2_dof")
    return SystemResult(
        N=first.N, g=first.g, trial=first.trial,
        vmc=Estimate(float(np.mean([s.vmc.mean for s in systems])),
                     float(np.sqrt(np.sum([s.vmc.error**2 for s in systems])) / n),
                     float(np.mean([s.vmc.tau for s in systems]))),
        vmc_acceptance=float(np.mean([s.vmc_acceptance for s in systems])),
        runs=[_pool_runs([s.runs[i] for s in systems]) for i in range(len(first.runs))],
        population_check=_pool_runs([s.population_check for s in systems]),
        seconds=sum(s.seconds for s in systems),
        replicas=[{"seed": seed, "file": file, "trial": s.trial._asdict(), "vmc": asdict(s.vmc),
                   "dt_to_zero": dict(zip(keys, s.fit, strict=True)),
                   "dt_to_zero_checks": s.alternative_fits(),
                   "population_bias": list(s.population_bias)}
                  for seed, s, file in zip(seeds, systems, files, strict=True)])


# ---------------------------------------------------------------- report


@dataclass
class Report:
    """A full run: settings, wall time and one SystemResult per (N, g)."""

    seed: int
    walkers: int
    time_total: float
    wall_seconds: float
    machine: str
    systems: list[SystemResult]

    def to_json(self) -> str:
        data = asdict(self)
        for d, r in zip(data["systems"], self.systems, strict=True):
            d["trial"] = r.trial._asdict()
            d["dt_to_zero"] = dict(zip(("energy", "error", "slope", "chi2_dof"), r.fit,
                                       strict=True))
            if alt := r.alternative_fits():
                d["dt_to_zero_checks"] = alt
            d["mujal_table"] = r.table
            for key in ("replicas", "replaced"):
                if d[key] is None:
                    del d[key]
        return json.dumps(data, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Report:
        data = json.loads(text)
        systems = [SystemResult(
            N=d["N"], g=d["g"], trial=Trial(**d["trial"]), vmc=Estimate(**d["vmc"]),
            vmc_acceptance=d["vmc_acceptance"], runs=[DMCResult(**r) for r in d["runs"]],
            population_check=DMCResult(**d["population_check"]), seconds=d["seconds"],
            replicas=d.get("replicas"), replaced=d.get("replaced"))
            for d in data.pop("systems")]
        return cls(systems=systems, **data)


def _pm(value: float, error: float, digits: int = 4) -> str:
    return f"{value:.{digits}f} ± {error:.{digits}f}"


def _main_table(report: Report) -> list[str]:
    results = report.systems
    dts = sorted({r.dt for s in results for r in s.runs}, reverse=True)
    same_dts = all([r.dt for r in s.runs] == dts for s in results)
    pop_head = (f"DMC dt={dts[0]:g}, M={report.walkers // 4}" if same_dts
                else "DMC largest dt, M/4")
    head = ("| N | g | VMC | " + " | ".join(f"DMC dt={dt:g}" for dt in dts)
            + f" | {pop_head} | **DMC dt→0** | Mujal table | table − DMC | σ | wall s |")
    rows = [head, "|---" * (head.count("|") - 1) + "|"]
    for r in results:
        e0, s0, _, _ = r.fit
        diff = r.table - e0
        by_dt = {x.dt: x for x in r.runs}
        rows.append(
            f"| {r.N} | {r.g:g} | {_pm(r.vmc.mean, r.vmc.error)} | "
            + " | ".join(_pm(by_dt[dt].energy, by_dt[dt].error) if dt in by_dt else "—"
                         for dt in dts)
            + f" | {_pm(r.population_check.energy, r.population_check.error)}"
            f" | **{_pm(e0, s0)}** | {r.table:.6f} | {diff:+.4f} | {diff / s0:.0f}"
            f" | {r.seconds:.0f} |")
    return rows


def _exact_table(report: Report) -> list[str]:
    rows = ["| N | g | exact | DMC dt→0 | DMC − exact | σ |", "|---|---|---|---|---|---|"]
    for r in report.systems:
        if r.exact is None:
            continue
        e0, s0, _, _ = r.fit
        d = e0 - r.exact
        rows.append(f"| 2 | {r.g:g} | {r.exact:.6f} | {_pm(e0, s0, 5)} | {d:+.5f} "
                    f"| {d / s0:+.1f} |")
    return rows


def _diagnostics_table(report: Report) -> list[str]:
    rows = ["| N | g | α | b₁ | w₁ | b₂ | w₂ | β | γ | VMC acc. | DMC acc. (per dt) "
            "| τ_int steps (per dt) | pop. bias at M | dt slope | χ²/dof |", "|---" * 15 + "|"]
    for r in report.systems:
        bias, bias_err = r.population_bias
        rows.append(
            f"| {r.N} | {r.g:g} | " + " | ".join(f"{v:.4f}" for v in r.trial)
            + f" | {r.vmc_acceptance:.3f} | {', '.join(f'{x.acceptance:.4f}' for x in r.runs)}"
            f" | {', '.join(f'{x.tau_steps:.0f}' for x in r.runs)}"
            f" | {bias:+.5f} ± {bias_err:.5f} | {r.fit[2]:+.4f} | {r.fit[3]:.2f} |")
    return rows


def _replaced_sentence(r: SystemResult) -> str:
    """What the pooled entry replaced, and how far that lay from it."""
    if not r.replaced:
        return "This row pools independent replicas."
    old, (e0, s0, _, _) = r.replaced, r.fit
    f = old["dt_to_zero"]
    d = f["energy"] - e0
    sigma = d / np.hypot(f["error"], s0)
    return (f"This row replaces a single run at the settings above (seed {old['seed']}, "
            f"M = {old['walkers']}: "
            + ", ".join(f"dt={x['dt']:g} {_pm(x['energy'], x['error'], 5)}" for x in old["runs"])
            + f"; linear dt→0 {_pm(f['energy'], f['error'], 5)}, slope {f['slope']:+.4f}, "
            f"χ²/dof {f['chi2_dof']:.2f}), which lies {d:+.5f} = {sigma:+.1f}σ"
            " from the pooled value below.")


def _replica_sections(report: Report) -> list[str]:
    """For each entry pooled from replicas: how it was run and each replica's dt → 0 fits."""
    lines = []
    for r in report.systems:
        if not r.replicas:
            continue
        dts = ", ".join(f"{x.dt:g}" for x in r.runs)
        dt_args = " ".join(f"{x.dt:g}" for x in r.runs)
        steps = r.runs[0].steps // len(r.replicas)
        time_prod = steps * r.runs[0].dt
        e0, s0, slope, chi2 = r.fit
        lines += [
            f"### N = {r.N}, g = {r.g:g}: {len(r.replicas)} pooled replicas",
            "",
            (_replaced_sentence(r) + " ") + f"Replicas with seeds "
            f"{', '.join(str(x['seed']) for x in r.replicas)}, each optimising its own trial "
            f"(the diagnostics table shows the first), M = {r.runs[0].walkers} walkers, "
            f"dt = {dts}, {time_prod:g} units of production per run, population check at "
            f"dt = {r.population_check.dt:g} with M = {r.population_check.walkers}; "
            f"{r.seconds:.0f} s in all. Per dt the pooled value is the equal-weight mean of the "
            f"replicas (error √(Σσ²)/n), so the linear fit of the pooled points is the mean of "
            f"the replicas' linear fits: **{_pm(e0, s0, 5)}** (slope {slope:+.4f}, χ²/dof "
            f"{chi2:.2f}). Written by",
            "",
            "```",
            *(f"python benchmarks/bosons_dmc.py --N {r.N} --g {r.g:g} --walkers "
              f"{r.runs[0].walkers} --time {time_prod:g} --dts {dt_args}"
              f" --seed {x['seed']} --json {x['file']}" for x in r.replicas),
            "python benchmarks/bosons_dmc.py --pool "
            + " ".join(x["file"] for x in r.replicas),
            "```",
            "",
            "| seed | linear dt→0 (χ²/dof) | quadratic dt→0 (χ²/dof) | linear, dt ≤ 2nd largest"
            " (χ²/dof) | pop. bias at M |",
            "|---|---|---|---|---|",
        ]
        for x in r.replicas:
            f, checks = x["dt_to_zero"], list(x["dt_to_zero_checks"].values())
            cells = [f"{_pm(c['energy'], c['error'], 5)} ({c['chi2_dof']:.2f})"
                     for c in [f, *checks]]
            cells += ["—"] * (3 - len(cells))
            bias, bias_err = x["population_bias"]
            lines.append(f"| {x['seed']} | " + " | ".join(cells)
                         + f" | {bias:+.5f} ± {bias_err:.5f} |")
        pooled = [f"{_pm(e0, s0, 5)} ({chi2:.2f})"]
        for c in r.alternative_fits().values():
            pooled.append(f"{_pm(c['energy'], c['error'], 5)} ({c['chi2_dof']:.2f})")
        pooled += ["—"] * (3 - len(pooled))
        bias, bias_err = r.population_bias
        lines += ["| pooled | " + " | ".join(pooled) + f" | {bias:+.5f} ± {bias_err:.5f} |",
                  ""]
    return lines


def conclusion(report: Report) -> list[str]:
    """Per (N, g): table − DMC in σ, and whether the table even lies above the VMC bound."""
    lines = []
    for r in report.systems:
        e0, s0, _, _ = r.fit
        diff, above_vmc = r.table - e0, r.table - r.vmc.mean
        verdict = ("the table lies above the VMC upper bound, so it is too high whatever the DMC"
                   " biases" if above_vmc > 3 * r.vmc.error else
                   "the VMC bound alone does not decide")
        lines.append(
            f"* N = {r.N}, g = {r.g:g}: table − DMC = {diff:+.5f} ± {s0:.5f} ({diff / s0:+.1f}σ);"
            f" table − VMC = {above_vmc:+.5f} ± {r.vmc.error:.5f}: {verdict}.")
    return lines


def markdown(report: Report) -> str:
    """results/bosons_dmc/README.md."""
    return "\n".join([
        "# Trapped 2D bosons: independent diffusion Monte Carlo",
        "",
        "H = Σ_i ½(−∇_i² + r_i²) + Σ_{i<j} g/(π s²)·exp(−r_ij²/s²), s = 0.5, ħ = m = ω = 1.",
        f"Written by `python benchmarks/bosons_dmc.py --all` (seed {report.seed}); no fkdrift",
        f"code is used. Total wall time {report.wall_seconds:.0f} s on {report.machine}.",
        "Raw numbers: `results.json` (rebuild this page from it with `--from-json`).",
        "",
        *_main_table(report),
        "",
        "Energies ± one standard error. *Mujal table*: exact diagonalisation of Mujal et al.,",
        "PRA 96, 043614 (2017) (`shared/data/Mujal_N*_s05.txt`, row g/2). σ = (table − DMC) /",
        "error of DMC dt→0. DMC runs: target population M = "
        f"{report.walkers} (and M/4 in the population check), {report.time_total:g} units of",
        "imaginary time of production per run after 4 discarded. *wall s*: trial optimisation,",
        "VMC and the four DMC runs of that row.",
        "",
        *_replica_sections(report),
        "N = 2 against the exact value (relative motion on a grid, tests/test_bosons_exact.py;",
        "for g = 16 the table value minus its measured truncation error 2.3e-4):",
        "",
        *_exact_table(report),
        "",
        "Trial functions and diagnostics (pop. bias at M: (E(M/4) − E(M))/3, assuming a bias",
        "∝ 1/M; dt slope and χ²/dof of the linear fit in dt):",
        "",
        *_diagnostics_table(report),
        "",
        "## Method",
        "",
        "* Trial log ψ_T = Σ_i (−α r_i²/2 − β r_i⁴/4) + Σ_{i<j} (−b₁ e^{−r_ij²/w₁²} −",
        "  b₂ e^{−r_ij²/w₂²} + γ r_ij²), nodeless for all parameters. The bosonic ground state",
        "  is nodeless too, so DMC has no fixed-node error: its only biases are the time step",
        "  (removed by the linear dt → 0 fit) and population control (bounded by the run at a",
        "  quarter of the population). The parameters come from four rounds of",
        "  correlated-sampling energy minimisation (L-BFGS-B, effective sample size kept",
        "  ≥ 80 %); the VMC column is an independent run with them: a strict upper bound on",
        "  E0 with no time-step error (Langevin proposals with Metropolis acceptance sample",
        "  ψ_T² exactly).",
        "* Drift ∇ log ψ_T and the local energy are analytic (checked against jax autodiff,",
        "  and E_L ≡ N at g = 0, in tests/test_bosons_dmc.py). Each DMC move is a Langevin",
        "  proposal R' = R + dt ∇log ψ_T + √dt χ with a Metropolis accept/reject; the branching",
        "  factor exp(−dt_eff(½(E_L + E_L') − E_T)) uses dt_eff = dt·(accepted/proposed mean",
        "  squared displacement). Comb branching in a fixed-capacity array (no overflow",
        "  occurred); mild feedback E_T = E_avg − ln(M/M₀)/τ with τ = 1 and E_avg a running",
        "  average of the estimator over one unit of imaginary time.",
        "* Error bars: blocking (batch means) of the per-step mixed estimator Σ w E_L / Σ w,",
        "  taking the largest error over block sizes with ≥ 32 blocks; τ_int is the implied",
        "  integrated autocorrelation time. The dt → 0 error comes from the weighted linear",
        "  fit, scaled by √(χ²/dof) where that exceeds 1.",
        "",
        "## Conclusion",
        "",
        *conclusion(report),
        "",
    ])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--N", type=int, default=2)
    parser.add_argument("--g", type=float, default=3.0)
    parser.add_argument("--all", action="store_true",
                        help="N = 2, 3, 4 × g = 3, 16; writes results/bosons_dmc/")
    parser.add_argument("--from-json", type=Path, default=None,
                        help="only rebuild README.md from a results.json")
    parser.add_argument("--walkers", type=int, default=1000)
    parser.add_argument("--time", type=float, default=60.0,
                        help="imaginary time of production per DMC run")
    parser.add_argument("--dts", type=float, nargs="+", default=[0.04, 0.02, 0.01])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--trial-from", type=Path, default=None,
                        help="take the trial function of the first system in this --json "
                        "file as it is, without optimising (DMC of nodeless bosons is exact "
                        "with any trial; a poorer one costs variance, a larger time-step "
                        "error and population-control bias, which the M/4 run shows)")
    parser.add_argument("--start-from", type=Path, default=None,
                        help="start the trial optimisation from the trial of the first "
                        "system in this --json file (at N = 16 the default start, the g = 0 "
                        "state with a guessed Jastrow, ended at VMC 41.28 after 4 rounds; "
                        "the N = 8 trial optimised to 39.94)")
    parser.add_argument("--json", type=Path, default=None,
                        help="also write the results (results.json format) to this file")
    parser.add_argument("--pool", type=Path, nargs="+", default=None,
                        help="replace the (N, g) entry of results/bosons_dmc/results.json by "
                        "the pooled replicas in these files (each written by --json for one "
                        "system, different seeds) and rewrite README.md; runs no DMC")
    args = parser.parse_args(argv)
    if args.pool:
        reports = [Report.from_json(f.read_text()) for f in args.pool]
        assert all(len(x.systems) == 1 for x in reports), "one system per replica file"
        root = OUT.parent.parent
        pooled = pool_replicas([x.systems[0] for x in reports], [x.seed for x in reports],
                               [str(f.resolve().relative_to(root)) if f.resolve().is_relative_to(
                                   root) else str(f) for f in args.pool])
        report = Report.from_json((OUT / "results.json").read_text())
        index = next(i for i, x in enumerate(report.systems)
                     if (x.N, x.g) == (pooled.N, pooled.g))
        old = report.systems[index]
        pooled.replaced = old.replaced if old.replicas else {
            "seed": report.seed, "walkers": old.runs[0].walkers,
            "time_total": report.time_total,
            "runs": [{"dt": x.dt, "energy": x.energy, "error": x.error} for x in old.runs],
            "population_check": {"dt": old.population_check.dt,
                                 "walkers": old.population_check.walkers,
                                 "energy": old.population_check.energy,
                                 "error": old.population_check.error},
            "dt_to_zero": dict(zip(("energy", "error", "slope", "chi2_dof"), old.fit,
                                   strict=True))}
        report.systems[index] = pooled
        (OUT / "results.json").write_text(report.to_json())
        (OUT / "README.md").write_text(markdown(report))
        e0, s0, slope, chi2 = pooled.fit
        print(f"N={pooled.N} g={pooled.g:g}: pooled {len(reports)} replicas, dt→0 "
              f"{e0:.5f} ± {s0:.5f} (slope {slope:.4f}, χ²/dof {chi2:.2f}); wrote "
              f"{OUT / 'results.json'} and README.md")
        return
    if args.from_json:
        report = Report.from_json(args.from_json.read_text())
        (OUT / "README.md").write_text(markdown(report))
        print(f"wrote {OUT / 'README.md'}")
        return
    systems = [(n, g) for n in (2, 3, 4) for g in (3.0, 16.0)] if args.all else [(args.N,
                                                                                   args.g)]
    t0 = time.perf_counter()
    def stored_trial(path: Path | None) -> Trial | None:
        return None if path is None else Trial(
            **json.loads(path.read_text())["systems"][0]["trial"])

    results = [run_system(n, g, args.seed, args.dts, args.walkers, args.time,
                          trial=stored_trial(args.trial_from),
                          start=stored_trial(args.start_from)) for n, g in systems]
    wall = time.perf_counter() - t0
    print(f"wall {wall:.0f} s")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, jax {jax.__version__} (CPU, x64)"
    report = Report(seed=args.seed, walkers=args.walkers, time_total=args.time,
                    wall_seconds=wall, machine=machine, systems=results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(report.to_json())
        print(f"wrote {args.json}")
    if args.all:
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "results.json").write_text(report.to_json())
        (OUT / "README.md").write_text(markdown(report))
        print(f"wrote {OUT / 'README.md'} and results.json")


if __name__ == "__main__":
    main()
