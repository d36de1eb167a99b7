"""Hard repulsive cores: pair potentials that diverge at contact like C/r^n with n > 2.

There ψ vanishes where two particles meet, as it does on a fermion node, and a guide that
does not vanish there puts walkers where V is huge. Near contact the pair's Schrödinger
equation, −Δ_r f + C r^(−n) f ≈ 0 in the relative coordinate (two unit masses: reduced
mass ½), has the solution f = exp(u) with

    u(s) = −A s^(−m) + (k/2) log(s² / (s² + ρ²)),
    m = n/2 − 1,  A = √C / m,  k = (n/2 − d + 1)/2,

whose first term cancels the r^(−n) divergence of the local energy and whose second
cancels the next one, s^(−n/2−1). The learnable range ρ > 0 switches the second off far
out; the divergence left, s^(−n/2+1), is the one the other factors' smooth gradients
leave too (a trap's, say), and a term ∝ s² of the learned network cancels it. For
n = 12 (Lennard-Jones, (σ/r)^12) m = 5: the classic McMillan factor exp(−(b/r)^5) with
b^5 = σ^6/5.

`find_cores` finds a core by probing V along one pair's separation (done once, where a
`System` is turned into a guide); `core_terms` gives the factor's value, gradient and
Laplacian in closed form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

SMALLEST_POWER = 2.5
"""A pair potential counts as a core when it diverges faster than r^(−2.5) at contact
(Coulomb, n = 1, has its own cusp terms; n ≤ 2 leaves ψ finite or a power law there)."""
PROBE_SEPARATIONS = 0.1 * 0.5 ** np.arange(14)
"""Separations (0.1 down to 1.2e-5) at which V is probed; the smallest finite ones count."""
POWER_AGREEMENT = 0.02
"""Relative spread of the last three local exponents that makes them one power law."""
SPACING = 2.5
"""Distance between the probe configuration's other particles (along the first axis)."""


class PairCores(NamedTuple):
    """The cores of every pair: strength C: (P, P) and power n: (P, P), V ≈ C/r^n at
    contact; zero strength (and power) where a pair has none. Symmetric, zero diagonal."""

    strength: np.ndarray
    power: np.ndarray

    @property
    def any(self) -> bool:
        return bool(np.any(self.strength > 0))

    def describe(self) -> dict[str, list]:
        """Plain lists for `System.describe` (the HDF5 `system/` attributes)."""
        return {"pair_core_strength": self.strength.tolist(),
                "pair_core_power": self.power.tolist()}


def uniform_cores(particles: int, strength: float, power: float) -> PairCores:
    """Every pair of `particles` with the same core C/r^n (identical particles)."""
    off = 1.0 - np.eye(particles)
    return PairCores(strength * off, power * off)


def _probe_configs(particles: int, dim: int, i: int, j: int) -> np.ndarray:
    """(S, particles, dim): the particles spaced along the first axis, particle j moved to
    each separation of `PROBE_SEPARATIONS` from particle i (along the second axis in
    2D and up, where no other particle lies)."""
    base = np.zeros((particles, dim))
    base[:, 0] = SPACING * (np.arange(particles) - (particles - 1) / 2)
    axis = 1 if dim > 1 else 0
    configs = np.repeat(base[None], len(PROBE_SEPARATIONS) + 1, axis=0)
    configs[:, j] = base[i]
    configs[:-1, j, axis] += PROBE_SEPARATIONS
    configs[-1, j, axis] += 1.0  # the reference separation: V without the core's growth
    return configs


def _power_law(separations: np.ndarray, excess: np.ndarray) -> tuple[float, float] | None:
    """(C, n) of excess ≈ C s^(−n) at the smallest finite separations, or None when the
    excess does not grow like one power above `SMALLEST_POWER`."""
    ok = np.isfinite(excess) & (excess > 0)
    s, e = separations[ok], excess[ok]
    if len(s) < 4:
        return None
    local = -np.diff(np.log(e)) / np.diff(np.log(s))  # exponent between neighbours
    last = local[-3:]
    n = float(np.mean(last))
    if n < SMALLEST_POWER or np.ptp(last) > POWER_AGREEMENT * n:
        return None
    return float(e[-1] * s[-1] ** n), n


def find_cores(potential: Callable[[Array], Array], particles: int, dim: int,
               pairs: list[tuple[int, int]]) -> PairCores | None:
    """The cores of `pairs` (each (i, j), i < j) of V(r: (particles, dim)) -> (), probed
    along their separation with the other particles apart; None when none has one."""
    if not pairs:
        return None
    configs = np.concatenate([_probe_configs(particles, dim, i, j) for i, j in pairs])
    values = np.asarray(jax.jit(jax.vmap(potential))(jnp.asarray(configs, jnp.float64)),
                        float).reshape(len(pairs), -1)
    strength, power = np.zeros((particles, particles)), np.zeros((particles, particles))
    for (i, j), v in zip(pairs, values, strict=True):
        with np.errstate(all="ignore"):
            fit = _power_law(PROBE_SEPARATIONS, v[:-1] - v[-1])
        if fit is not None:
            strength[i, j] = strength[j, i] = fit[0]
            power[i, j] = power[j, i] = fit[1]
    cores = PairCores(strength, power)
    return cores if cores.any else None


def core_terms(r: Array, cores: PairCores, core_range: Array, dim: int
               ) -> tuple[Array, Array, Array]:
    """The core factor Σ_{i<j} u(|r_i − r_j|) (module doc) at r: (..., P, dim): its value
    (...,), gradient (..., P, dim) and Laplacian (...,), in closed form. core_range: ρ,
    () > 0."""
    C = jnp.asarray(cores.strength, r.dtype)
    n = jnp.asarray(cores.power, r.dtype)
    has = C > 0
    m = jnp.where(has, n / 2 - 1, 1.0)
    A = jnp.where(has, jnp.sqrt(C) / m, 0.0)
    k = jnp.where(has, (n / 2 - dim + 1) / 2, 0.0)
    diff = r[..., :, None, :] - r[..., None, :, :]  # (..., P, P, dim)
    eye = jnp.eye(C.shape[0], dtype=r.dtype)
    s = jnp.sqrt(jnp.maximum(jnp.sum(diff**2, -1), 1e-24) + eye)  # diagonal: 1, unused
    rho2 = core_range.astype(r.dtype) ** 2
    inv = 1.0 / s
    far = 1.0 / (s**2 + rho2)
    value = -A * s**-m + 0.5 * k * jnp.log(s**2 * far)
    slope = m * A * s ** (-m - 1) + k * (inv - s * far)  # u'(s)
    curve = -m * (m + 1) * A * s ** (-m - 2) - k * (inv**2 + (rho2 - s**2) * far**2)  # u''
    # ordered pairs: each pair's value appears twice (halved), its Laplacian once per
    # particle of the pair, which is what Δ over all coordinates needs
    grad = jnp.sum((slope * inv)[..., None] * diff, axis=-2)
    laplacian = jnp.sum(curve + (dim - 1) * slope * inv, axis=(-2, -1))
    return 0.5 * jnp.sum(value, axis=(-2, -1)), grad, laplacian
