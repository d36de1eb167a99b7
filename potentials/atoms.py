"""Coulomb systems (Born–Oppenheimer, atomic units) with exact cusps declared."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from fkdrift import FkdriftError, System

HELIUM_E0 = -2.903724377
H2_E0_AT_1_4011 = -1.1744759314
H2_BO_ENERGIES = {1.4011: H2_E0_AT_1_4011, 2.8: -1.070683196}
"""Exact Born–Oppenheimer energies (1/R included) of H2 by bond length R in bohr: at
1.4011 from K. Pachucki, Phys. Rev. A 82, 032509 (2010); at 2.8 from L. Wolniewicz,
J. Chem. Phys. 99, 1851 (1993), Table II (the drift paper's reference −1.0710 rounds it)."""


def _nuclear_attraction(r, nuclei, charges):
    """Σ_i Σ_K −Z_K / |r_i − R_K|; r: (particles, 3)."""
    dist = jnp.linalg.norm(r[:, None, :] - nuclei[None, :, :], axis=-1)
    return -jnp.sum(charges / dist)


def _hydrogen_axis_density(Z: float):
    """ρ(x) = Z (Z|x| + ½) exp(−2Z|x|): the 1s density Z³/π exp(−2Zr) integrated over the
    two other axes (normalised to 1)."""
    def density(x):
        a = np.abs(np.asarray(x, float))
        return Z * (Z * a + 0.5) * np.exp(-2 * Z * a)

    return density


def hydrogen(Z: float = 1.0) -> System:
    """Hydrogen-like ion: one electron, V = −Z/|r| in 3D. E0 = −Z²/2.

    Exact radial density p(r) = 4 Z³ r² exp(−2 Z r), and along each axis (the marginal
    of |φ0|² = Z³/π exp(−2 Z r)) ρ(x) = Z (Z|x| + ½) exp(−2 Z |x|).
    """
    if not Z > 0:
        raise FkdriftError(f"hydrogen needs a positive nuclear charge Z, got {Z}")
    Z = float(Z)

    def potential(r):
        return -Z / jnp.linalg.norm(r[0])

    return System(
        potential=potential,
        particles=1,
        dim=3,
        name="hydrogen" if Z == 1 else f"hydrogen_like_Z{Z:g}",
        exact_energy=-0.5 * Z**2,
        exact_density={"radial": lambda x: 4 * Z**3 * np.asarray(x) ** 2 * np.exp(-2 * Z * x),
                       **{f"axis{i}": _hydrogen_axis_density(Z) for i in range(3)}},
        nuclei=np.zeros((1, 3)),
        nuclear_charges=np.array([Z]),
        particle_charge=-1.0,
        source={"builtin": "hydrogen", "kwargs": {"Z": Z}},
    )


def helium() -> System:
    """Helium atom, two electrons in the spin singlet: −2/r1 − 2/r2 + 1/r12."""
    nuclei = jnp.zeros((1, 3))
    charges = jnp.array([2.0])

    def potential(r):
        return _nuclear_attraction(r, nuclei, charges) + 1.0 / jnp.linalg.norm(r[0] - r[1])

    return System(
        potential=potential,
        particles=2,
        dim=3,
        name="helium",
        exact_energy=HELIUM_E0,
        nuclei=np.zeros((1, 3)),
        nuclear_charges=np.array([2.0]),
        particle_charge=-1.0,
        source={"builtin": "helium", "kwargs": {}},
    )


def h2(R: float = 1.4011) -> System:
    """H2 molecule (two electrons, singlet) with protons at ±R/2 on z, including 1/R.

    The exact energy is attached at the bond lengths of `H2_BO_ENERGIES` (1.4011 and
    2.8 bohr); −1.1744757142 is the value at R = 1.40 (Sims and Hagstrom, J. Chem. Phys.
    124, 094101 (2006)). The name carries R away from equilibrium (h2_R2.8), so that
    the default output file of a bond-length scan is one per R.
    """
    if not R > 0:
        raise FkdriftError(f"h2 needs a positive bond length R, got {R}")
    R = float(R)
    nuclei_np = np.array([[0.0, 0.0, -R / 2], [0.0, 0.0, R / 2]])
    nuclei = jnp.asarray(nuclei_np)
    charges = jnp.array([1.0, 1.0])

    def potential(r):
        return (
            _nuclear_attraction(r, nuclei, charges)
            + 1.0 / jnp.linalg.norm(r[0] - r[1])
            + 1.0 / R
        )

    return System(
        potential=potential,
        particles=2,
        dim=3,
        name="h2" if abs(R - 1.4011) < 1e-9 else f"h2_R{R:g}",
        exact_energy=next((e for r, e in H2_BO_ENERGIES.items() if abs(R - r) < 1e-9), None),
        nuclei=nuclei_np,
        nuclear_charges=np.array([1.0, 1.0]),
        particle_charge=-1.0,
        source={"builtin": "h2", "kwargs": {"R": R}},
    )


ATOM_E0 = {3: -7.47806032, 4: -14.66735650}
"""Exact non-relativistic, fixed-nucleus ground-state energies (Ha): lithium from
M. Puchalski and K. Pachucki, Phys. Rev. A 73, 022503 (2006) (−7.478060324); beryllium
from K. Pachucki and J. Komasa, Phys. Rev. Lett. 92, 213001 (2004) (−14.667356)."""


def _atom(Z: int, spins: tuple[int, int], name: str) -> System:
    """A neutral atom of nuclear charge Z at the origin with `spins` electrons (fermions)."""
    nuclei = jnp.zeros((1, 3))
    charges = jnp.array([float(Z)])
    n = sum(spins)

    def potential(r):
        diff = r[:, None, :] - r[None, :, :]
        dist = jnp.sqrt(jnp.sum(diff**2, -1) + jnp.eye(n))
        repulsion = 0.5 * jnp.sum((1.0 - jnp.eye(n)) / dist)
        return _nuclear_attraction(r, nuclei, charges) + repulsion

    return System(
        potential=potential, particles=n, dim=3, name=name, statistics="fermions",
        spins=spins, exact_energy=ATOM_E0.get(Z), nuclei=np.zeros((1, 3)),
        nuclear_charges=np.array([float(Z)]), particle_charge=-1.0,
        source={"builtin": name, "kwargs": {}})


def lithium() -> System:
    """Lithium atom: three electrons, two up and one down (1s² 2s), fixed node."""
    return _atom(3, (2, 1), "lithium")


def beryllium() -> System:
    """Beryllium atom: four electrons, two up and two down (1s² 2s²), fixed node."""
    return _atom(4, (2, 2), "beryllium")
