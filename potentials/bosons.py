"""Bosons in a 2D harmonic trap with a Gaussian pair interaction.

H = Σ_i ½(−∇_i² + r_i²) + Σ_{i<j} g/(π s²) exp(−r_ij²/s²), s = 0.5.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from fkdrift import FkdriftError, System

WIDTH = 0.5

# Exact-diagonalisation E0 by particle number and coupling g (not g/2) for s = 0.5:
# P. Mujal, E. Sarlé, A. Polls, B. Juliá-Díaz, Phys. Rev. A 96, 043614 (2017), as
# distributed with the public code of Barr, Gispen & Lamacraft (2020); g = 0 is exact (N).
# The basis truncation error of these values lies above exact: for N = 2 an independent
# relative-motion calculation (tests/test_bosons_exact.py) gives +2.5e-4 at g = 3 and
# +2.3e-4 at g = 16 (up to +4.9e-4 at g = 20).
MUJAL_E0 = {
    2: {
        0: 2.0,
        0.2: 2.027681889150027,
        0.4: 2.0541742730447674,
        0.6: 2.079529251325864,
        0.8: 2.103797925389504,
        1: 2.1270301987944897,
        1.2: 2.149274611836169,
        1.4: 2.1705782085322203,
        1.6: 2.1909864337658904,
        1.8: 2.210543057992726,
        2: 2.229290126722511,
        3: 2.3122308852333173,
        4: 2.380243079214237,
        6: 2.4842450593908083,
        8: 2.559682307064726,
        10: 2.6170204066804215,
        16: 2.7303762752475946,
        20: 2.780062354506257,
    },
    3: {
        0: 3.0,
        0.2: 3.0825714546406755,
        0.4: 3.1607283997234923,
        0.6: 3.234769281916824,
        0.8: 3.3049740019153093,
        1: 3.371603563550478,
        1.2: 3.434900292786699,
        1.4: 3.4950884615509734,
        1.6: 3.552375179730553,
        1.8: 3.6069514473162294,
        2: 3.658993284843582,
        3: 3.886440225867982,
        4: 4.070200040734101,
        5: 4.2213329141216525,
        6: 4.347589084765533,
        7: 4.454547756143262,
        8: 4.546312401362286,
        9: 4.62595327654188,
        10: 4.695800893471122,
        12: 4.812885162058972,
        14: 4.9076971486125185,
        16: 4.986608737905463,
    },
    4: {
        0: 4.0,
        0.2: 4.16424915107452,
        0.4: 4.318132577180667,
        0.6: 4.4625838667547875,
        0.8: 4.598447407568563,
        1: 4.7264811861034985,
        1.2: 4.84736257870112,
        1.4: 4.961695587536941,
        1.6: 5.070018505915673,
        1.8: 5.172811399702617,
        2: 5.270503071395983,
        3: 5.694597247706599,
        4: 6.035142912724378,
        6: 6.548147238085791,
        8: 6.915596960600572,
        10: 7.1916804964759065,
        16: 7.7257928079691185,
    },
}


# Exact N = 2 energies from the relative-motion radial equation (finite differences with a
# Richardson step, cross-checked by an oscillator-basis diagonalisation in
# tests/test_bosons_exact.py, which recomputes them).
EXACT_N2 = {3.0: 2.3119825162, 16.0: 2.7301486387}

# Independent diffusion Monte Carlo (benchmarks/bosons_dmc.py, Jastrow guide, dt -> 0,
# population bias checked; results/bosons_dmc/): the converged reference for N >= 3, where
# the exact-diagonalisation table above lies 0.003-0.028 too high. (N, g): (E0, error).
DMC_E0 = {
    (3, 3.0): (3.8834318579, 0.0001835782),
    (3, 16.0): (4.9833012554, 0.0001039377),
    (4, 3.0): (5.6818135215, 0.0004639958),
    (4, 16.0): (7.6979109491, 0.0012400412),
    (8, 3.0): (14.7544707783, 0.0005434920),  # results/bosons_dmc/n8_g3_seed0.json
    # trial optimised from the N = 8 one (--start-from): linear dt fit, chi2/dof 1.7 (one
    # dof); quadratic check 39.9232 ± 0.0034 (results/bosons_dmc/n16_g3_seed0.json). The
    # unoptimised N = 8 trial had given 39.9151 ± 0.0075.
    (16, 3.0): (39.9191255459, 0.0015893892),
    # two replicas with the trial optimised from the N = 16 one (seed 0 --start-from,
    # seed 1 --trial-from it; results/bosons_dmc/n32_g3_seed*.json), pooled per dt:
    # linear dt fit, chi2/dof 2.5 (one dof); quadratic check 110.8902 ± 0.0083.
    (32, 3.0): (110.9024876604, 0.0048178579),
}


def reference_energy(particles: int, g: float, s: float = WIDTH
                     ) -> tuple[float, float, str] | None:
    """(E0, standard error, source) of the best reference for N bosons at coupling g."""
    if g == 0 or particles == 1:
        return float(particles), 0.0, "exact"
    if s != WIDTH:
        return None
    if particles == 2 and g in EXACT_N2:
        return EXACT_N2[g], 0.0, "exact"
    if (particles, g) in DMC_E0:
        return (*DMC_E0[(particles, g)], "independent DMC")
    table = MUJAL_E0.get(particles, {}).get(g)
    if table is None:
        return None
    return table, 0.0, "exact-diagonalisation table (a basis-truncated upper bound)"


def trapped_bosons(particles: int = 2, g: float = 3.0, s: float = WIDTH) -> System:
    """N identical bosons in the 2D isotropic trap (ω = 1) with Gaussian repulsion g.

    A reference energy is attached where one is known (`reference_energy`): exact for
    g = 0 and N = 2, the independent DMC for N = 3, 4 at g = 3, 16 and N = 8, 16, 32 at
    g = 3, else the table.
    """
    if particles < 1:
        raise FkdriftError(f"trapped_bosons needs at least one particle, got {particles}")
    if not s > 0:
        raise FkdriftError(f"trapped_bosons needs a positive interaction width s, got {s}")
    g, s = float(g), float(s)
    strength = g / (np.pi * s**2)

    def potential(r):
        diff = r[:, None, :] - r[None, :, :]
        pair = jnp.exp(-jnp.sum(diff**2, -1) / s**2)
        interaction = 0.5 * strength * (jnp.sum(pair) - jnp.trace(pair))
        return 0.5 * jnp.sum(r**2) + interaction

    exact, error, source = reference_energy(particles, g, s) or (None, 0.0, "exact")
    return System(
        potential=potential,
        particles=particles,
        dim=2,
        name=f"trapped_bosons_N{particles}_g{g:g}",
        statistics="bosons",
        exact_energy=exact,
        reference_error=error,
        reference_source=source,
        source={"builtin": "trapped_bosons", "kwargs": {"particles": particles, "g": g, "s": s}},
    )
