"""Identical fermions in an isotropic harmonic trap, optionally with a Gaussian pair
interaction (as `trapped_bosons`, in any dimension):

    H = Σ_i ½(−∇_i² + ω² r_i²) + Σ_{i<j} g/(π s²)^{d/2} exp(−r_ij²/s²).

Without interaction the ground state is the Slater determinant of the lowest oscillator
states of each spin (its energy the filled shells); its nodes are exact, so a fixed-node
estimate of it is exact.
"""

from __future__ import annotations

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
