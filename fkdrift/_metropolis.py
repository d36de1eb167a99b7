"""Metropolis-adjusted Langevin steps for a guide with a log ψ (a gradient drift).

The SDE step r' = r + v(r) dt + ΔB with v = ∇ log ψ is used as the proposal of a
Metropolis–Hastings step whose target is |ψ|²: it is accepted with probability

    p = min(1, ψ(r')² G(r | r') / (ψ(r)² G(r' | r))),   G(b | a) ∝ exp(−|b − a − v(a) dt|² / 2dt),

so the walkers follow |ψ|² exactly at any dt (MALA). In the reweighted stage each step
also carries the branching weight of importance-sampled diffusion Monte Carlo with the
expected local energy of the move (Umrigar, Nightingale & Runge, J. Chem. Phys. 99, 2865
(1993)): log w = −dt · ½[E_L(r) + p E_L(r') + (1 − p) E_L(r)]. When ψ is the ground state,
E_L ≡ E0 and the weights are exact at every dt; for a good guide the time-step error of
the population's growth is that of the small remainder E_L − E0, far below that of the
unadjusted Euler–Maruyama chain (docs/method.md §4, benchmarks/README.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, PRNGKeyArray

from ._local_energy import bind, log_psi_terms
from ._sde import PotentialFn

ParamLogPsi = Callable[[dict, Array], Array]
"""log ψ(params, r: (W, particles, dim)) -> (W,): a plain function or a
`local_energy.LogPsi` (whose fast derivative terms the chunk then uses)."""


class Walkers(NamedTuple):
    """Walkers with what a Metropolis step needs of them: r: (W, particles, dim),
    log_psi: (W,) = log |ψ|, grad: (W, particles, dim) = ∇ log |ψ|, e_local: (W,) (zeros
    where the local energy is not needed), sign: (W,) = sign ψ (ones for a ψ > 0)."""

    r: Array
    log_psi: Array
    grad: Array
    e_local: Array
    sign: Array


def has_nodes(log_psi: Callable[[Array], Array]) -> bool:
    """Whether a (bound) log ψ belongs to a ψ that changes sign (it has a `sign`): near
    its nodes E_L ~ 1/distance has no finite variance over |ψ|², so the weights use the
    clipped local energy (`clipped_energy`)."""
    return getattr(log_psi, "sign", None) is not None


def vanishes(log_psi: Callable[[Array], Array]) -> bool:
    """Whether a (bound) log ψ belongs to a ψ that is zero on surfaces (the nodes of one
    that changes sign, the contacts of a hard core: `local_energy.LogPsi.vanishes`), near
    which ∇ log |ψ| diverges and the proposal's drift is limited. At a core ψ vanishes
    faster than any power and E_L has every moment, so its weights keep E_L itself."""
    return has_nodes(log_psi) or bool(getattr(log_psi, "vanishes", False))


def _signs(log_psi: Callable[[Array], Array], r: Array, like: Array) -> Array:
    """sign ψ at r: (W, particles, dim): (W,), ones for a ψ > 0."""
    sign = getattr(log_psi, "sign", None)
    return sign(r) if sign is not None else jnp.ones_like(like)


def limited_drift(grad: Array, dt: float) -> Array:
    """The drift of a proposal near a node, per particle (Umrigar, Nightingale & Runge
    1993): v̄_i = v_i (√(1 + 2|v_i|²dt) − 1)/(|v_i|²dt). Equal to v_i where |v_i|²dt ≪ 1;
    bounded by √(2/dt) where ∇ log |ψ| diverges at a node, so a step cannot overshoot
    into the next pocket. grad: (W, particles, dim) -> same."""
    x = jnp.sum(grad**2, -1, keepdims=True) * dt
    safe = jnp.where(x > 1e-12, x, 1.0)
    factor = jnp.where(x > 1e-12, (jnp.sqrt(1 + 2 * safe) - 1) / safe, 1.0)
    return grad * factor


ENERGY_CUTOFF = 0.2
"""α of the local-energy cutoff in the weights of a ψ with nodes (`clipped_energy`)."""


def clipped_energy(e_local: Array, reference: Array, particles: int, dt: float) -> Array:
    """The local energy a weight uses for a ψ with nodes: E_L clipped to
    E_ref ± α√(N/dt) (α = `ENERGY_CUTOFF`, N = particles; Zen, Sorella, Gillan, Michaelides
    & Alfè, Phys. Rev. B 93, 241118(R) (2016)). E_L ~ 1/distance near a node has no
    finite variance over |ψ|²; the cutoff touches only walkers within ~√dt of a node, a
    share of order dt^(3/2), so its bias vanishes linearly with dt, and everywhere else the
    weight keeps E_L itself. e_local: (W,), reference: () a typical local energy."""
    cut = ENERGY_CUTOFF * jnp.sqrt(particles / dt)
    return reference + jnp.clip(e_local - reference, -cut, cut)


def _velocity(walkers: Walkers, dt: float, nodes: bool) -> Array:
    """The proposal's drift: ∇ log |ψ|, limited near nodes for a ψ with nodes."""
    return limited_drift(walkers.grad, dt) if nodes else walkers.grad


def _sq(x: Array) -> Array:
    return jnp.sum(x**2, axis=(-2, -1))


def acceptance(old: Walkers, new: Walkers, dt: float, nodes: bool = False) -> Array:
    """Metropolis–Hastings acceptance probability (W,) of the Langevin proposal old -> new
    for the target |ψ|² (with `nodes`, with the limited drift). A proposal across a node
    (sign ψ changes) is rejected: the walkers keep the nodal pocket they started in, as
    a fixed-node estimate requires."""
    forward = _sq(new.r - old.r - dt * _velocity(old, dt, nodes))
    backward = _sq(old.r - new.r - dt * _velocity(new, dt, nodes))
    log_ratio = 2 * (new.log_psi - old.log_psi) + (forward - backward) / (2 * dt)
    p = jnp.exp(jnp.minimum(log_ratio, 0.0))
    finite = (jnp.isfinite(p) & jnp.all(jnp.isfinite(new.r), axis=(-2, -1))
              & (new.sign == old.sign))
    return jnp.where(finite, p, 0.0)


def _select(accept: Array, new: Walkers, old: Walkers) -> Walkers:
    def pick(a: Array, b: Array) -> Array:
        return jnp.where(accept.reshape(accept.shape + (1,) * (a.ndim - 1)), a, b)

    return Walkers(*(pick(a, b) for a, b in zip(new, old, strict=True)))


def gradient_walkers(log_psi: Callable[[Array], Array], r: Array) -> Walkers:
    """Walkers at r: (W, particles, dim) with log ψ and ∇ log ψ (no local energy)."""
    value, grad = jax.vmap(jax.value_and_grad(lambda x: log_psi(x[None])[0]))(r)
    return Walkers(r, value, grad, jnp.zeros_like(value), _signs(log_psi, r, value))


def energy_walkers(log_psi: Callable[[Array], Array], potential: PotentialFn, r: Array
                   ) -> Walkers:
    """Walkers at r: (W, particles, dim) with log ψ, ∇ log ψ and the exact local energy
    E_L = V − ½|∇ log ψ|² − ½Δ log ψ."""
    value, grad, laplacian = log_psi_terms(log_psi, r)
    e_local = jax.vmap(potential)(r) - 0.5 * _sq(grad) - 0.5 * laplacian
    return Walkers(r, value, grad, e_local, _signs(log_psi, r, value))


def langevin_moves(log_psi: Callable[[Array], Array], walkers: Walkers, key: PRNGKeyArray,
                   *, dt: float, n_steps: int) -> tuple[Walkers, Array]:
    """n_steps Metropolis-adjusted Langevin steps of size dt towards |ψ|² (training's
    sampler). walkers: `gradient_walkers`; returns the walkers and the mean acceptance."""
    nodes = vanishes(log_psi)

    def step(carry: tuple[Walkers, Array], i: Array) -> tuple[tuple[Walkers, Array], None]:
        old, accepted = carry
        noise_key, u_key = jax.random.split(jax.random.fold_in(key, i))
        proposal = old.r + dt * _velocity(old, dt, nodes) + jnp.sqrt(dt) * jax.random.normal(
            noise_key, old.r.shape, old.r.dtype)
        new = gradient_walkers(log_psi, proposal)
        p = acceptance(old, new, dt, nodes)
        accept = jax.random.uniform(u_key, p.shape, p.dtype) < p
        return (_select(accept, new, old), accepted + jnp.mean(p)), None

    (walkers, accepted), _ = jax.lax.scan(step, (walkers, jnp.zeros(())),
                                          jnp.arange(n_steps))
    return walkers, accepted / n_steps


def lattice_increment(key: PRNGKeyArray, shape: tuple[int, ...], spacing: float,
                      first: Array, cells: Array) -> Array:
    """The Brownian increment over lattice cells first … first + cells − 1 (traced
    counts), each cell N(0, spacing) from fold_in(key, index): the same cells as
    `brownian.LatticeBrownianPath`, so chains of different steps share one path."""

    def add(j: Array, total: Array) -> Array:
        return total + jax.random.normal(jax.random.fold_in(key, first + j), shape)

    return jnp.sqrt(spacing) * jax.lax.fori_loop(0, cells, add, jnp.zeros(shape))


def guided_dmc_window(log_psi: Callable[[Array], Array], potential: PotentialFn,
                      walkers: Walkers, path_key: PRNGKeyArray, key: PRNGKeyArray,
                      spacing: float, substeps: Array, n_steps: Array
                      ) -> tuple[Walkers, Array, Array]:
    """n_steps (traced) steps of importance-sampled DMC with a Metropolis test, each step
    `substeps` (traced) cells of the Brownian lattice of `spacing` drawn from path_key,
    so that chains with different dt share their noise and compile once.

    walkers: `energy_walkers`. Returns (walkers, log_weight: (W,) the summed
    −dt·½[E_L(r) + p E_L(r') + (1 − p) E_L(r)], acceptance: () the mean acceptance)."""
    dt = spacing * substeps
    nodes = vanishes(log_psi)
    reference = jnp.median(walkers.e_local)

    def weighed(w: Walkers) -> Array:
        """The local energy in the weight: near a node, clipped."""
        if not has_nodes(log_psi):
            return w.e_local
        return clipped_energy(w.e_local, reference, w.r.shape[-2], dt)

    def step(i: Array, carry: tuple[Walkers, Array, Array]):
        old, log_w, accepted = carry
        dB = lattice_increment(path_key, old.r.shape, spacing, i * substeps, substeps)
        new = energy_walkers(log_psi, potential, old.r + dt * _velocity(old, dt, nodes) + dB)
        p = acceptance(old, new, dt, nodes)
        e_old = weighed(old)
        e_new = jnp.where(p > 0, weighed(new), e_old)
        log_w = log_w - dt * 0.5 * (e_old + p * e_new + (1 - p) * e_old)
        u = jax.random.uniform(jax.random.fold_in(key, i), p.shape, p.dtype)
        return _select(u < p, new, old), log_w, accepted + jnp.mean(p)

    zero = jnp.zeros_like(walkers.log_psi)
    walkers, log_w, accepted = jax.lax.fori_loop(0, n_steps, step,
                                                 (walkers, zero, jnp.zeros(())))
    return walkers, log_w, accepted / n_steps


def make_guided_dmc_chunk(log_psi: ParamLogPsi, potential: PotentialFn, dts: tuple[float, ...],
                          chunk_time: float):
    """The reweighted stage's chunk for a guide with a log ψ, with Metropolis-adjusted
    moves: chain k advances `chunk_time` in steps dts[k] on one shared Brownian lattice
    of spacing min(dts); the chains run one after the other through one compiled window
    (`jax.lax.map`), so the compilation does not grow with their number.

    chunk(params, walkers: (K, W, particles, dim), key) -> (walkers, ell: (K, W),
    t: (K, W), q: (K, W, particles, dim) zeros), with ell = −log w + log ψ(r_τ) − log ψ(r_0),
    so that the weighing step's −ell + f(r_τ) − f(r_0) (f = log ψ) is the DMC log-weight
    (the `make_evaluation_chunk` contract, so `reweighting.make_population_step` takes
    either)."""
    lattice = min(dts)
    substeps = jnp.asarray([round(dt / lattice) for dt in dts])
    n_steps = jnp.asarray([round(chunk_time / dt) for dt in dts])

    @jax.jit
    def chunk(params: dict, walkers: Array, key: PRNGKeyArray) -> tuple[Array, ...]:
        psi = bind(log_psi, params)

        path_key, u_key = jax.random.split(key)

        def one_chain(args: tuple[Array, ...]) -> tuple[Array, Array]:
            r, k, m, n = args
            start = energy_walkers(psi, potential, r)
            end, log_w, _ = guided_dmc_window(psi, potential, start, path_key,
                                              jax.random.fold_in(u_key, k), lattice, m, n)
            return end.r, -log_w + end.log_psi - start.log_psi

        ks = jnp.arange(len(dts))
        r, ell = jax.lax.map(one_chain, (walkers, ks, substeps, n_steps))
        return r, ell, jnp.full_like(ell, chunk_time), jnp.zeros_like(r)

    return chunk
