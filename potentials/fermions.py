"""Identical fermions in an isotropic harmonic trap, optionally with a Gaussian pair
interaction (as `trapped_bosons`, in any dimension):

    H = Σ_i ½(−∇_i² + ω² r_i²) + Σ_{i<j} g/(π s²)^{d/2} exp(−r_ij²/s²).

Without interaction the ground state is the Slater determinant of the lowest oscillator
states of each spin (its energy the filled shells); its nodes are exact, so a fixed-node
estimate of it is exact.

`quantum_dot`: electrons in a two-dimensional parabolic quantum dot (atomic units),

    H = Σ_i ½(−∇_i² + ω² r_i²) + Σ_{i<j} 1/|r_i − r_j|,

with the electrons' charges declared, so that the drift carries the exact electron–electron
Kato cusps.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from fkdrift import FkdriftError, System
from fkdrift.lowlevel import oscillator_energy

WIDTH = 0.5


def trapped_fermions(particles: int = 3, dim: int = 1, spins: tuple[int, int] | None = None,
                     g: float = 0.0, s: float = WIDTH, omega: float = 1.0) -> System:
    """`particles` identical fermions with `spins` (n_up, n_down; None: all up) in the
    `dim`-dimensional trap of frequency omega, with Gaussian pair interaction g of width
    s. The exact energy is attached for g = 0 (filled oscillator shells)."""
    if particles < 1 or dim < 1:
        raise FkdriftError(f"trapped_fermions needs particles >= 1 and dim >= 1, got "
                           f"{particles} and {dim}")
    if not (s > 0 and omega > 0):
        raise FkdriftError(f"trapped_fermions needs s > 0 and omega > 0, got {s}, {omega}")
    spins = (particles, 0) if spins is None else tuple(int(n) for n in spins)
    g, s, omega = float(g), float(s), float(omega)
    strength = g / (np.pi * s**2) ** (dim / 2)

    def potential(r):
        diff = r[:, None, :] - r[None, :, :]
        pair = jnp.exp(-jnp.sum(diff**2, -1) / s**2)
        interaction = 0.5 * strength * (jnp.sum(pair) - jnp.trace(pair))
        return 0.5 * omega**2 * jnp.sum(r**2) + interaction

    exact = None
    if g == 0 and len(spins) == 2 and sum(spins) == particles and min(spins) >= 0:
        exact = oscillator_energy(spins, dim, omega)
    name = f"trapped_fermions_N{particles}_{spins[0]}u{spins[1]}d_{dim}d" + (
        f"_g{g:g}" if g else "")
    return System(
        potential=potential, particles=particles, dim=dim, name=name,
        statistics="fermions", spins=spins, exact_energy=exact,
        source={"builtin": "trapped_fermions",
                "kwargs": {"particles": particles, "dim": dim, "spins": list(spins),
                           "g": g, "s": s, "omega": omega}})


QUANTUM_DOT_DMC: dict[int, tuple[float, float]] = {}
"""Published diffusion Monte Carlo ground-state energies of `quantum_dot` at ω = 1, by
number of electrons N (closed shells, default spins): (energy, one standard error) in
Hartree. An entry needs a published source checked against its table; none is listed
yet."""


def _dot_exact_energy(particles: int, spins: tuple[int, int], omega: float) -> float | None:
    """The exact ground-state energy where it is known in closed form, else None.

    N = 1: the 2D oscillator, E = ω. N = 2 in the singlet at ω = 1: the centre of mass
    (mass 2) is in its ground state, energy ω, and the relative motion (reduced mass ½,
    m = 0) has the nodeless eigenfunction R(r) = (1 + r) exp(−r²/4) of
    −(R'' + R'/r) + (r²/4 + 1/r) R = ε R with ε = 2 (substitute), so
    ψ = (1 + r12) exp(−(r1² + r2²)/2) and E = 3.
    """
    if particles == 1:
        return omega
    if particles == 2 and spins == (1, 1) and omega == 1.0:
        return 3.0
    return None


def quantum_dot(particles: int = 2, spins: tuple[int, int] | None = None,
                omega: float = 1.0) -> System:
    """Electrons in a 2D parabolic quantum dot, fixed node (atomic units).

    H = Σ_i ½(−∇_i² + ω² r_i²) + Σ_{i<j} 1/|r_i − r_j| for `particles` electrons in 2D.
    spins: (n_up, n_down); None: (ceil(N/2), floor(N/2)), closed shells for N = 2, 6,
    12, … and the lowest total spin otherwise. The electrons carry charge −1 (declared
    when there is a pair), so the drift has the exact 2D electron–electron cusps. The
    exact energy is attached for N = 1 (ω) and for the N = 2 singlet at ω = 1 (3, see
    `_dot_exact_energy`); otherwise None (compare with `QUANTUM_DOT_DMC`)."""
    if isinstance(particles, bool) or not isinstance(particles, (int, np.integer)) \
            or particles < 1:
        raise FkdriftError(f"quantum_dot needs an integer particles >= 1, got {particles!r}")
    particles = int(particles)
    if not (isinstance(omega, (int, float, np.floating)) and not isinstance(omega, bool)
            and math.isfinite(omega) and omega > 0):
        raise FkdriftError(f"quantum_dot needs a finite omega > 0, got {omega!r}")
    omega = float(omega)
    if spins is None:
        spins = ((particles + 1) // 2, particles // 2)
    ok = (isinstance(spins, (tuple, list)) and len(spins) == 2
          and all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0
                  for n in spins) and sum(spins) == particles)
    if not ok:
        raise FkdriftError(f"quantum_dot needs spins (n_up, n_down), two non-negative "
                           f"integers adding up to particles={particles}, got {spins!r}")
    spins = (int(spins[0]), int(spins[1]))
    first, second = np.triu_indices(particles, 1)

    def potential(r):
        confinement = 0.5 * omega**2 * jnp.sum(r**2)
        if not len(first):
            return confinement
        distance = jnp.linalg.norm(r[first] - r[second], axis=-1)
        return confinement + jnp.sum(1.0 / distance)

    name = f"quantum_dot_N{particles}_{spins[0]}u{spins[1]}d_w{omega:g}"
    return System(
        potential=potential, particles=particles, dim=2, name=name,
        statistics="fermions", spins=spins,
        exact_energy=_dot_exact_energy(particles, spins, omega),
        particle_charge=-1.0 if particles > 1 else None,
        source={"builtin": "quantum_dot",
                "kwargs": {"particles": particles, "spins": list(spins), "omega": omega}})
